package triggertest

import (
	"bytes"
	"encoding/json"
)

// marshalCompact encodes v as compact JSON without Go's HTML escaping of <, > and &, which the
// cloud's (non-Go) encoders do not do; event bodies are full of JSON and URLs.
func marshalCompact(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only our own structs of strings and numbers reach here.
		panic("triggertest: encoding an event: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
