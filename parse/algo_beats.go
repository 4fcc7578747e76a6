package parse

import (
	"encoding/json"
	"fmt"
)

// BeatResult is the result of AudioBeatDetection: beat and downbeat (strong beat) times in seconds from
// the start of the audio, and the file MPS writes when it names one.
type BeatResult struct {
	BeatSeconds     []float64 `json:"beatSeconds"`
	DownbeatSeconds []float64 `json:"downbeatSeconds"`
	FileURI         string    `json:"fileUri,omitempty"`
}

// parseBeats accepts {"BeatList":[...],"DownBeatList":[...]} (numbers or numeric strings), the same
// object under result, and the file envelope with no lists.
func parseBeats(data json.RawMessage, r *resolver) (any, []File, error) {
	res := BeatResult{BeatSeconds: []float64{}, DownbeatSeconds: []float64{}}
	if len(data) == 0 || string(data) == "{}" {
		return res, nil, nil
	}
	o, ok := asObject(data)
	if !ok {
		return res, nil, errShape(data, `{"BeatList":[...],"DownBeatList":[...]}`)
	}
	lists := o
	if inner, ok := asObject(o.get("result")); ok && (inner.get("BeatList") != nil || inner.get("DownBeatList") != nil) {
		lists = inner
	}
	beats, downbeats := lists.get("BeatList", "beats"), lists.get("DownBeatList", "downbeats")
	_, hasFiles := envelope(data)
	if beats == nil && downbeats == nil && !hasFiles {
		return res, nil, errShape(data, `{"BeatList":[...],"DownBeatList":[...]}`)
	}
	files := r.envelopeFiles(data, RoleResult)
	res.FileURI = first(files, RoleResult)
	var err error
	if res.BeatSeconds, err = secondsList(beats); err != nil {
		return res, files, fmt.Errorf("BeatList: %w", err)
	}
	if res.DownbeatSeconds, err = secondsList(downbeats); err != nil {
		return res, files, fmt.Errorf("DownBeatList: %w", err)
	}
	return res, files, nil
}

// secondsList reads an array of times in seconds; absent gives an empty list.
func secondsList(raw json.RawMessage) ([]float64, error) {
	out := []float64{}
	if isNull(raw) {
		return out, nil
	}
	entries, ok := asArray(raw)
	if !ok {
		return out, fmt.Errorf("want an array, got %s", kind(raw))
	}
	for i, e := range entries {
		v, ok, err := offset(e)
		if err != nil {
			return out, fmt.Errorf("entry %d: %w", i, err)
		}
		if ok {
			out = append(out, seconds(v))
		}
	}
	return out, nil
}
