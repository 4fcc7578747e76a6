package parse_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/parse"
)

const jobID = "88c6ca184c0e432bbf5b665e2a15abcd"

func TestDecodeCheckUpgradesEveryAcceptedShape(t *testing.T) {
	tenant := json.RawMessage(`"tenant=acme"`)
	submit := parse.Request{Check: parse.Check{Version: 1, JobID: jobID, Attempt: 1}, Origin: parse.OriginSubmit}
	tests := []struct {
		file string
		want parse.Request
	}{
		{"check-v1.json", parse.Request{Origin: parse.OriginCheck, Check: parse.Check{
			Version: 1, JobID: jobID, Attempt: 4,
			FirstCheckedAt:  time.Date(2026, 11, 25, 11, 58, 25, 0, time.UTC),
			Deadline:        time.Date(2026, 11, 26, 11, 58, 25, 0, time.UTC),
			ExpectedSeconds: 120, Algorithm: "VideoH2V", LastState: parse.StateAnalysing,
			UserData: json.RawMessage(`{"workflow":"promo-42"}`),
			Callback: json.RawMessage(`{"kind":"cloudflow","taskToken":"tok-1"}`),
		}}},
		{"submit.json", submit},
		{"submit-lowercase.json", submit},
		{"submit-base64.txt", submit},
		{"submit-json-string.json", submit},
		// iprodwatch submit's first check marks a job submitted with a notification (issue 17).
		{"submit-notified.json", parse.Request{Origin: parse.OriginSubmit, Check: parse.Check{Version: 1, JobID: jobID, Attempt: 1, Notified: true}}},
		{"submit-with-hint.json", parse.Request{Origin: parse.OriginSubmit, Check: parse.Check{
			Version: 1, JobID: jobID, Attempt: 1, ExpectedSeconds: 300, UserData: tenant}}},
		{"notification-callback.json", parse.Request{Origin: parse.OriginNotification, NotifiedState: parse.StateSuccess,
			Check: parse.Check{Version: 1, JobID: jobID, Attempt: 1, Algorithm: "VideoGreenScreenMatting", UserData: tenant}}},
		{"notification-caption-no-type.json", parse.Request{Origin: parse.OriginNotification, NotifiedState: parse.StateSuccess,
			Check: parse.Check{Version: 1, JobID: jobID, Attempt: 1, Algorithm: "CaptionExtraction"}}},
		{"notification-generic.json", parse.Request{Origin: parse.OriginNotification, NotifiedState: parse.StateFail,
			Check: parse.Check{Version: 1, JobID: jobID, Attempt: 1}}},
		{"notification-topic-json.json", parse.Request{Origin: parse.OriginNotification, NotifiedState: parse.StateFail,
			Check: parse.Check{Version: 1, JobID: jobID, Attempt: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parse.DecodeCheck(mustRead(t, "../testdata/checks/"+tt.file))
			if err != nil {
				t.Fatalf("DecodeCheck: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeCheckRefusesWithAReason(t *testing.T) {
	tests := []struct {
		name, body string
		target     error
		reason     string
	}{
		{"empty", ``, parse.ErrBadMessage, "empty body"},
		{"not JSON nor base64", `hello topic`, parse.ErrBadMessage, "neither JSON nor base64"},
		{"an array", `[1]`, parse.ErrBadMessage, "want a JSON object"},
		{"no job id", `{"foo":1}`, parse.ErrBadMessage, "no JobId"},
		{"empty job id", `{"JobId":""}`, parse.ErrBadMessage, "empty JobId"},
		{"job id of the wrong type", `{"JobId":123}`, parse.ErrBadMessage, "want a string"},
		{"job ids that disagree", `{"JobId":"a","jobId":"b","State":"Success"}`, parse.ErrBadMessage, "disagree"},
		{"a job id crafted for a URL", `{"JobId":"../x?Action=Delete"}`, parse.ErrInvalidJobID, "invalid job id"},
		{"a future version", `{"v":2,"jobId":"` + jobID + `"}`, parse.ErrBadMessage, "version 2 is not supported"},
		{"a version of the wrong type", `{"v":"1","jobId":"` + jobID + `"}`, parse.ErrBadMessage, "check message"},
		{"a negative attempt", `{"v":1,"jobId":"` + jobID + `","attempt":-1}`, parse.ErrBadMessage, "negative"},
		{"an attempt that would wrap when incremented", `{"v":1,"jobId":"` + jobID + `","attempt":9223372036854775807}`, parse.ErrBadMessage, "attempt 9223372036854775807 is over"},
		{"failures that would wrap when incremented", `{"v":1,"jobId":"` + jobID + `","failures":9223372036854775807}`, parse.ErrBadMessage, "failures 9223372036854775807 is over"},
		{"a time that is a number", `{"v":1,"jobId":"` + jobID + `","firstCheckedAt":1764072000}`, parse.ErrBadMessage, "firstCheckedAt: Time.UnmarshalJSON"},
		{"a time past year 9999", `{"v":1,"jobId":"` + jobID + `","deadline":"99999-01-01T00:00:00Z"}`, parse.ErrBadMessage, "deadline: parsing time"},
		{"a time that is a boolean", `{"v":1,"jobId":"` + jobID + `","stateSince":true}`, parse.ErrBadMessage, "stateSince: Time.UnmarshalJSON"},
		{"a check message without its job id", `{"v":1,"attempt":2}`, parse.ErrBadMessage, "has no jobId"},
		{"a truncated array", `[{"JobId":"` + jobID + `"},`, parse.ErrBadMessage, "not JSON: unexpected end"},
		{"an array nested too deep", strings.Repeat("[", 10001) + strings.Repeat("]", 10001), parse.ErrBadMessage, "not JSON: invalid character '[' exceeded max depth"},
		{"another job type's notification", `{"JobId":"` + jobID + `","Type":"Transcode","State":"Success"}`, parse.ErrBadMessage, `"Transcode" job`},
		{"a negative hint", `{"JobId":"` + jobID + `","expectedSeconds":-5}`, parse.ErrBadMessage, "expectedSeconds"},
		{"notified that is no boolean", `{"JobId":"` + jobID + `","notified":"yes"}`, parse.ErrBadMessage, "notified: want true or false"},
		{"wrapped forever", `"\"\\\"\\\\\\\"x\\\\\\\"\\\"\""`, parse.ErrBadMessage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse.DecodeCheck([]byte(tt.body))
			if !errors.Is(err, tt.target) {
				t.Fatalf("DecodeCheck(%s) = %+v, %v; want an error matching %v", tt.body, got, err, tt.target)
			}
			if tt.reason != "" && !contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not say %q", err, tt.reason)
			}
		})
	}
}

func TestCheckMessageRoundTrips(t *testing.T) {
	want, err := parse.DecodeCheck(mustRead(t, "../testdata/checks/check-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := parse.EncodeCheck(want.Check)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parse.DecodeCheck(b)
	if err != nil {
		t.Fatalf("DecodeCheck(EncodeCheck(...)): %v\n%s", err, b)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(decodeAny(t, mustRead(t, "../testdata/checks/check-v1.json")), decodeAny(t, b)); diff != "" {
		t.Errorf("encoded check differs from the fixture (-fixture +encoded):\n%s", diff)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestACheckMessageNamesOnlyRunningStatesAsLastSeen(t *testing.T) {
	for _, s := range []string{"Bogus", "Success", "Fail"} {
		_, err := parse.DecodeCheck([]byte(`{"v":1,"jobId":"` + jobID + `","lastState":"` + s + `"}`))
		if !errors.Is(err, parse.ErrBadMessage) {
			t.Errorf("lastState %q: err = %v, want ErrBadMessage", s, err)
		}
	}
}
