package parse

import (
	_ "embed"
	"slices"
)

//go:embed schema/event.v1.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of the event, named by DataSchema: one $defs entry
// per algorithm describes its result. The caller owns the returned copy.
func Schema() []byte { return slices.Clone(schema) }
