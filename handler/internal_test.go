package handler

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"iprodwatch/parse"
	"iprodwatch/parse/parsetest"
)

func TestAnOversizedEventIsPublishedInACompactSchemaValidForm(t *testing.T) {
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
	if len(full) <= MaxMessage {
		t.Fatalf("the test event is only %d bytes", len(full))
	}
	body, err := fitEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > MaxMessage {
		t.Errorf("compact event is %d bytes, over %d", len(body), MaxMessage)
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
	if small, _ := fitEvent(&got); string(small) != string(body) {
		t.Error("a fitting event was changed")
	}
}

func TestRedactTextCutsEveryQueryString(t *testing.T) {
	in := `Post "http://127.0.0.1:1/?AccessKeyId=a&SecurityToken=tok&Signature=sig": dial tcp: refused; again "https://h/?x=1"`
	got := redactText(in)
	for _, s := range []string{"tok", "sig", "AccessKeyId", "x=1"} {
		if strings.Contains(got, s) {
			t.Errorf("redactText left %q in %q", s, got)
		}
	}
	ue := redactURLError(&url.Error{Op: "Post", URL: "http://h/?SecurityToken=tok", Err: fmt.Errorf("boom")})
	if strings.Contains(ue.Error(), "tok") {
		t.Errorf("url.Error kept the token: %v", ue)
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
	body, err := fitEvent(e)
	if err != nil || len(body) > MaxMessage {
		t.Fatalf("fitEvent = %d bytes, %v", len(body), err)
	}
	v, err := parsetest.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Validate(body); err != nil {
		t.Error(err)
	}
	if len(e.Data.Error.Message) != 80<<10 {
		t.Error("fitEvent changed the event it was given")
	}
}
