package parse

import (
	"encoding/json"
	"fmt"
)

// MusicSegmentResult is the result of MusicSegmentDetect: the choruses found, none when the song has
// no chorus (still a success).
type MusicSegmentResult struct {
	Segments []MusicSegment `json:"segments"`
}

// MusicSegment is one detected segment, in seconds from the start of the audio.
type MusicSegment struct {
	StartSeconds float64 `json:"startSeconds"`
	EndSeconds   float64 `json:"endSeconds"`
	Title        string  `json:"title,omitempty"` // e.g. "Chorus"
}

// parseChorus accepts the bare array [{"start","end","title"}] and the same array under result,
// segments or data; [], "", {} and no Data all mean no chorus.
func parseChorus(data json.RawMessage, _ *resolver) (any, []File, error) {
	res := MusicSegmentResult{Segments: []MusicSegment{}}
	if len(data) == 0 || string(data) == "{}" {
		return res, nil, nil
	}
	entries, ok := asArray(data)
	if !ok {
		o, _ := asObject(data)
		entries, ok = asArray(o.get("result", "segments", "data"))
	}
	if !ok {
		return res, nil, errShape(data, `an array of {"start","end","title"}`)
	}
	for i, e := range entries {
		s, err := span(e, "start", "end")
		if err != nil {
			return res, nil, fmt.Errorf("segment %d: %w", i, err)
		}
		o, _ := asObject(e)
		title, _ := optString(o.get("title", "label"))
		res.Segments = append(res.Segments, MusicSegment{StartSeconds: s.StartSeconds, EndSeconds: s.EndSeconds, Title: title})
	}
	return res, nil, nil
}
