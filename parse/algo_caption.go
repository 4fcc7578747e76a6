package parse

import (
	"encoding/json"
	"path"
	"strings"
)

// CaptionResult is the result of CaptionExtraction: one SRT file, or one per language when the job
// was submitted with sep:true.
type CaptionResult struct {
	Captions []Caption `json:"captions"`
}

// Caption is one subtitle file.
type Caption struct {
	URI      string `json:"uri"`
	Language string `json:"language,omitempty"` // "zh" or "en" when the file name says (sep:true)
}

func parseCaptions(data json.RawMessage, r *resolver) (any, []File, error) {
	res := CaptionResult{Captions: []Caption{}}
	files, err := mediaFiles(data, r)
	for i := range files {
		if files[i].Role != RoleResult {
			continue
		}
		files[i].Role = RoleCaption
		files[i].Language = captionLanguage(files[i].where())
		res.Captions = append(res.Captions, Caption{URI: files[i].where(), Language: files[i].Language})
	}
	return res, files, err
}

// captionLanguage reads the {resultType} MPS substitutes into the Output name with sep:true: "zh" or
// "en" as a word of the file's base name (ep07-1699123456-zh.srt).
func captionLanguage(key string) string {
	base := strings.ToLower(path.Base(key))
	base = strings.TrimSuffix(base, path.Ext(base))
	words := strings.FieldsFunc(base, func(c rune) bool { return c == '-' || c == '_' || c == '.' })
	for i := len(words) - 1; i >= 0; i-- {
		if words[i] == "zh" || words[i] == "en" {
			return words[i]
		}
	}
	return ""
}
