package parse_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"iprodwatch/parse"
	"iprodwatch/parse/parsetest"
)

// limit is the MNS message limit the handler fits events into.
const limit = 64 << 10

func TestAnOversizedEventIsFittedInACompactSchemaValidForm(t *testing.T) {
	var entries []string
	for i := range 2000 {
		entries = append(entries, fmt.Sprintf(`{"Score":%d.5,"Time":"%d","Url":"covers/a-very-long-prefix-for-thumbnails/trailer-%05d.jpg"}`, i, i*40, i))
	}
	job := &parse.Job{JobID: "88c6ca184c0e432bbf5b665e2a15abcd", FunctionName: "Cover", State: parse.StateSuccess,
		Output: "oss://media.oss-cn-shanghai.aliyuncs.com/covers/{source}-{sequenceId}.jpg",
		Result: &parse.Result{Code: "Success", Data: json.RawMessage("[" + strings.Join(entries, ",") + "]")}}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	e, err := parse.NewEvent(job, parse.Params{Time: now, Checks: parse.Checks{Attempts: 1, FirstCheckedAt: now, DetectedAt: now}})
	if err != nil {
		t.Fatal(err)
	}
	full, _ := parse.EncodeEvent(e, "")
	if len(full) <= limit {
		t.Fatalf("the test event is only %d bytes", len(full))
	}
	body, err := parse.FitEvent(e, limit)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > limit {
		t.Errorf("compact event is %d bytes, over %d", len(body), limit)
	}
	v, err := parsetest.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Validate(body); err != nil {
		t.Errorf("compact event does not follow the schema: %v", err)
	}
	var got parse.Event
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	tr := got.Data.Truncated
	if tr == nil || tr.Omitted[0] != "data.rawData" || !strings.Contains(tr.Fetch, job.JobID) || got.ID != e.ID {
		t.Errorf("truncated = %+v, id %s: want rawData dropped first, a fetch command naming the job, the same id", tr, got.ID)
	}
	if small, _ := parse.FitEvent(&got, limit); string(small) != string(body) {
		t.Error("a fitting event was changed")
	}
}

func TestAnEventWithAHugeErrorMessageIsCutToFit(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	job := &parse.Job{JobID: "88c6ca184c0e432bbf5b665e2a15abcd", FunctionName: "Cover", State: parse.StateFail,
		Result: &parse.Result{Code: "InternalError", Message: strings.Repeat("é", 40<<10)}}
	e, err := parse.NewEvent(job, parse.Params{Time: now, Checks: parse.Checks{Attempts: 1, FirstCheckedAt: now, DetectedAt: now}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := parse.FitEvent(e, limit)
	if err != nil || len(body) > limit {
		t.Fatalf("FitEvent = %d bytes, %v", len(body), err)
	}
	v, err := parsetest.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Validate(body); err != nil {
		t.Error(err)
	}
	if len(e.Data.Error.Message) != 80<<10 {
		t.Error("FitEvent changed the event it was given")
	}
}

func TestAnEventThatCannotFitSaysHowLargeItStays(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	job := &parse.Job{JobID: "88c6ca184c0e432bbf5b665e2a15abcd", FunctionName: "Cover", State: parse.StateSuccess}
	e, err := parse.NewEvent(job, parse.Params{Time: now, Checks: parse.Checks{Attempts: 1, FirstCheckedAt: now, DetectedAt: now}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parse.FitEvent(e, 200); err == nil || !strings.Contains(err.Error(), "even without its data") {
		t.Errorf("FitEvent into 200 bytes = %v, want an error saying the envelope alone is too large", err)
	}
}

func TestCutKeepsCharactersWhole(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc..."},
		{"ééé", 3, "é..."},
	} {
		if got := parse.Cut(tt.in, tt.n); got != tt.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
