package handler

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestADeadLetterFitsOneMessageHoweverItsBodyEscapes(t *testing.T) {
	tests := []struct {
		name string
		body string
		text bool // kept as text (else base64)
	}{
		{"a short body", `{"JobId":"x y"}`, true},
		{"HTML characters, six bytes each if escaped", strings.Repeat("<", 60000), true},
		{"quotes and backslashes, two bytes each", strings.Repeat(`\"`, 30000), true},
		{"line separators, which JSON always escapes", strings.Repeat("\u2028", 20000), true},
		{"multi-byte text cut on a character boundary", strings.Repeat("é", 40000), true},
		{"control characters, as base64", strings.Repeat("\x01", 70000), false},
		{"invalid UTF-8, as base64", strings.Repeat("\xff", 1<<20), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := fitDeadLetter(DeadLetter{V: 1, Reason: strings.Repeat(`"`, 4<<10), Trigger: "direct"}, []byte(tt.body), MaxMessage)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > MaxMessage {
				t.Fatalf("dead letter is %d bytes, over %d", len(b), MaxMessage)
			}
			var dl DeadLetter
			if err := json.Unmarshal(b, &dl); err != nil {
				t.Fatal(err)
			}
			kept := []byte(dl.Body)
			if !tt.text {
				if kept, err = base64.StdEncoding.DecodeString(dl.BodyBase64); err != nil {
					t.Fatal(err)
				}
			}
			if (dl.Body != "") != tt.text || len(kept) == 0 || !bytes.HasPrefix([]byte(tt.body), kept) || !utf8.Valid([]byte(dl.Body)) {
				t.Errorf("kept %d bytes as text=%v; want a non-empty prefix of the body, as text=%v", len(kept), dl.Body != "", tt.text)
			}
			if dl.BodyTruncated != (len(kept) < len(tt.body)) {
				t.Errorf("bodyTruncated = %v with %d of %d bytes kept", dl.BodyTruncated, len(kept), len(tt.body))
			}
			if len(tt.body) > 1000 && len(kept) < 8<<10 {
				t.Errorf("only %d bytes kept: the cut should keep what fits", len(kept))
			}
		})
	}
}

// On the smallest queue MNS allows, the reason is cut too: a 4 KiB reason of quotes (8 KiB
// escaped) beside a body still makes a dead letter of at most MinMessage bytes, with what fits of
// both.
func TestADeadLetterFitsTheSmallestQueue(t *testing.T) {
	reason := strings.Repeat(`"`, 4<<10)
	b, err := fitDeadLetter(DeadLetter{V: 1, Reason: reason, Trigger: "direct", JobID: strings.Repeat("j", 128)}, []byte(strings.Repeat("x", 8000)), MinMessage)
	if err != nil {
		t.Fatal(err)
	}
	var dl DeadLetter
	if err := json.Unmarshal(b, &dl); err != nil {
		t.Fatal(err)
	}
	if len(b) > MinMessage || !dl.BodyTruncated || dl.Body == "" || dl.Reason == "" || !strings.HasPrefix(reason, strings.TrimSuffix(dl.Reason, "...")) {
		t.Errorf("dead letter of %d bytes (limit %d), reason %d bytes, body %d bytes, truncated %v", len(b), MinMessage, len(dl.Reason), len(dl.Body), dl.BodyTruncated)
	}
}
