package parse

import (
	"encoding/json"
	"slices"
	"strings"
)

// maxScanDepth bounds the walk through an unknown algorithm's Data; deeper values are not searched
// for files (they are still passed through whole in rawData).
const maxScanDepth = 16

// scanFiles collects the files an algorithm we do not know names, wherever a file key holds a string:
// its Data passes through raw, but a workflow can still find its outputs in files.
func scanFiles(data json.RawMessage, r *resolver) []File {
	var files []File
	var walk func(v json.RawMessage, depth int)
	walk = func(v json.RawMessage, depth int) {
		if depth > maxScanDepth {
			return
		}
		if a, ok := asArray(v); ok {
			for _, e := range a {
				walk(e, depth+1)
			}
			return
		}
		o, ok := asObject(v)
		if !ok {
			return
		}
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if isFileKey(k) {
				if s, err := optString(o[k]); err == nil && s != "" {
					if f, ok := r.resolve(fileRole(s, RoleResult), s); ok {
						files = append(files, f)
					}
					continue
				}
			}
			walk(o[k], depth+1)
		}
	}
	walk(data, 0)
	return files
}

func isFileKey(k string) bool {
	return slices.ContainsFunc(fileKeys(), func(n string) bool { return strings.EqualFold(n, k) })
}
