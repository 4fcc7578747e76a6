package parse

import (
	"encoding/json"
	"path"
	"strings"
)

// MattingResult is the result of VideoGreenScreenMatting: an MP4 with the background replaced (the
// job named bgimage), or a WEBM that keeps an alpha channel (it did not).
type MattingResult struct {
	VideoURI     string `json:"videoUri,omitempty"`
	AlphaChannel bool   `json:"alphaChannel"`
}

func parseMatting(data json.RawMessage, r *resolver) (any, []File, error) {
	files, err := mediaFiles(data, r)
	var res MattingResult
	for i := range files {
		if files[i].Role != RoleResult {
			continue
		}
		if strings.EqualFold(path.Ext(files[i].where()), ".webm") {
			files[i].Role = RoleAlpha
			res.AlphaChannel = true
		}
		if res.VideoURI == "" {
			res.VideoURI = files[i].where()
		}
	}
	return res, files, err
}
