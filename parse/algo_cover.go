package parse

import (
	"encoding/json"
	"fmt"
)

// CoverResult is the result of Cover (smart thumbnail): the covers in the order MPS ranks them.
type CoverResult struct {
	Covers []Cover `json:"covers"`
}

// Cover is one thumbnail.
type Cover struct {
	URI   string   `json:"uri,omitempty"`
	Score *float64 `json:"score,omitempty"` // MPS's confidence; higher is better
	// TimeSeconds is where in the video the frame was taken, converted from MPS's milliseconds.
	TimeSeconds *float64 `json:"timeSeconds,omitempty"`
}

// parseCover accepts [{"Score","Time","Url"}] (Time in milliseconds, as a string or a number) and the
// file envelope {"result":[{"file","score","time"}]}.
func parseCover(data json.RawMessage, r *resolver) (any, []File, error) {
	res := CoverResult{Covers: []Cover{}}
	if len(data) == 0 {
		return res, nil, nil
	}
	entries, ok := envelope(data)
	if !ok {
		return res, nil, errShape(data, `an array of {"Score","Time","Url"}`)
	}
	var files []File
	for i, e := range entries {
		var c Cover
		if v, ok := fileValue(e); ok {
			if f, ok := r.resolve(RoleCover, v); ok {
				files = append(files, f)
				c.URI = f.where()
			}
		}
		if o, ok := asObject(e); ok {
			var err error
			if c.Score, err = optNumber(o.get("Score")); err != nil {
				return res, files, fmt.Errorf("cover %d Score: %w", i, err)
			}
			ms, ok, err := offset(o.get("Time"))
			if err != nil {
				return res, files, fmt.Errorf("cover %d Time: %w", i, err)
			}
			if ok {
				s := msToSeconds(ms)
				c.TimeSeconds = &s
			}
		}
		if c != (Cover{}) {
			res.Covers = append(res.Covers, c)
		}
	}
	return res, files, nil
}
