package mpstest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"iprodwatch/parse"
)

// DefaultScript is the lifecycle of a submitted job unless SetDefaultScript or WithDefaultScript
// says otherwise: a second in the queue, then an analysis whose length depends on the kind of
// input (the cloud publishes no timings; these only make demos look plausible), then Success.
func DefaultScript(p SubmitParams) Script {
	done := 30 * time.Second
	switch p.FunctionName {
	case parse.AlgorithmImageH2V, parse.AlgorithmImageDelogo, parse.AlgorithmImageCartoonize, parse.AlgorithmAudioBeatDetection, parse.AlgorithmAudioQualityAssessment, parse.AlgorithmMusicSegmentDetect:
		done = 5 * time.Second
	}
	return Script{Analysing: time.Second, Done: done, Final: StateSuccess}
}

// DefaultFailure is the Result of a failed job whose script names none (shape from
// iproduction-results.md 4; no MPS failure example is public).
func DefaultFailure() Result {
	return Result{Code: "InvalidParameter.InputFile", Message: "The input file does not exist."}
}

// DefaultResult is a plausible successful Result for the job's algorithm: the file envelope
// {"result":[{"file":key}]} for algorithms that write files (keys from the Output template,
// relative to the bucket root) and the shapes of iproduction-results.md 3 for the analysis ones.
func DefaultResult(id string, p SubmitParams, submitted time.Time) Result {
	keys := newKeyMaker(id, p, submitted)
	var data any
	switch p.FunctionName {
	case parse.AlgorithmCover:
		ext := "jpg"
		if lenientHas(p.JobParams, "gif") {
			ext = "gif"
		}
		data = []map[string]any{
			{"Score": 9.12, "Time": "15020.0", "Url": keys.key(1, ext, "")},
			{"Score": 8.27, "Time": "28278.25", "Url": keys.key(2, ext, "")},
			{"Score": 7.4, "Time": "3300.5", "Url": keys.key(3, ext, "")},
		}
	case parse.AlgorithmVideoClip:
		data = map[string]any{"VideoSummaryList": []map[string]string{
			{"StartTime": "12.4", "EndTime": "19.9"},
			{"StartTime": "44.0", "EndTime": "51.2"},
		}}
	case parse.AlgorithmMusicSegmentDetect:
		data = []map[string]any{
			{"start": 48.1, "end": 71.66, "title": "Chorus"},
			{"start": 132.05, "end": 155.3, "title": "Chorus"},
		}
	case parse.AlgorithmAudioBeatDetection:
		data = map[string]any{
			"BeatList":     []float64{0.52, 1.04, 1.56, 2.08, 2.61, 3.13},
			"DownBeatList": []float64{0.52, 2.61},
		}
	case parse.AlgorithmAudioQualityAssessment:
		data = []map[string]any{{
			"Tag": "Valid", "MOS(0-5)": 3.94, "Noisiness(0-5)": 4.1, "Coloration(0-5)": 3.7,
			"Discontinuity(0-5)": 4.6, "Loudness(-90dB-0dB)": -21.3,
		}}
	case parse.AlgorithmImageCartoonize:
		data = fileEnvelope(keys.key(1, "jpg", "-result"), keys.key(1, "jpg", "-origin"))
	case parse.AlgorithmCaptionExtraction:
		if lenientHas(p.JobParams, "sep:true") {
			data = fileEnvelope(keys.keyFor(1, "srt", "zh"), keys.keyFor(1, "srt", "en"))
		} else {
			data = fileEnvelope(keys.keyFor(1, "srt", "zh"))
		}
	case parse.AlgorithmVideoGreenScreenMatting:
		ext := "webm" // alpha channel unless a background replaces it
		if lenientHas(p.JobParams, "bgimage") {
			ext = "mp4"
		}
		data = fileEnvelope(keys.key(1, ext, ""))
	case parse.AlgorithmImageH2V, parse.AlgorithmImageDelogo:
		data = fileEnvelope(keys.key(1, "jpg", ""))
	case parse.AlgorithmAudioMixing:
		data = fileEnvelope(keys.key(1, "wav", ""))
	default: // VideoH2V, VideoDelogo, VideoDetext and names outside the 14
		data = fileEnvelope(keys.key(1, "mp4", ""))
	}
	return Result{Code: "Success", Message: "Successful.", Data: string(mustJSON(data))}
}

