package parse

import "encoding/json"

// parser reads one algorithm's Data (already unwrapped; nil when empty) into its typed result and the
// files it names. A shape it cannot read is an error; the event then reports it next to the raw Data,
// so nothing is lost when MPS answers in a shape no one has seen.
type parser func(data json.RawMessage, r *resolver) (result any, files []File, err error)

// parserFor is the registry: one line per algorithm. Adding an algorithm is a file holding its result
// type and parser, a line here, a fixture, and a $defs entry in the schema.
func parserFor(algorithm string) (parser, bool) {
	switch algorithm {
	case "VideoH2V", "VideoDelogo", "VideoDetext":
		return parseVideo, true
	case "ImageH2V", "ImageDelogo":
		return parseImage, true
	case "AudioMixing":
		return parseAudio, true
	case "Cover":
		return parseCover, true
	case "VideoClip":
		return parseVideoClip, true
	case "CaptionExtraction":
		return parseCaptions, true
	case "VideoGreenScreenMatting":
		return parseMatting, true
	case "MusicSegmentDetect":
		return parseChorus, true
	case "AudioBeatDetection":
		return parseBeats, true
	case "ImageCartoonize":
		return parseCartoonize, true
	case "AudioQualityAssessment":
		return parseAudioQuality, true
	}
	return nil, false
}

// Algorithms lists the algorithms with a typed result, in the order the API documents them.
func Algorithms() []string {
	return []string{
		"VideoH2V", "VideoDelogo", "Cover", "VideoClip", "ImageH2V", "ImageDelogo", "CaptionExtraction",
		"VideoDetext", "VideoGreenScreenMatting", "MusicSegmentDetect", "AudioMixing",
		"AudioBeatDetection", "ImageCartoonize", "AudioQualityAssessment",
	}
}
