package triggertest

import "iprodwatch/parse"

// marshalCompact encodes v as the cloud's (non-Go) encoders do: compact, without escaping <, > and &
// (parse.Marshal, the one such encoder); event bodies are full of JSON and URLs.
func marshalCompact(v any) []byte {
	b, err := parse.Marshal(v)
	if err != nil {
		// Only our own structs of strings and numbers reach here.
		panic("triggertest: encoding an event: " + err.Error())
	}
	return b
}
