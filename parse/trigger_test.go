package parse_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/parse"
)

// summary is what a trigger test compares for each message: its id, its job (or why it is bad)
// and the shape it came in.
type summary struct {
	ID, JobID string
	Origin    parse.Origin
	Attempt   int
	SentAt    string // RFC 3339, "" when the trigger tells none
	Err       string // a substring of the error; "" when the message is good
}

func summarise(t *parse.Trigger) []summary {
	var out []summary
	for _, m := range t.Messages {
		s := summary{ID: m.ID}
		if !m.SentAt.IsZero() {
			s.SentAt = m.SentAt.Format(time.RFC3339Nano)
		}
		if m.Err != nil {
			s.Err = m.Err.Error()
		} else {
			s.JobID, s.Origin, s.Attempt = m.Request.Check.JobID, m.Request.Origin, m.Request.Check.Attempt
		}
		out = append(out, s)
	}
	return out
}

const otherJobID = "5d41402abc4b2a76b9719d911017c592"

func TestDecodeTriggerFollowsThePrecedenceTable(t *testing.T) {
	submit := summary{JobID: jobID, Origin: parse.OriginSubmit, Attempt: 1}
	tests := []struct {
		file string
		kind parse.TriggerKind
		want []summary
	}{
		{"direct-check.json", parse.TriggerDirect, []summary{{JobID: jobID, Origin: parse.OriginCheck, Attempt: 2}}},
		{"direct-submit.json", parse.TriggerDirect, []summary{submit}},
		{"direct-batch.json", parse.TriggerDirect, []summary{
			submit,
			{JobID: otherJobID, Origin: parse.OriginCheck, Attempt: 3},
			{Err: "no JobId"},
		}},
		{"eventbridge-mixed-batch.json", parse.TriggerEventBridge, []summary{
			{ID: "0A1B2C3D4E5F60718293A4B5C6D70001", JobID: jobID, Origin: parse.OriginSubmit, Attempt: 1, SentAt: "2026-05-01T04:00:00.123Z"},
			{ID: "0A1B2C3D4E5F60718293A4B5C6D70002", Err: "neither JSON nor base64", SentAt: "2026-05-01T04:00:00.123Z"},
			{Err: "batch element 2 is a number"},
			{ID: "0A1B2C3D4E5F60718293A4B5C6D70003", JobID: otherJobID, Origin: parse.OriginCheck, Attempt: 5, SentAt: "2026-05-01T04:00:00.123Z"},
		}},
		{"eventbridge-single.json", parse.TriggerEventBridge, []summary{
			{ID: "4D65822107FCFD520000000000000001", JobID: jobID, Origin: parse.OriginSubmit, Attempt: 1, SentAt: "2026-05-01T04:00:00.123Z"}}},
		{"eventbridge-batch.json", parse.TriggerEventBridge, []summary{
			{ID: "4D65822107FCFD520000000000000001", JobID: jobID, Origin: parse.OriginSubmit, Attempt: 1, SentAt: "2026-05-01T04:00:00.123Z"},
			{ID: "78629A0F5F3F164F0000000000000002", JobID: jobID, Origin: parse.OriginCheck, Attempt: 2, SentAt: "2026-05-01T04:00:00.246Z"},
			{ID: "D5104DC76695721D0000000000000003", JobID: "5d0f2b7a9e1c4f3a8b6d2e4f6a8c0e12", Origin: parse.OriginCheck, Attempt: 1, SentAt: "2026-05-01T04:00:00.369Z"},
		}},
		{"eventbridge-rawdata.json", parse.TriggerEventBridge, []summary{
			{ID: "4D65822107FCFD520000000000000001", JobID: jobID, Origin: parse.OriginCheck, Attempt: 2},
			{ID: "78629A0F5F3F164F0000000000000002", JobID: "5d0f2b7a9e1c4f3a8b6d2e4f6a8c0e12", Origin: parse.OriginCheck, Attempt: 1},
		}},
		{"topic-json.json", parse.TriggerTopic, []summary{{ID: "4D65822107FCFD520000000000000001", JobID: jobID, Origin: parse.OriginSubmit, Attempt: 1, SentAt: "2026-05-01T04:00:00.456Z"}}},
		{"topic-stream.txt", parse.TriggerDirect, []summary{{JobID: jobID, Origin: parse.OriginCheck, Attempt: 2}}},
		{"topic-stream-attrs.json", parse.TriggerTopic, []summary{submit}},
		{"stream-base64.txt", parse.TriggerStream, []summary{submit}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parse.DecodeTrigger(mustRead(t, "../testdata/triggers/"+tt.file))
			if err != nil {
				t.Fatalf("DecodeTrigger: %v", err)
			}
			if got.Kind != tt.kind {
				t.Errorf("kind = %s, want %s", got.Kind, tt.kind)
			}
			gotS := summarise(got)
			for i := range gotS {
				if i < len(tt.want) && tt.want[i].Err != "" && strings.Contains(gotS[i].Err, tt.want[i].Err) {
					gotS[i].Err = tt.want[i].Err
				}
			}
			if diff := cmp.Diff(tt.want, gotS); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeTriggerReadsTheTimerEvent(t *testing.T) {
	got, err := parse.DecodeTrigger(mustRead(t, "../testdata/triggers/timer.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := &parse.Trigger{Kind: parse.TriggerTimer, Timer: &parse.TimerEvent{
		TriggerTime: time.Date(2026, 5, 1, 4, 5, 0, 0, time.UTC), TriggerName: "iprodwatch-sweep", Payload: `{"mode":"sweep"}`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDecodeTriggerRefusesUnknownShapes(t *testing.T) {
	tests := []struct{ name, payload string }{
		{"an object with no distinguishing field", string(mustRead(t, "../testdata/triggers/unknown-object.json"))},
		{"empty", ""},
		{"an empty array", "[]"},
		{"a number", "42"},
		{"null", "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse.DecodeTrigger([]byte(tt.payload))
			if !errors.Is(err, parse.ErrUnknownTrigger) {
				t.Errorf("DecodeTrigger(%q) = %+v, %v; want ErrUnknownTrigger", tt.payload, got, err)
			}
		})
	}
}

func TestBadMessagesKeepTheirBodyForTheDeadLetterQueue(t *testing.T) {
	got, err := parse.DecodeTrigger(mustRead(t, "../testdata/triggers/direct-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	bad := got.Messages[2]
	if !errors.Is(bad.Err, parse.ErrBadMessage) || string(bad.Body) != `{"foo":1}` {
		t.Errorf("bad message = %q, %v; want its own body and ErrBadMessage", bad.Body, bad.Err)
	}
}

func TestAWholePayloadMessageKeepsTheBytesAsDelivered(t *testing.T) {
	tests := []struct{ name, payload string }{
		{"a check request with a trailing newline", `{"JobId":"x y"}` + "\n"},
		{"a JSON string with surrounding white space", ` "garbage" ` + "\r\n"},
		{"text with a trailing newline", "not a check\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse.DecodeTrigger([]byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Messages) != 1 || string(got.Messages[0].Body) != tt.payload || got.Messages[0].Err == nil {
				t.Errorf("messages %+v, want one bad message whose body is the payload %q", got.Messages, tt.payload)
			}
		})
	}
}

func TestASingleEventWithLeadingWhiteSpaceIsRead(t *testing.T) {
	payload := append([]byte("\n  "), mustRead(t, "../testdata/triggers/eventbridge-single.json")...)
	got, err := parse.DecodeTrigger(payload)
	if err != nil || got.Kind != parse.TriggerEventBridge || got.Messages[0].Err != nil {
		t.Fatalf("DecodeTrigger = %+v, %v", got, err)
	}
}
