package parse

import (
	"encoding/json"
	"fmt"
)

// VideoClipResult is the result of VideoClip (video synopsis): the chosen segments, and the summary
// video when MPS names one.
type VideoClipResult struct {
	Segments []Segment `json:"segments"`
	VideoURI string    `json:"videoUri,omitempty"`
}

// Segment is a span of the input, in seconds from its start.
type Segment struct {
	StartSeconds float64 `json:"startSeconds"`
	EndSeconds   float64 `json:"endSeconds"`
}

// parseVideoClip accepts {"VideoSummaryList":[{"StartTime","EndTime"}]} (seconds, strings or numbers),
// with or without the file envelope beside it, and the file envelope alone.
func parseVideoClip(data json.RawMessage, r *resolver) (any, []File, error) {
	res := VideoClipResult{Segments: []Segment{}}
	if len(data) == 0 || string(data) == "{}" {
		return res, nil, nil
	}
	o, isObj := asObject(data)
	list := o.get("VideoSummaryList", "summaryList", "segments")
	_, hasFiles := envelope(data)
	if !isObj || (list == nil && !hasFiles) {
		return res, nil, errShape(data, `{"VideoSummaryList":[{"StartTime","EndTime"}]}`)
	}
	files := r.envelopeFiles(data, RoleResult)
	res.VideoURI = first(files, RoleResult)
	if list == nil {
		return res, files, nil
	}
	entries, ok := asArray(list)
	if !ok {
		return res, files, fmt.Errorf("VideoSummaryList is %s, want an array", kind(list))
	}
	for i, e := range entries {
		s, err := span(e, "StartTime", "EndTime")
		if err != nil {
			return res, files, fmt.Errorf("segment %d: %w", i, err)
		}
		res.Segments = append(res.Segments, s)
	}
	return res, files, nil
}

// span reads a segment in seconds from an entry, trying the given key names and then start/end.
func span(entry json.RawMessage, startKey, endKey string) (Segment, error) {
	o, ok := asObject(entry)
	if !ok {
		return Segment{}, fmt.Errorf("want an object, got %s", kind(entry))
	}
	start, okS, err := offset(o.get(startKey, "start", "startTime"))
	if err != nil {
		return Segment{}, fmt.Errorf("%s: %w", startKey, err)
	}
	end, okE, err := offset(o.get(endKey, "end", "endTime"))
	if err != nil {
		return Segment{}, fmt.Errorf("%s: %w", endKey, err)
	}
	if !okS || !okE {
		return Segment{}, fmt.Errorf("want both %s and %s", startKey, endKey)
	}
	return Segment{StartSeconds: seconds(start), EndSeconds: seconds(end)}, nil
}
