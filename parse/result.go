package parse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// maxUnwrap bounds how many layers of "JSON inside a JSON string" are peeled off. MPS uses two (Result,
// then Data); one more is tolerated, and a hostile input cannot make the decoder loop.
const maxUnwrap = 3

// decodeResult decodes Result as MPS sends it: absent, null, "", a JSON string holding the envelope, or
// the envelope as an object (the documentation's rendering).
func decodeResult(raw json.RawMessage) (*Result, error) {
	v, err := unwrap(raw)
	if err != nil {
		return nil, malformed("Result: %v", err)
	}
	if v == nil {
		return nil, nil
	}
	if v[0] != '{' {
		return nil, malformed("Result: want an object or a JSON string holding one, got %s", kind(v))
	}
	var env struct {
		Code    json.RawMessage `json:"Code"`
		Message json.RawMessage `json:"Message"`
		Data    json.RawMessage `json:"Data"`
	}
	if err := json.Unmarshal(v, &env); err != nil {
		return nil, malformed("Result: %v", err)
	}
	r := &Result{}
	if r.Code, err = optString(env.Code); err != nil {
		return nil, malformed("Result.Code: %v", err)
	}
	if r.Message, err = optString(env.Message); err != nil {
		return nil, malformed("Result.Message: %v", err)
	}
	if r.Data, err = decodeData(env.Data); err != nil {
		return nil, malformed("Result.Data: %v", err)
	}
	return r, nil
}

// decodeData peels string layers off Data. A string that is not JSON is kept as a JSON string value:
// an algorithm may well answer with plain text, and nothing is dropped.
func decodeData(raw json.RawMessage) (json.RawMessage, error) {
	v, err := peel(raw, true)
	if v == nil || err != nil {
		return nil, err
	}
	return compact(v), nil
}

// unwrap peels string layers off Result; unlike Data, a string that is not JSON is an error.
func unwrap(raw json.RawMessage) (json.RawMessage, error) { return peel(raw, false) }

// peel removes up to maxUnwrap layers of "JSON text inside a JSON string". It returns nil for absent,
// null and blank values. A string whose text is not JSON is returned as the string itself when
// keepText is set, else it is an error.
func peel(raw json.RawMessage, keepText bool) (json.RawMessage, error) {
	v := bytes.TrimSpace(raw)
	for range maxUnwrap {
		if isNull(v) {
			return nil, nil
		}
		if v[0] != '"' {
			return v, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, err
		}
		t := strings.TrimSpace(s)
		switch {
		case t == "":
			return nil, nil
		case json.Valid([]byte(t)):
			v = json.RawMessage(t)
		case keepText:
			return v, nil
		default:
			return nil, fmt.Errorf("string is not JSON: %.60q", s)
		}
	}
	return v, nil
}

// compact returns raw without insignificant white space, so equal values give equal events.
func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

// kind names the JSON type of raw for error messages.
func kind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

func errWantString(raw json.RawMessage) error {
	return fmt.Errorf("want a string, got %s", kind(raw))
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
