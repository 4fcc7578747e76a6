package parse_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/parse"
)

func TestEventIDIsDeterministicPerJobAndOutcome(t *testing.T) {
	const job = "88c6ca184c0e432bbf5b665e2a15abcd"
	// Pinned, and equal to Python's uuid.uuid5(namespace, "<job>/succeeded"): an id that changes
	// between versions breaks deduplication for consumers.
	if got, want := parse.EventID(job, parse.OutcomeSucceeded), "dae40388-c47c-5a31-a40f-d508df36cf32"; got != want {
		t.Errorf("EventID(%s, succeeded) = %s, want %s", job, got, want)
	}
	uuidV5 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]parse.Outcome{}
	for _, o := range []parse.Outcome{parse.OutcomeSucceeded, parse.OutcomeFailed, parse.OutcomeTimedOut} {
		id := parse.EventID(job, o)
		if !uuidV5.MatchString(id) {
			t.Errorf("EventID(%s) = %q, not a version 5 UUID", o, id)
		}
		if id != parse.EventID(job, o) {
			t.Errorf("EventID(%s) is not deterministic", o)
		}
		if other, dup := seen[id]; dup {
			t.Errorf("outcomes %s and %s share id %s", other, o, id)
		}
		seen[id] = o
	}
	if parse.EventID(job, parse.OutcomeSucceeded) == parse.EventID(job+"x", parse.OutcomeSucceeded) {
		t.Error("two jobs share an id")
	}
	if parse.EventID(strings.ToUpper(job), parse.OutcomeFailed) != parse.EventID(job, parse.OutcomeFailed) {
		t.Error("the casing of the job id changes the event id")
	}
}

func TestOutcomesFitTheMNSMessageTag(t *testing.T) {
	for _, o := range []parse.Outcome{parse.OutcomeSucceeded, parse.OutcomeFailed, parse.OutcomeTimedOut} {
		if len(o) > 16 {
			t.Errorf("outcome %q is longer than the 16 characters a MessageTag may hold", o)
		}
		if got, want := parse.EventType(o), "iprodwatch.job."+string(o)+".v1"; got != want {
			t.Errorf("EventType(%s) = %s, want %s", o, got, want)
		}
	}
}

func TestSourceLeavesUnknownSegmentsEmpty(t *testing.T) {
	tests := []struct{ region, account, want string }{
		{"cn-shanghai", "1234567890123456", "acs:mts:cn-shanghai:1234567890123456:iproduction"},
		{"", "", "acs:mts:::iproduction"},
		{"cn-beijing", "", "acs:mts:cn-beijing::iproduction"},
	}
	for _, tt := range tests {
		if got := parse.Source(tt.region, tt.account); got != tt.want {
			t.Errorf("Source(%q, %q) = %q, want %q", tt.region, tt.account, got, tt.want)
		}
	}
}

