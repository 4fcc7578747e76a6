package parse

import "encoding/json"

// The 14 intelligent-production algorithms, as MPS names them in FunctionName: the one list that
// the parser registry, the policy's priors and the MPS emulator's results all use.
const (
	AlgorithmVideoH2V                = "VideoH2V"
	AlgorithmVideoDelogo             = "VideoDelogo"
	AlgorithmCover                   = "Cover"
	AlgorithmVideoClip               = "VideoClip"
	AlgorithmImageH2V                = "ImageH2V"
	AlgorithmImageDelogo             = "ImageDelogo"
	AlgorithmCaptionExtraction       = "CaptionExtraction"
	AlgorithmVideoDetext             = "VideoDetext"
	AlgorithmVideoGreenScreenMatting = "VideoGreenScreenMatting"
	AlgorithmMusicSegmentDetect      = "MusicSegmentDetect"
	AlgorithmAudioMixing             = "AudioMixing"
	AlgorithmAudioBeatDetection      = "AudioBeatDetection"
	AlgorithmImageCartoonize         = "ImageCartoonize"
	AlgorithmAudioQualityAssessment  = "AudioQualityAssessment"
)

// parser reads one algorithm's Data (already unwrapped; nil when empty) into its typed result and the
// files it names. A shape it cannot read is an error; the event then reports it next to the raw Data,
// so nothing is lost when MPS answers in a shape no one has seen.
type parser func(data json.RawMessage, r *resolver) (result any, files []File, err error)

// parserFor is the registry: one line per algorithm. Adding an algorithm is a file holding its result
// type and parser, a line here, a fixture, and a $defs entry in the schema.
func parserFor(algorithm string) (parser, bool) {
	switch algorithm {
	case AlgorithmVideoH2V, AlgorithmVideoDelogo, AlgorithmVideoDetext:
		return parseVideo, true
	case AlgorithmImageH2V, AlgorithmImageDelogo:
		return parseImage, true
	case AlgorithmAudioMixing:
		return parseAudio, true
	case AlgorithmCover:
		return parseCover, true
	case AlgorithmVideoClip:
		return parseVideoClip, true
	case AlgorithmCaptionExtraction:
		return parseCaptions, true
	case AlgorithmVideoGreenScreenMatting:
		return parseMatting, true
	case AlgorithmMusicSegmentDetect:
		return parseChorus, true
	case AlgorithmAudioBeatDetection:
		return parseBeats, true
	case AlgorithmImageCartoonize:
		return parseCartoonize, true
	case AlgorithmAudioQualityAssessment:
		return parseAudioQuality, true
	}
	return nil, false
}

// Algorithms lists the algorithms with a typed result, in the order the API documents them.
func Algorithms() []string {
	return []string{
		AlgorithmVideoH2V, AlgorithmVideoDelogo, AlgorithmCover, AlgorithmVideoClip, AlgorithmImageH2V, AlgorithmImageDelogo, AlgorithmCaptionExtraction,
		AlgorithmVideoDetext, AlgorithmVideoGreenScreenMatting, AlgorithmMusicSegmentDetect, AlgorithmAudioMixing,
		AlgorithmAudioBeatDetection, AlgorithmImageCartoonize, AlgorithmAudioQualityAssessment,
	}
}
