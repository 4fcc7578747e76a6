package parse

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode"
)

// Role says what an output file is to the workflow that consumes it.
type Role string

// The roles a file can have. A file with no more specific role is the job's result.
const (
	RoleResult  Role = "result"  // the produced media
	RoleOrigin  Role = "origin"  // a copy or preview of the source next to the result (ImageCartoonize)
	RoleCover   Role = "cover"   // a thumbnail chosen by Cover
	RoleCaption Role = "caption" // a subtitle file written by CaptionExtraction
	RoleAlpha   Role = "alpha"   // matting output that keeps an alpha channel (WEBM, no background)
)

// File is one output file of a job.
type File struct {
	Role Role `json:"role"`
	// URI is the full location, oss://<bucket>/<key> for OSS objects (as ossutil writes it).
	URI string `json:"uri,omitempty"`
	// Key is set instead of URI only when the file is a relative key and the job's Output names no
	// bucket to resolve it against.
	Key      string `json:"key,omitempty"`
	Endpoint string `json:"endpoint,omitempty"` // OSS endpoint, when the URI it came from named one
	Region   string `json:"region,omitempty"`   // OSS region, when the endpoint names one
	Language string `json:"language,omitempty"` // caption language, "zh" or "en", when the key says
}

// resolver turns the file values found in Data into Files, against the job's Output location, and
// collects warnings about values that are not files.
type resolver struct {
	output   Location
	hasOut   bool
	warnings []string
	unsaved  int // file entries that are not object keys: outputs MPS says it did not write
}

func newResolver(output string) *resolver {
	loc, ok := parseOSS(strings.TrimSpace(output))
	return &resolver{output: loc, hasOut: ok}
}

func (r *resolver) warn(format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

// resolve makes a File of a value from Data. A value with a scheme is normalised; anything else is a key
// relative to the root of the Output bucket (not to the Output directory: MPS's only documented example
// writes iproduction/... keys for an Output under iproduction/). ok is false for a value that is not a
// file, such as the "oss fail to save the image in the given bucket" text MPS writes on a region mix-up.
func (r *resolver) resolve(role Role, value string) (File, bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return File{}, false
	}
	if strings.ContainsFunc(v, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }) {
		r.warn("file entry %.120q is not an object key; the output may not have been written", v)
		r.unsaved++
		return File{}, false
	}
	if strings.Contains(v, "://") {
		if loc, ok := parseOSS(v); ok {
			return File{Role: role, URI: loc.URI(), Endpoint: loc.Endpoint, Region: loc.Region}, true
		}
		return File{Role: role, URI: v}, true
	}
	key := strings.TrimPrefix(v, "/")
	if !r.hasOut {
		r.warn("file %.120q is relative and the job's Output names no bucket", key)
		return File{Role: role, Key: key}, true
	}
	loc := r.output
	loc.Key = key
	return File{Role: role, URI: loc.URI(), Endpoint: loc.Endpoint, Region: loc.Region}, true
}

// fileRole refines role from the file's name: MPS names the source copy "...-origin.<ext>".
func fileRole(value string, role Role) Role {
	base := strings.ToLower(path.Base(value))
	if strings.Contains(base, "-origin.") || strings.Contains(base, "_origin.") {
		return RoleOrigin
	}
	return role
}

// object is a JSON object whose keys are looked up without regard to case, as MPS and IMS disagree on
// case (Url/url, StartTime/startTime).
type object map[string]json.RawMessage

// asObject decodes raw as an object; ok is false for anything else.
func asObject(raw json.RawMessage) (object, bool) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, false
	}
	return o, true
}

// asArray decodes raw as an array; ok is false for anything else.
func asArray(raw json.RawMessage) ([]json.RawMessage, bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, false
	}
	return a, true
}

// get returns the first of names present, compared case-insensitively; nil when none is.
func (o object) get(names ...string) json.RawMessage {
	for _, n := range names {
		if v, ok := o[n]; ok {
			return v
		}
	}
	keys := slices.Sorted(maps.Keys(o)) // deterministic when keys differ only in case
	for _, n := range names {
		for _, k := range keys {
			if strings.EqualFold(k, n) {
				return o[k]
			}
		}
	}
	return nil
}

// fileKeys are the keys under which MPS and IMS name a file in a Data entry.
func fileKeys() []string { return []string{"file", "url", "uri", "fileUrl", "object"} }

// fileValue reads the file named by an entry: a bare string, or an object with a file key.
func fileValue(entry json.RawMessage) (string, bool) {
	if s, err := optString(entry); err == nil {
		return s, s != ""
	}
	o, ok := asObject(entry)
	if !ok {
		return "", false
	}
	s, err := optString(o.get(fileKeys()...))
	return s, err == nil && s != ""
}

// envelope returns the entries of the file envelope {"result":[...]}, also accepting a bare array and a
// single entry in place of the array. ok is false when data has no such list.
func envelope(data json.RawMessage) ([]json.RawMessage, bool) {
	if a, ok := asArray(data); ok {
		return a, true
	}
	o, ok := asObject(data)
	if !ok {
		return nil, false
	}
	list := o.get("result", "results", "files")
	if a, ok := asArray(list); ok {
		return a, true
	}
	if _, ok := asObject(list); ok {
		return []json.RawMessage{list}, true
	}
	return nil, false
}

// envelopeFiles resolves every entry of the file envelope in data, with role (refined by name).
func (r *resolver) envelopeFiles(data json.RawMessage, role Role) []File {
	entries, _ := envelope(data)
	var files []File
	for _, e := range entries {
		v, ok := fileValue(e)
		if !ok {
			continue
		}
		if f, ok := r.resolve(fileRole(v, role), v); ok {
			files = append(files, f)
		}
	}
	return files
}

// first returns the URI (or, unresolved, the key) of the first file with role.
func first(files []File, role Role) string {
	for _, f := range files {
		if f.Role == role {
			return f.where()
		}
	}
	return ""
}

func (f File) where() string {
	if f.URI != "" {
		return f.URI
	}
	return f.Key
}