func TestJobOutcome(t *testing.T) {
	tests := []struct {
		name   string
		job    parse.Job
		want   parse.Outcome
		wantOK bool
	}{
		{"Queuing is not final", parse.Job{State: parse.StateQueuing}, "", false},
		{"Analysing is not final", parse.Job{State: parse.StateAnalysing}, "", false},
		{"Success without Result succeeded", parse.Job{State: parse.StateSuccess}, parse.OutcomeSucceeded, true},
		{"Success with Code Success succeeded", parse.Job{State: parse.StateSuccess, Result: &parse.Result{Code: "Success"}}, parse.OutcomeSucceeded, true},
		{"Success with Code in another case succeeded", parse.Job{State: parse.StateSuccess, Result: &parse.Result{Code: "success"}}, parse.OutcomeSucceeded, true},
		{"Success with another Code failed", parse.Job{State: parse.StateSuccess, Result: &parse.Result{Code: "InternalError"}}, parse.OutcomeFailed, true},
		{"Fail failed", parse.Job{State: parse.StateFail}, parse.OutcomeFailed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parse.JobOutcome(&tt.job)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("JobOutcome = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestSameJobGivesSameEventWhateverTheResultRendering(t *testing.T) {
	// The fast path and the polling chain may see the same job through different code paths; the id
	// and the meaning must not change.
	a, err := parse.DecodeJob(mustRead(t, "../testdata/mps/ImageCartoonize/success.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := parse.DecodeJob(mustRead(t, "../testdata/mps/ImageCartoonize/success-object.json"))
	if err != nil {
		t.Fatal(err)
	}
	b.JobID, b.RequestID = a.JobID, a.RequestID
	ea, err := parse.NewEvent(a, fixedParams())
	if err != nil {
		t.Fatal(err)
	}
	eb, err := parse.NewEvent(b, fixedParams())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ea, eb); diff != "" {
		t.Errorf("events differ (-string rendering +object rendering):\n%s", diff)
	}
}

func TestUnreadableResultIsReportedNotRefused(t *testing.T) {
	body := `{"RequestId":"R","JobId":"88c6ca184c0e432bbf5b665e2a15abcd","FunctionName":"MusicSegmentDetect",` +
		`"State":"Success","Result":{"Code":"Success","Data":{"chorus":"at 0:48"}}}`
	job, err := parse.DecodeJob([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	e, err := parse.NewEvent(job, fixedParams())
	if err != nil {
		t.Fatalf("NewEvent refused a success whose Data it cannot read: %v", err)
	}
	if e.Outcome != parse.OutcomeSucceeded {
		t.Errorf("outcome = %s, want succeeded", e.Outcome)
	}
	if !strings.Contains(e.Data.ResultError, `{"chorus":"at 0:48"}`) {
		t.Errorf("resultError = %q, want it to quote the Data it could not read", e.Data.ResultError)
	}
	if got, want := string(e.Data.RawData), `{"chorus":"at 0:48"}`; got != want {
		t.Errorf("rawData = %s, want %s", got, want)
	}
	b, err := parse.EncodeEvent(e, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := mustValidator(t).Validate(b); err != nil {
		t.Errorf("event does not follow the schema: %v", err)
	}
}

func TestEventRefusals(t *testing.T) {
	queuing, err := parse.DecodeJob(mustRead(t, "../testdata/mps/VideoH2V/queuing.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parse.NewEvent(queuing, fixedParams()); !errors.Is(err, parse.ErrNotFinal) {
		t.Errorf("NewEvent(Queuing) err = %v, want ErrNotFinal", err)
	}
	done, err := parse.DecodeJob(mustRead(t, "../testdata/mps/VideoH2V/success.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parse.NewTimedOutEvent(done.JobID, done, fixedParams()); !errors.Is(err, parse.ErrFinal) {
		t.Errorf("NewTimedOutEvent(Success) err = %v, want ErrFinal", err)
	}
	if _, err := parse.NewTimedOutEvent("../x", nil, fixedParams()); !errors.Is(err, parse.ErrInvalidJobID) {
		t.Errorf("NewTimedOutEvent(bad id) err = %v, want ErrInvalidJobID", err)
	}
}

// TestGoldenEventsRoundTrip follows aws-lambda-go's event tests: decode a fixture into the event type,
// encode it again, and compare the JSON. Consumers decode our events with this type.
func TestGoldenEventsRoundTrip(t *testing.T) {
	files, err := filepath.Glob("../testdata/events/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden events: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, "../testdata/events/"), func(t *testing.T) {
			in := mustRead(t, f)
			var e parse.Event
			if err := json.Unmarshal(in, &e); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			out, err := parse.EncodeEvent(&e, "")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(decodeAny(t, in), decodeAny(t, out)); diff != "" {
				t.Errorf("round trip changed the event (-in +out):\n%s", diff)
			}
		})
	}
}

func TestEventUnmarshalRejectsMalformedJSON(t *testing.T) {
	var e parse.Event
	var syntax *json.SyntaxError
	if err := json.Unmarshal([]byte(`{"specversion":"1.0",`), &e); !errors.As(err, &syntax) {
		t.Errorf("err = %v, want *json.SyntaxError", err)
	}
}

func TestHugeMediaTimesStillEncode(t *testing.T) {
	// Rounding 1e303 to the microsecond would overflow to an infinity, which JSON cannot carry.
	job := &parse.Job{JobID: jobID, FunctionName: "AudioBeatDetection", State: parse.StateSuccess,
		Result: &parse.Result{Code: "Success", Data: []byte(`{"BeatList":[1e303],"DownBeatList":[]}`)}}
	e, err := parse.NewEvent(job, fixedParams())
	if err != nil {
		t.Fatal(err)
	}
	b, err := parse.EncodeEvent(e, "")
	if err != nil {
		t.Fatalf("EncodeEvent: %v", err)
	}
	if err := mustValidator(t).Validate(b); err != nil {
		t.Error(err)
	}
}

// A timed-out event built from what the check remembers is the one built from an answer holding
// only those fields.
func TestATimedOutEventFromTheCheckIsTheOneFromItsLastState(t *testing.T) {
	const job = "88c6ca184c0e432bbf5b665e2a15abcd"
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	p := parse.Params{Region: "cn-shanghai", Account: "1", Time: now, Checks: parse.Checks{Attempts: 7, FirstCheckedAt: now.Add(-24 * time.Hour), DetectedAt: now}}
	for _, c := range []parse.Check{
		{JobID: job, Algorithm: "Cover", LastState: parse.StateAnalysing},
		{JobID: job},
	} {
		got, err := parse.NewTimedOutEventFromCheck(c, p)
		if err != nil {
			t.Fatal(err)
		}
		var last *parse.Job
		if c.LastState != "" {
			last = &parse.Job{JobID: job, FunctionName: c.Algorithm, State: c.LastState}
		}
		want, err := parse.NewTimedOutEvent(job, last, p)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("lastState %q (-want +got):\n%s", c.LastState, diff)
		}
	}
	if _, err := parse.NewTimedOutEventFromCheck(parse.Check{JobID: job, LastState: parse.StateSuccess}, p); !errors.Is(err, parse.ErrFinal) {
		t.Errorf("a final last state: %v, want ErrFinal", err)
	}
}

// Issue 16: a job MPS calls Success whose output it could not write (the "oss fail to save"
// entry) was a plain succeeded event, and a consumer filtering on succeeded expects a file. The
// outputmissing extension attribute says so without reading data.
func TestASuccessWithoutItsOutputSaysSo(t *testing.T) {
	tests := []struct {
		fixture string
		want    bool
	}{
		{"../testdata/mps/ImageH2V/oss-fail-to-save.json", true},
		{"../testdata/mps/ImageH2V/success.json", false},
		{"../testdata/mps/Cover/success.json", false},
	}
	for _, tt := range tests {
		job, err := parse.DecodeJob(mustRead(t, tt.fixture))
		if err != nil {
			t.Fatal(err)
		}
		e, err := parse.NewEvent(job, fixedParams())
		if err != nil {
			t.Fatal(err)
		}
		if e.OutputMissing != tt.want || e.Outcome != parse.OutcomeSucceeded {
			t.Errorf("%s: outputmissing %t outcome %s, want %t and succeeded", tt.fixture, e.OutputMissing, e.Outcome, tt.want)
		}
		b, err := parse.EncodeEvent(e, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := mustValidator(t).Validate(b); err != nil {
			t.Errorf("%s: event does not follow the schema: %v", tt.fixture, err)
		}
	}
}