func fileEnvelope(keys ...string) map[string]any {
	files := make([]map[string]string, len(keys))
	for i, k := range keys {
		files[i] = map[string]string{"file": k}
	}
	return map[string]any{"result": files}
}

// lenientHas reports whether JobParams mentions needle once spaces and quotes are gone: JobParams
// is not always strict JSON ({sep:true}, {mode:"gif"}).
func lenientHas(jobParams, needle string) bool {
	squashed := strings.NewReplacer(" ", "", "\"", "", "'", "").Replace(strings.ToLower(jobParams))
	return strings.Contains(squashed, strings.ToLower(needle))
}

// keyMaker turns the Output template into object keys.
type keyMaker struct {
	template  string // key part of Output, placeholders intact
	source    string
	timestamp string
}

func newKeyMaker(id string, p SubmitParams, submitted time.Time) keyMaker {
	tmpl := objectKey(p.Output)
	if tmpl == "" {
		tmpl = "iproduction/{source}-{timestamp}-{sequenceId}"
	} else if strings.HasSuffix(tmpl, "/") {
		tmpl += "{source}-{sequenceId}"
	}
	src := strings.TrimSuffix(path.Base(inputObject(p.Input)), path.Ext(inputObject(p.Input)))
	if src == "" || src == "." || src == "/" {
		src = id
	}
	return keyMaker{template: tmpl, source: src, timestamp: strconv.FormatInt(submitted.Unix(), 10)}
}

// key substitutes the placeholders for output number seq, adds ext when the template has none,
// and inserts suffix before the extension (ImageCartoonize's -result/-origin pair). Without
// {sequenceId} later outputs get -0000N so keys stay distinct.
func (k keyMaker) key(seq int, ext, suffix string) string { return k.build(seq, ext, suffix, "") }

// keyFor is key for CaptionExtraction, whose {resultType} is zh or en.
func (k keyMaker) keyFor(seq int, ext, resultType string) string {
	suffix := ""
	if !strings.Contains(k.template, "{resultType}") {
		suffix = "-" + resultType
	}
	return k.build(seq, ext, suffix, resultType)
}

func (k keyMaker) build(seq int, ext, suffix, resultType string) string {
	seqID := fmt.Sprintf("%05d", seq)
	key := strings.NewReplacer("{source}", k.source, "{timestamp}", k.timestamp,
		"{sequenceId}", seqID, "{resultType}", resultType).Replace(k.template)
	if seq > 1 && !strings.Contains(k.template, "{sequenceId}") {
		suffix += "-" + seqID
	}
	base := path.Ext(key)
	if base == "" {
		base = "." + ext
	} else {
		key = strings.TrimSuffix(key, base)
	}
	return key + suffix + base
}

// objectKey is the key part of an OSS URI (oss://bucket[.oss-region.aliyuncs.com]/key or the
// http(s) form); anything else is taken as a key.
func objectKey(uri string) string {
	if u, err := url.Parse(uri); err == nil && u.Scheme != "" {
		return strings.TrimPrefix(u.Path, "/")
	}
	return strings.TrimPrefix(uri, "/")
}

// inputObject is the input's object key: Input is an OSS URI or the JSON object form
// {"Bucket","Location","Object"} some clients send.
func inputObject(input string) string {
	if strings.HasPrefix(strings.TrimSpace(input), "{") {
		var obj struct{ Object string }
		if json.Unmarshal([]byte(input), &obj) == nil {
			return obj.Object
		}
	}
	return objectKey(input)
}
