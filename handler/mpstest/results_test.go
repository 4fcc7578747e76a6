package mpstest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/parse"
)

func TestDefaultResultsHaveEachAlgorithmsShape(t *testing.T) {
	files := func(keys ...string) any {
		var out []any
		for _, k := range keys {
			out = append(out, map[string]any{"file": k})
		}
		return map[string]any{"result": out}
	}
	const in = "oss://in.oss-cn-shanghai.aliyuncs.com/media/clip one.mp4"
	const out = "oss://out.oss-cn-shanghai.aliyuncs.com/iproduction/{source}-{timestamp}-{sequenceId}"
	tests := []struct {
		name      string
		p         SubmitParams
		wantFirst any // whole Data for small shapes; checked key by key below for files
	}{
		{"VideoH2V writes one mp4 named from the Output template", SubmitParams{FunctionName: parse.AlgorithmVideoH2V, Input: in, Output: out},
			files("iproduction/clip one-1714979289-00001.mp4")},
		{"VideoDelogo writes one mp4", SubmitParams{FunctionName: parse.AlgorithmVideoDelogo, Input: in, Output: out}, files("iproduction/clip one-1714979289-00001.mp4")},
		{"VideoDetext writes one mp4", SubmitParams{FunctionName: parse.AlgorithmVideoDetext, Input: in, Output: out}, files("iproduction/clip one-1714979289-00001.mp4")},
		{"ImageH2V writes one jpg", SubmitParams{FunctionName: parse.AlgorithmImageH2V, Input: in, Output: out}, files("iproduction/clip one-1714979289-00001.jpg")},
		{"ImageDelogo writes one jpg", SubmitParams{FunctionName: parse.AlgorithmImageDelogo, Input: in, Output: out}, files("iproduction/clip one-1714979289-00001.jpg")},
		{"AudioMixing writes one wav", SubmitParams{FunctionName: parse.AlgorithmAudioMixing, Input: in, Output: out}, files("iproduction/clip one-1714979289-00001.wav")},
		{"ImageCartoonize writes a result and an origin", SubmitParams{FunctionName: parse.AlgorithmImageCartoonize, Input: in, Output: "oss://out/iproduction/test.jpg"},
			files("iproduction/test-result.jpg", "iproduction/test-origin.jpg")},
		{"CaptionExtraction with sep writes zh and en", SubmitParams{FunctionName: parse.AlgorithmCaptionExtraction, Input: in, Output: "oss://out/subs/{source}-{resultType}.srt", JobParams: "{fps:10, sep: true}"},
			files("subs/clip one-zh.srt", "subs/clip one-en.srt")},
		{"CaptionExtraction without sep writes one srt", SubmitParams{FunctionName: parse.AlgorithmCaptionExtraction, Input: in, Output: "oss://out/subs/"},
			files("subs/clip one-00001-zh.srt")},
		{"VideoGreenScreenMatting without a background writes webm", SubmitParams{FunctionName: parse.AlgorithmVideoGreenScreenMatting, Input: in, Output: out},
			files("iproduction/clip one-1714979289-00001.webm")},
		{"VideoGreenScreenMatting with a background writes mp4", SubmitParams{FunctionName: parse.AlgorithmVideoGreenScreenMatting, Input: in, Output: out, JobParams: `{"bgimage":"http://x/y.jpg"}`},
			files("iproduction/clip one-1714979289-00001.mp4")},
		{"Cover lists scored thumbnails in milliseconds", SubmitParams{FunctionName: parse.AlgorithmCover, Input: in, Output: out}, []any{
			map[string]any{"Score": 9.12, "Time": "15020.0", "Url": "iproduction/clip one-1714979289-00001.jpg"},
			map[string]any{"Score": 8.27, "Time": "28278.25", "Url": "iproduction/clip one-1714979289-00002.jpg"},
			map[string]any{"Score": 7.4, "Time": "3300.5", "Url": "iproduction/clip one-1714979289-00003.jpg"},
		}},
		{"VideoClip lists summary ranges", SubmitParams{FunctionName: parse.AlgorithmVideoClip, Input: in}, map[string]any{"VideoSummaryList": []any{
			map[string]any{"StartTime": "12.4", "EndTime": "19.9"}, map[string]any{"StartTime": "44.0", "EndTime": "51.2"},
		}}},
		{"MusicSegmentDetect lists choruses", SubmitParams{FunctionName: parse.AlgorithmMusicSegmentDetect, Input: in}, []any{
			map[string]any{"start": 48.1, "end": 71.66, "title": "Chorus"}, map[string]any{"start": 132.05, "end": 155.3, "title": "Chorus"},
		}},
		{"AudioBeatDetection lists beats and downbeats", SubmitParams{FunctionName: parse.AlgorithmAudioBeatDetection, Input: in}, map[string]any{
			"BeatList": []any{0.52, 1.04, 1.56, 2.08, 2.61, 3.13}, "DownBeatList": []any{0.52, 2.61},
		}},
		{"AudioQualityAssessment scores each channel", SubmitParams{FunctionName: parse.AlgorithmAudioQualityAssessment, Input: in}, []any{map[string]any{
			"Tag": "Valid", "MOS(0-5)": 3.94, "Noisiness(0-5)": 4.1, "Coloration(0-5)": 3.7, "Discontinuity(0-5)": 4.6, "Loudness(-90dB-0dB)": -21.3,
		}}},
		{"an Input given as a JSON object names the source", SubmitParams{FunctionName: parse.AlgorithmVideoH2V, Input: `{"Bucket":"b","Location":"oss-cn-shanghai","Object":"in dir/视频.mp4"}`},
			files("iproduction/视频-1714979289-00001.mp4")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := DefaultResult("0123456789abcdef0123456789abcdef", tt.p, epoch)
			if r.Code != "Success" || r.Message != "Successful." {
				t.Errorf("Code, Message = %q, %q", r.Code, r.Message)
			}
			var data any
			if err := json.Unmarshal([]byte(r.Data), &data); err != nil {
				t.Fatalf("Data %q: %v", r.Data, err)
			}
			if diff := cmp.Diff(tt.wantFirst, data); diff != "" {
				t.Errorf("Data (-want +got):\n%s", diff)
			}
		})
	}
}
