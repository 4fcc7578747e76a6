package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"iprodwatch/handler"
	"iprodwatch/handler/policy"
	"iprodwatch/parse"
)

// The README's Decisions table, row by row: each case names the row it shows. Decide is pure, so
// these run without HTTP, a clock or a logger.

var rules = handler.Rules{Region: "cn-shanghai", Account: "1234567890123456", Deadline: 24 * time.Hour, StalledAfter: 2 * time.Hour,
	Policy: policy.Default(), Salt: 1, MaxMessage: handler.MaxMessage, MaxEvent: handler.MaxMessage}

// answer reads one QueryIProductionJob body from testdata/mps, with the job id it is about.
func answer(t *testing.T, name string) (handler.Answer, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "mps", name))
	if err != nil {
		t.Fatal(err)
	}
	var id struct{ JobId string }
	_ = json.Unmarshal(b, &id)
	return handler.Answer{Body: b}, id.JobId
}

// running is the check of a job seen Queuing since its first check at t0, due for its third query.
func running(jobID string) parse.Check {
	return parse.Check{Version: 1, JobID: jobID, Attempt: 3, FirstCheckedAt: t0, Deadline: t0.Add(24 * time.Hour),
		Algorithm: "VideoH2V", LastState: parse.StateQueuing, StateSince: t0}
}

const someJob = "0f8e5b4f0b9a4c6d8e7f6a5b4c3d2e1f"

// decideCase is one row of Decide's table.
type decideCase struct {
	row    string // the README row, and what this case shows of it
	answer string // a body under testdata/mps; the check is about its job
	err    error  // or the adapter's error
	check  func(*parse.Check)
	pull   bool
	// invalid is Normalize's error for the check, if any.
	invalid error
	rules   func(*handler.Rules)
	at      time.Duration // since t0
	want    handler.Record
	// next, when set, is the check that follows (requeued, retried).
	next func(c *parse.Check)
	// delay bounds the delay of requeued and retried verdicts.
	delay [2]time.Duration
}

func decideCases() []decideCase {
	return []decideCase{
		{row: "Queuing / Analysing: requeued with the policy's next delay, attempt + 1, the state history updated",
			answer: "VideoH2V/analysing.json", at: 5 * time.Minute,
			want: handler.Record{Decision: handler.DecisionRequeued, Attempt: 3, NextAttempt: 4},
			next: func(c *parse.Check) {
				c.Attempt, c.LastState, c.StateSince = 4, parse.StateAnalysing, t0.Add(5*time.Minute)
				c.LastCheckedAt = t0.Add(5 * time.Minute) // the check's slot: the job ends after it (the event's checks.lastRunningAt)
			},
			delay: [2]time.Duration{5 * time.Second, 5 * time.Minute}},
		{row: "Queuing / Analysing: a state seen before keeps its start; failures are reset",
			answer: "VideoH2V/queuing.json", at: time.Minute, check: func(c *parse.Check) { c.Failures, c.FailingSince = 2, t0.Add(30*time.Second) },
			want:  handler.Record{Decision: handler.DecisionRequeued, Attempt: 3, NextAttempt: 4},
			next:  func(c *parse.Check) { c.Attempt, c.Failures, c.FailingSince = 4, 0, time.Time{} },
			delay: [2]time.Duration{5 * time.Second, 5 * time.Minute}},
		{row: "Queuing / Analysing: pull mode hides the message for the delay, at most 12 h",
			answer: "VideoH2V/analysing.json", at: time.Minute, pull: true,
			check: func(c *parse.Check) { c.Deadline = t0.Add(72 * time.Hour) },
			rules: func(r *handler.Rules) { r.Policy.Floor, r.Policy.Cap = 20*time.Hour, 30*time.Hour },
			want:  handler.Record{Decision: handler.DecisionRequeued, Attempt: 3, NextAttempt: 4},
			delay: [2]time.Duration{12 * time.Hour, 12 * time.Hour}},
		{row: "Success / Fail: published with the outcome", answer: "VideoH2V/success.json", at: 10 * time.Minute,
			want: handler.Record{Decision: handler.DecisionPublished, Attempt: 3, Outcome: "succeeded"}},
		{row: "Success / Fail: a failed job is published as failed", answer: "VideoDelogo/fail.json", at: 10 * time.Minute,
			want: handler.Record{Decision: handler.DecisionPublished, Attempt: 3, Outcome: "failed"}},
		{row: "running at its deadline: timed out from the last answer", answer: "VideoH2V/analysing.json", at: 24 * time.Hour,
			want: handler.Record{Decision: handler.DecisionPublished, Attempt: 3, Outcome: "timedout"}},
		{row: "running at its deadline: a final last answer is its outcome", answer: "VideoH2V/success.json", at: 24 * time.Hour,
			want: handler.Record{Decision: handler.DecisionPublished, Attempt: 3, Outcome: "succeeded", Stalled: true}},
		{row: "running at its deadline: a failing last query is retried within the grace",
			err: handler.ErrThrottled, at: 24*time.Hour + 20*time.Minute, check: func(c *parse.Check) { c.Failures = 1 },
			want: handler.Record{Decision: handler.DecisionRetried, Attempt: 3, NextAttempt: 4, Reason: "throttled"},
			next: func(c *parse.Check) {
				c.Attempt, c.Failures, c.FailingSince = 4, 2, t0.Add(24*time.Hour+20*time.Minute)
			},
			delay: [2]time.Duration{time.Second, 4 * time.Second}},
		{row: "running at its deadline: three failures running for 10 minutes, 10 minutes past it, time the job out",
			err: handler.ErrThrottled, at: 24*time.Hour + 10*time.Minute, check: func(c *parse.Check) { c.Failures, c.FailingSince = 2, t0.Add(24*time.Hour) },
			want: handler.Record{Decision: handler.DecisionPublished, Attempt: 3, Outcome: "timedout", Reason: "last query failed: transient failure: throttled"}},
		{row: "running at its deadline: three quick failures of a late check are retried",
			err: handler.ErrThrottled, at: 24*time.Hour + 40*time.Minute,
			check: func(c *parse.Check) { c.Failures, c.FailingSince = 2, t0.Add(24*time.Hour+39*time.Minute) },
			want:  handler.Record{Decision: handler.DecisionRetried, Attempt: 3, NextAttempt: 4, Reason: "throttled"},
			delay: [2]time.Duration{time.Second, 8 * time.Second}},
		{row: "running at its deadline: a check arriving 35 minutes late is not timed out by one failure",
			err: handler.ErrThrottled, at: 24*time.Hour + 35*time.Minute,
			want:  handler.Record{Decision: handler.DecisionRetried, Attempt: 3, NextAttempt: 4, Reason: "throttled"},
			delay: [2]time.Duration{time.Second, 2 * time.Second}},
		{row: "running at its deadline: pull mode replaces the message after a failure past it, to count the failures",
			err: handler.ErrTransient, at: 24*time.Hour + 30*time.Minute, pull: true,
			want: handler.Record{Decision: handler.DecisionRetried, Attempt: 3, NextAttempt: 4, Reason: "transient failure"},
			next: func(c *parse.Check) {
				c.Attempt, c.Failures, c.FailingSince = 4, 1, t0.Add(24*time.Hour+30*time.Minute)
			},
			delay: [2]time.Duration{time.Second, 2 * time.Second}},
		{row: "running at its deadline: pull mode times out like push once the counted failures say so",
			err: handler.ErrTransient, at: 24*time.Hour + 30*time.Minute, pull: true,
			check: func(c *parse.Check) { c.Failures, c.FailingSince = 2, t0.Add(24*time.Hour+15*time.Minute) },
			want:  handler.Record{Decision: handler.DecisionPublished, Attempt: 3, Outcome: "timedout", Reason: "last query failed"}},
		{row: "running past IPRODWATCH_STALLED_AFTER: stalled", answer: "VideoH2V/analysing.json", at: 3 * time.Hour,
			want:  handler.Record{Decision: handler.DecisionRequeued, Attempt: 3, NextAttempt: 4, Stalled: true},
			delay: [2]time.Duration{5 * time.Second, 5 * time.Minute}},
		{row: "unknown to MPS, an unreadable answer, or a malformed message: an error code saying no such job", err: fmt.Errorf("%w: MPS 404 InvalidParameter.JobNotFound", handler.ErrNoSuchJob),
			at:   handler.NewJobGrace,
			want: handler.Record{Decision: handler.DecisionDeadLettered, Attempt: 3, Reason: "InvalidParameter.JobNotFound"}},
		{row: "unknown to MPS, an unreadable answer, or a malformed message: a body with only RequestId and JobId", answer: "errors/no-such-job.json",
			at:   handler.NewJobGrace,
			want: handler.Record{Decision: handler.DecisionDeadLettered, Attempt: 3, Reason: "QueryIProductionJob: no intelligent-production job"}},
		{row: "unknown to MPS, an unreadable answer, or a malformed message: a job MPS does not know yet, within NewJobGrace of the first check, is asked again",
			answer: "errors/no-such-job.json", at: time.Minute,
			want:  handler.Record{Decision: handler.DecisionRetried, Attempt: 3, NextAttempt: 4, Reason: "no intelligent-production job"},
			delay: [2]time.Duration{time.Second, 2 * time.Second}},
		{row: "an answer that is not the API's: an MPS error code this build does not know is retried the same way",
			err: fmt.Errorf("%w: MPS 400 Some.NewCode", handler.ErrUnknownCode), at: time.Hour,
			want:  handler.Record{Decision: handler.DecisionRetried, Attempt: 3, NextAttempt: 4, Reason: "Some.NewCode"},
			delay: [2]time.Duration{time.Second, 2 * time.Second}},
		{row: "an answer that is not the API's: MaxGarbled unknown codes running are dead-lettered with the last",
			err: fmt.Errorf("%w: MPS 400 Some.NewCode", handler.ErrUnknownCode), at: time.Hour,
			check: func(c *parse.Check) {
				c.Garbled, c.Failures, c.FailingSince = handler.MaxGarbled-1, handler.MaxGarbled-1, t0.Add(50*time.Minute)
			},
			want: handler.Record{Decision: handler.DecisionDeadLettered, Attempt: 3, Reason: "not known to this build; the last: transient failure: an MPS error code this build does not know: MPS 400 Some.NewCode"}},
		{row: "unknown to MPS, an unreadable answer, or a malformed message: an unknown state", answer: "errors/unknown-state.json",
			want: handler.Record{Decision: handler.DecisionDeadLettered, Attempt: 3, Reason: "unknown State"}},
		{row: "unknown to MPS, an unreadable answer, or a malformed message: an answer about another job", answer: "VideoH2V/success.json", check: func(c *parse.Check) { c.JobID = someJob },
			want: handler.Record{Decision: handler.DecisionDeadLettered, Attempt: 3, Reason: "asked for job " + someJob}},
		{row: "an answer that is not the API's: a 200 whose body is not a JSON object is retried", answer: "../bad/responses/proxy-page-200.html", at: time.Minute,
			want:  handler.Record{Decision: handler.DecisionRetried, Attempt: 3, NextAttempt: 4, Reason: "not the API's answer"},
			next:  func(c *parse.Check) { c.Attempt, c.Failures, c.FailingSince, c.Garbled = 4, 1, t0.Add(time.Minute), 1 },
			delay: [2]time.Duration{time.Second, 2 * time.Second}},
		{row: "an answer that is not the API's: a gateway's page is retried", err: fmt.Errorf("%w: MPS 504 without an API error body", handler.ErrGarbled), at: time.Minute,
			want:  handler.Record{Decision: handler.DecisionRetried, Attempt: 3, NextAttempt: 4, Reason: "MPS 504"},
			delay: [2]time.Duration{time.Second, 2 * time.Second}},
		{row: "an answer that is not the API's: MaxGarbled running are dead-lettered", err: fmt.Errorf("%w: MPS 504 without an API error body", handler.ErrGarbled),
			at: time.Minute, check: func(c *parse.Check) { c.Failures, c.Garbled = handler.MaxGarbled+5, handler.MaxGarbled-1 },
			want: handler.Record{Decision: handler.DecisionDeadLettered, Attempt: 3, Reason: "20 answers running were not MPS's or not known to this build; the last: transient failure: not the API's answer: MPS 504"}},
		{row: "an answer that is not the API's: one after a run of other failures starts its own count", err: fmt.Errorf("%w: MPS 502 without an API error body", handler.ErrGarbled),
			at: time.Minute, check: func(c *parse.Check) { c.Failures, c.FailingSince = handler.MaxGarbled-1, t0 },
			want:  handler.Record{Decision: handler.DecisionRetried, Attempt: 3, NextAttempt: 4, Reason: "MPS 502"},
			next:  func(c *parse.Check) { c.Attempt, c.Failures, c.Garbled = 4, handler.MaxGarbled, 1 },
			delay: [2]time.Duration{time.Second, time.Minute}},
		{row: "unknown to MPS, an unreadable answer, or a malformed message: a check Normalize refused is dead-lettered without a query",
			invalid: errors.New("bad check message: firstCheckedAt 1999-01-01T00:00:00Z is 244000h0m0s before now"),
			want:    handler.Record{Decision: handler.DecisionDeadLettered, Attempt: 3, Reason: "firstCheckedAt 1999"}},
		{row: "unreachable: retried with a backoff, failures + 1", err: fmt.Errorf("%w: MPS 503", handler.ErrTransient), at: time.Minute,
			want:  handler.Record{Decision: handler.DecisionRetried, Attempt: 3, NextAttempt: 4, Reason: "MPS 503"},
			next:  func(c *parse.Check) { c.Attempt, c.Failures, c.FailingSince = 4, 1, t0.Add(time.Minute) },
			delay: [2]time.Duration{time.Second, 2 * time.Second}},
		{row: "unreachable: a context error is retried as it is", err: fmt.Errorf("waiting for the query budget: %w", context.Canceled),
			want:  handler.Record{Decision: handler.DecisionRetried, Attempt: 3, NextAttempt: 4, Reason: "waiting for the query budget"},
			delay: [2]time.Duration{time.Second, 2 * time.Second}},
		{row: "a configuration fault: the invocation fails", err: fmt.Errorf("%w: MPS 403 Forbidden.RAM", handler.ErrConfig),
			want: handler.Record{Decision: handler.DecisionFailed, Attempt: 3}},
		{row: "final, with an event over 64 KiB: published compacted", answer: "VideoH2V/success.json", at: time.Minute,
			rules: func(r *handler.Rules) { r.MaxEvent = 1500 },
			want:  handler.Record{Decision: handler.DecisionPublished, Attempt: 3, Outcome: "succeeded"}},
		{row: "final, with an event over 64 KiB: dead-lettered when even compacted it does not fit", answer: "VideoH2V/success.json", at: time.Minute,
			rules: func(r *handler.Rules) { r.MaxEvent = 200 },
			want:  handler.Record{Decision: handler.DecisionDeadLettered, Attempt: 3, Reason: "message too large: event of job"}},
		{row: "running, with a next check message over 64 KiB: re-queued without its userData, flagged", answer: "VideoH2V/analysing.json", at: time.Minute,
			check: func(c *parse.Check) {
				c.UserData = json.RawMessage(`"` + strings.Repeat("u", handler.MaxMessage-100) + `"`)
			},
			want: handler.Record{Decision: handler.DecisionRequeued, Attempt: 3, NextAttempt: 4},
			next: func(c *parse.Check) {
				c.Attempt, c.LastState, c.StateSince = 4, parse.StateAnalysing, t0.Add(time.Minute)
				c.UserData, c.UserDataOmitted = nil, true
			},
			delay: [2]time.Duration{5 * time.Second, 5 * time.Minute}},
		{row: "running, with a next check message over 64 KiB: dead-lettered when it does not fit even without userData", answer: "VideoH2V/analysing.json", at: time.Minute,
			rules: func(r *handler.Rules) { r.MaxMessage = 200 },
			check: func(c *parse.Check) { c.UserData = json.RawMessage(`{"tenant":"acme"}`) },
			want:  handler.Record{Decision: handler.DecisionDeadLettered, Attempt: 3, Reason: "the next check message of job"}},
		{row: "running, with a next check message over 64 KiB: pull mode defers it (the body is never sent again)", answer: "VideoH2V/analysing.json", at: time.Minute, pull: true,
			check: func(c *parse.Check) {
				c.UserData = json.RawMessage(`"` + strings.Repeat("u", handler.MaxMessage-100) + `"`)
			},
			want:  handler.Record{Decision: handler.DecisionRequeued, Attempt: 3, NextAttempt: 4},
			delay: [2]time.Duration{5 * time.Second, 5 * time.Minute}},
	}
}

func TestDecide(t *testing.T) {
	for _, tt := range decideCases() {
		t.Run(tt.row, func(t *testing.T) {
			var a handler.Answer
			id := someJob
			if tt.answer != "" {
				var about string
				if a, about = answer(t, tt.answer); about != "" {
					id = about
				}
			}
			a.Err = tt.err
			c := running(id)
			if tt.check != nil {
				tt.check(&c)
			}
			r := rules
			r.Policy = policy.Default()
			if tt.rules != nil {
				tt.rules(&r)
			}
			in := handler.Input{Check: c, Pull: tt.pull, Answer: a, Now: t0.Add(tt.at), Invalid: tt.invalid}
			v := handler.Decide(r, in)
			if again := handler.Decide(r, in); !cmp.Equal(v, again, cmpopts.EquateErrors()) {
				t.Error("Decide is not a function of its input")
			}
			got := v.Record()
			want := tt.want
			want.JobID = c.JobID
			if want.Reason != "" && strings.Contains(got.Reason, want.Reason) {
				want.Reason = got.Reason
			}
			if got.EventID != "" && want.Outcome != "" {
				want.EventID = parse.EventID(c.JobID, parse.Outcome(want.Outcome))
			}
			if d := time.Duration(got.DelaySeconds * float64(time.Second)); d >= tt.delay[0] && d <= tt.delay[1] {
				want.DelaySeconds = got.DelaySeconds
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
			if tt.next != nil {
				next := c
				tt.next(&next)
				if v.Decision == handler.DecisionRequeued {
					next.DueAt = in.Now.Add(v.Delay) // TestScheduleKeepsCopiesInStep pins the slots
					next.LastCheckedAt = in.Now      // the slot of a query that saw the job running (no DueAt: now)
				}
				if diff := cmp.Diff(&next, v.Next); diff != "" {
					t.Errorf("next check (-want +got):\n%s", diff)
				}
			}
			checkBody(t, r, tt.pull, v)
		})
	}
}

// checkBody asserts what goes out: the fitted event, the next check message (push mode only), and
// nothing larger than a message.
func checkBody(t *testing.T, r handler.Rules, pull bool, v handler.Verdict) {
	t.Helper()
	if limit := map[bool]int{true: r.MaxEvent, false: r.MaxMessage}[v.Decision == handler.DecisionPublished]; len(v.Body) > limit {
		t.Errorf("body is %d bytes, over %d", len(v.Body), limit)
	}
	switch v.Decision {
	case handler.DecisionPublished:
		var e parse.Event
		if err := json.Unmarshal(v.Body, &e); err != nil || e.ID != v.Event.ID {
			t.Errorf("published body is not the event %s: %v", v.Event.ID, err)
		}
	case handler.DecisionRequeued, handler.DecisionRetried:
		if pull && !v.Replace {
			if v.Body != nil {
				t.Error("pull mode sends no new message, yet the verdict has a body")
			}
			return
		}
		req, err := parse.DecodeCheck(v.Body)
		if err != nil {
			t.Fatalf("the next check message does not decode: %v", err)
		}
		if diff := cmp.Diff(v.Next.JobID, req.Check.JobID); diff != "" || req.Check.Attempt != v.Next.Attempt {
			t.Errorf("next check message is about %s attempt %d, want %s attempt %d", req.Check.JobID, req.Check.Attempt, v.Next.JobID, v.Next.Attempt)
		}
	case handler.DecisionFailed:
		if !errors.Is(v.Fault, handler.ErrConfig) {
			t.Errorf("fault %v is not a configuration fault", v.Fault)
		}
	}
}

// The rows that Decide's table does not hold: the delivery's own decisions.
const (
	rejectedRow = "unknown to MPS, an unreadable answer, or a malformed message: a body that is no check request"
	mergedRow   = "another check of the same job in the same delivery: merged before any query, the most advanced one kept"
)

func TestAMessageThatIsNoCheckIsDeadLetteredWithItsReason(t *testing.T) {
	t.Log(rejectedRow)
	_, err := parse.DecodeCheck([]byte("this is not a check request"))
	got := handler.Rejected(err).Record()
	want := handler.Record{Decision: handler.DecisionDeadLettered, Reason: err.Error()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCopiesInOneDeliveryAreMerged(t *testing.T) {
	t.Log(mergedRow)
	msg := func(id, body string, o parse.Origin, c parse.Check) parse.Message {
		return parse.Message{ID: id, Body: []byte(body), Request: parse.Request{Check: c, Origin: o}}
	}
	a := msg("1", `{"JobId":"`+job1+`"}`, parse.OriginSubmit, parse.Check{JobID: job1, Attempt: 1})
	b := msg("2", `{"JobId":"`+job2+`"}`, parse.OriginSubmit, parse.Check{JobID: job2, Attempt: 1})
	bad := parse.Message{ID: "3", Body: []byte(`x`), Err: parse.ErrBadMessage}
	copyOfA := a
	copyOfA.ID = "4"
	later := msg("5", `{"v":1,"jobId":"`+job2+`","attempt":7}`, parse.OriginCheck, parse.Check{JobID: job2, Attempt: 7})
	notified := msg("6", `{"JobId":"`+job2+`","State":"Success"}`, parse.OriginNotification, parse.Check{JobID: job2, Attempt: 7})
	callback := msg("7", `{"v":1,"jobId":"`+job1+`","callback":{}}`, parse.OriginCheck, parse.Check{JobID: job1, Attempt: 9, Callback: json.RawMessage(`{}`)})
	norm := func(m parse.Message) (parse.Check, error) {
		return handler.Normalize(rules, m.Request, handler.Delivery{}, t0)
	}
	kept, copies := handler.Merge([]parse.Message{a, b, bad, copyOfA, notified, bad, later, later, callback}, norm)
	var ids []string
	for _, m := range kept {
		ids = append(ids, m.ID)
	}
	// job1: the first of two copies, and the check with a callback of its own; job2: attempt 7's
	// check message, over the submit (attempt 1) and the notification of the same attempt.
	if diff := cmp.Diff([]string{"1", "3", "3", "5", "7"}, ids); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	const why = "another check of this job in this delivery"
	want := []handler.Record{{JobID: job2, Decision: handler.DecisionMerged, Attempt: 1, Reason: why},
		{JobID: job1, Decision: handler.DecisionMerged, Attempt: 1, Reason: why},
		{JobID: job2, Decision: handler.DecisionMerged, Attempt: 7, Reason: why},
		{JobID: job2, Decision: handler.DecisionMerged, Attempt: 7, Reason: why}}
	var got []handler.Record
	for _, m := range copies {
		got = append(got, handler.Merged(m).Record())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
}

// Copies of one check that arrive apart plan the same next slot; a copy that arrives after that
// slot skips to the one after it, which is where the other copy's chain goes next: the chains
// are in step from then on, and a delivery that holds both merges them.
func TestScheduleKeepsCopiesInStep(t *testing.T) {
	a, id := answer(t, "VideoH2V/analysing.json")
	c := running(id)
	c.DueAt = t0.Add(10 * time.Minute)
	decide := func(c parse.Check, at time.Time) handler.Verdict {
		v := handler.Decide(rules, handler.Input{Check: c, Answer: a, Now: at})
		if v.Decision != handler.DecisionRequeued {
			t.Fatalf("decided %s at %v, want requeued", v.Decision, at)
		}
		if !v.Next.DueAt.After(at) || !v.Next.DueAt.Equal(at.Add(v.Delay)) {
			t.Fatalf("next slot %v with delay %v from %v: want a slot after now, and the delay to it", v.Next.DueAt, v.Delay, at)
		}
		return v
	}
	first := decide(c, c.DueAt.Add(time.Second))
	soon := decide(c, c.DueAt.Add(3*time.Second))
	if !soon.Next.DueAt.Equal(first.Next.DueAt) || soon.Next.Attempt != first.Next.Attempt || string(soon.Body) != string(first.Body) {
		t.Errorf("copies 2 s apart planned %v (attempt %d) and %v (attempt %d): want the same slot and the same message",
			first.Next.DueAt, first.Next.Attempt, soon.Next.DueAt, soon.Next.Attempt)
	}
	// The late copy comes after the first copy's next slot.
	late := decide(c, first.Next.DueAt.Add(time.Second))
	after := decide(*first.Next, first.Next.DueAt.Add(time.Second))
	if !late.Next.DueAt.Equal(after.Next.DueAt) || late.Next.Attempt != after.Next.Attempt || string(late.Body) != string(after.Body) {
		t.Errorf("the late copy planned %v (attempt %d), the first copy's chain %v (attempt %d): want them in step",
			late.Next.DueAt, late.Next.Attempt, after.Next.DueAt, after.Next.Attempt)
	}
}

func TestNormalizeRefusesAFirstCheckNoChainCouldHave(t *testing.T) {
	now := t0
	req := parse.Request{Check: parse.Check{JobID: job1, Attempt: 3, FirstCheckedAt: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if _, err := handler.Normalize(rules, req, handler.Delivery{}, now); !errors.Is(err, parse.ErrBadMessage) || !strings.Contains(err.Error(), "firstCheckedAt 1999-01-01T00:00:00Z") {
		t.Errorf("Normalize = %v, want a bad message naming firstCheckedAt", err)
	}
	req.Check.FirstCheckedAt = now.Add(-24*time.Hour - handler.MaxCheckAge + time.Minute)
	if _, err := handler.Normalize(rules, req, handler.Delivery{}, now); err != nil {
		t.Errorf("a check just inside the oldest a chain can be: %v", err)
	}
}

// The oldest first check a chain can have counts the retries past the deadline too: a last query
// retried until the deadline's grace and one backoff more, whose message then waited in the queue
// as long as MNS keeps one.
func TestNormalizeTakesALateRetryThatWaitedInTheQueue(t *testing.T) {
	now := t0
	sentAt := now.Add(-handler.MaxCheckAge + time.Minute)
	first := sentAt.Add(-24*time.Hour - handler.LastQueryGrace - rules.Policy.RetryCap)
	req := parse.Request{Origin: parse.OriginCheck, Check: parse.Check{Version: 1, JobID: job1, Attempt: 400, FirstCheckedAt: first,
		Deadline: first.Add(24 * time.Hour), Failures: 2, FailingSince: first.Add(24 * time.Hour)}}
	if _, err := handler.Normalize(rules, req, handler.Delivery{}, now); err != nil {
		t.Errorf("Normalize = %v: a chain that can exist is refused", err)
	}
}

func TestNormalize(t *testing.T) {
	now := t0.Add(time.Hour)
	enq, deq := t0.Add(-10*time.Minute), t0.Add(-5*time.Minute)
	tests := []struct {
		name string
		req  parse.Request
		d    handler.Delivery
		want parse.Check
	}{
		{"a submit starts the chain now, with the configured deadline",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 1}, Origin: parse.OriginSubmit}, handler.Delivery{},
			parse.Check{JobID: job1, Attempt: 1, FirstCheckedAt: now, Deadline: now.Add(24 * time.Hour)}},
		{"a submitter may shorten the deadline",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 2, FirstCheckedAt: t0, Deadline: t0.Add(time.Hour)}}, handler.Delivery{},
			parse.Check{JobID: job1, Attempt: 2, FirstCheckedAt: t0, Deadline: t0.Add(time.Hour)}},
		{"never lengthen it",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 2, FirstCheckedAt: t0, Deadline: t0.Add(90 * time.Hour)}}, handler.Delivery{},
			parse.Check{JobID: job1, Attempt: 2, FirstCheckedAt: t0, Deadline: t0.Add(24 * time.Hour)}},
		{"a notification is the fast path: attempt 1",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 7}, Origin: parse.OriginNotification}, handler.Delivery{},
			parse.Check{JobID: job1, Attempt: 1, FirstCheckedAt: now, Deadline: now.Add(24 * time.Hour)}},
		{"pull mode: the attempt is the dequeue count and the chain starts at the send",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 1}, Origin: parse.OriginSubmit},
			handler.Delivery{Pull: true, DequeueCount: 5, EnqueuedAt: enq, FirstDequeueAt: deq},
			parse.Check{JobID: job1, Attempt: 5, FirstCheckedAt: enq, Deadline: enq.Add(24 * time.Hour)}},
		{"pull mode: a first receive earlier than the send (clocks) starts it",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 1}, Origin: parse.OriginSubmit},
			handler.Delivery{Pull: true, DequeueCount: 1, EnqueuedAt: deq, FirstDequeueAt: enq},
			parse.Check{JobID: job1, Attempt: 1, FirstCheckedAt: enq, Deadline: enq.Add(24 * time.Hour)}},
		{"a producer's clock ahead: the first check and the state's start are now",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 2, FirstCheckedAt: now.Add(90 * 24 * time.Hour), StateSince: now.Add(time.Hour), LastState: parse.StateQueuing}},
			handler.Delivery{},
			parse.Check{JobID: job1, Attempt: 2, FirstCheckedAt: now, StateSince: now, LastState: parse.StateQueuing, Deadline: now.Add(24 * time.Hour)}},
		{"a state's start before the first check is the first check",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 2, FirstCheckedAt: t0, StateSince: t0.Add(-time.Hour), LastState: parse.StateQueuing}},
			handler.Delivery{},
			parse.Check{JobID: job1, Attempt: 2, FirstCheckedAt: t0, StateSince: t0, LastState: parse.StateQueuing, Deadline: t0.Add(24 * time.Hour)}},
		{"pull mode: a producer's first check later than the send is the send",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 1, FirstCheckedAt: now.Add(2 * time.Hour)}, Origin: parse.OriginCheck},
			handler.Delivery{Pull: true, DequeueCount: 1, EnqueuedAt: enq},
			parse.Check{JobID: job1, Attempt: 1, FirstCheckedAt: enq, Deadline: enq.Add(24 * time.Hour)}},
		{"a check message without an attempt asks for the first",
			parse.Request{Check: parse.Check{JobID: job1, FirstCheckedAt: t0}}, handler.Delivery{},
			parse.Check{JobID: job1, Attempt: 1, FirstCheckedAt: t0, Deadline: t0.Add(24 * time.Hour)}},
		{"pull mode: a message replaced after a failure counts on from the attempt it was sent for",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 7, FirstCheckedAt: enq}, Origin: parse.OriginCheck},
			handler.Delivery{Pull: true, DequeueCount: 2, EnqueuedAt: deq},
			parse.Check{JobID: job1, Attempt: 8, FirstCheckedAt: enq, Deadline: enq.Add(24 * time.Hour)}},
		{"a submitter's deadline at or before the first check is a producer's clock behind: the configured one",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 1, Deadline: now.Add(-23 * time.Hour)}, Origin: parse.OriginCheck}, handler.Delivery{},
			parse.Check{JobID: job1, Attempt: 1, FirstCheckedAt: now, Deadline: now.Add(24 * time.Hour)}},
		{"a submitter's deadline just after the first check leaves at least MinDeadline",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 1, FirstCheckedAt: t0, Deadline: t0.Add(5 * time.Second)}, Origin: parse.OriginCheck}, handler.Delivery{},
			parse.Check{JobID: job1, Attempt: 1, FirstCheckedAt: t0, Deadline: t0.Add(handler.MinDeadline)}},
		{"push mode: a message without a first check starts its chain when the trigger says it was sent, so its copies agree",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 1}, Origin: parse.OriginSubmit}, handler.Delivery{SentAt: enq},
			parse.Check{JobID: job1, Attempt: 1, FirstCheckedAt: enq, Deadline: enq.Add(24 * time.Hour)}},
		{"a due time in the future is now, one before the first check is the first check",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 3, FirstCheckedAt: t0, DueAt: now.Add(time.Hour)}, Origin: parse.OriginCheck}, handler.Delivery{},
			parse.Check{JobID: job1, Attempt: 3, FirstCheckedAt: t0, DueAt: now, Deadline: t0.Add(24 * time.Hour)}},
		{"a due time before the first check is the first check",
			parse.Request{Check: parse.Check{JobID: job1, Attempt: 3, FirstCheckedAt: t0, DueAt: t0.Add(-time.Hour)}, Origin: parse.OriginCheck}, handler.Delivery{},
			parse.Check{JobID: job1, Attempt: 3, FirstCheckedAt: t0, DueAt: t0, Deadline: t0.Add(24 * time.Hour)}},
		{"pull mode: without MNS's times, now",
			parse.Request{Check: parse.Check{JobID: job1}, Origin: parse.OriginSubmit}, handler.Delivery{Pull: true},
			parse.Check{JobID: job1, Attempt: 1, FirstCheckedAt: now, Deadline: now.Add(24 * time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handler.Normalize(rules, tt.req, tt.d, now)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.DueAt.IsZero() {
				// A chain's first check is due when it starts; a later one without a due time, now.
				tt.want.DueAt = tt.want.FirstCheckedAt
				if tt.want.Attempt > 1 {
					tt.want.DueAt = now
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestTheREADMEDecisionsTableIsThisFile keeps the README's table and these tests saying the same
// thing: every row of the table is the start of a case here.
func TestTheREADMEDecisionsTableIsThisFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{rejectedRow, mergedRow, plannedRow}
	for _, c := range decideCases() {
		names = append(names, c.row)
	}
	_, table, ok := strings.Cut(string(b), "\n## Decisions\n")
	table, _, _ = strings.Cut(table, "\n\n## ")
	rows := 0
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| the job is") {
			continue
		}
		rows++
		cell := strings.ReplaceAll(strings.TrimSpace(strings.Split(line, "|")[1]), "`", "")
		if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, cell+":") }) {
			t.Errorf("the README's Decisions row %q has no case in decide_test.go", cell)
		}
	}
	if !ok || rows < 8 {
		t.Fatalf("found %d rows of the README's Decisions table", rows)
	}
	for _, n := range names {
		cell, _, _ := strings.Cut(n, ":")
		if !strings.Contains(strings.ReplaceAll(table, "`", ""), "| "+cell+" |") {
			t.Errorf("case %q names no row of the README's Decisions table", n)
		}
	}
}

// Two chains of one job that planned from states seen a slot apart (one copy's query saw the job
// start Analysing, the other's, a few seconds earlier, still Queuing) plan different delays; the
// job's grid brings half of them back onto the same next slot (a pair that misses tries again at
// every slot after), where they merge. Without the grid none of the 200 pairs meets: such chains
// stay apart until the job ends.
func TestChainsThatDivergedMeetAgainOnTheGrid(t *testing.T) {
	a, orig := answer(t, "VideoH2V/analysing.json")
	met, n := 0, 200
	for i := range n {
		id := fmt.Sprintf("%032x", i+1)
		body := []byte(strings.ReplaceAll(string(a.Body), orig, id))
		c := running(id)
		c.LastState, c.DueAt = parse.StateAnalysing, t0.Add(20*time.Minute)
		early, late := c, c
		early.StateSince, late.StateSince = t0.Add(19*time.Minute), t0.Add(19*time.Minute+30*time.Second)
		at := c.DueAt.Add(time.Second)
		v1 := handler.Decide(rules, handler.Input{Check: early, Answer: handler.Answer{Body: body}, Now: at})
		v2 := handler.Decide(rules, handler.Input{Check: late, Answer: handler.Answer{Body: body}, Now: at})
		if v1.Decision != handler.DecisionRequeued || v2.Decision != handler.DecisionRequeued {
			t.Fatalf("decided %s and %s (%s, %s), want both requeued", v1.Decision, v2.Decision, v1.Reason, v2.Reason)
		}
		if v1.Next.DueAt.Equal(v2.Next.DueAt) {
			met++
		}
	}
	if met < n/3 {
		t.Errorf("%d of %d pairs of diverged chains planned the same slot, want a third or more", met, n)
	}
	t.Logf("%d of %d pairs met", met, n)
}

// BenchmarkDecide is one decision on a running job's answer: on time, and for a copy that comes an
// hour behind its slot (the schedule steps through the slots it missed).
func BenchmarkDecide(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("..", "testdata", "mps", "VideoH2V", "analysing.json"))
	if err != nil {
		b.Fatal(err)
	}
	var id struct{ JobId string }
	_ = json.Unmarshal(body, &id)
	c := running(id.JobId)
	c.DueAt = t0.Add(2 * time.Hour)
	for name, late := range map[string]time.Duration{"on time": time.Second, "an hour late": time.Hour} {
		b.Run(name, func(b *testing.B) {
			in := handler.Input{Check: c, Answer: handler.Answer{Body: body}, Now: c.DueAt.Add(late)}
			b.ReportAllocs()
			for b.Loop() {
				if v := handler.Decide(rules, in); v.Decision != handler.DecisionRequeued {
					b.Fatal(v.Decision)
				}
			}
		})
	}
}

// TestTheEventBoundsTheJobsEnd: a job's end lies after the last check that saw it running and by
// the check that saw it final; the event carries both, for iprodwatch priors (issue 17).
func TestTheEventBoundsTheJobsEnd(t *testing.T) {
	a, id := answer(t, "VideoH2V/success.json")
	c := running(id)
	c.LastCheckedAt = t0.Add(2 * time.Minute)
	v := handler.Decide(rules, handler.Input{Check: c, Answer: a, Now: t0.Add(5 * time.Minute)})
	if v.Event == nil {
		t.Fatalf("decided %s, want published", v.Decision)
	}
	got := v.Event.Data.Checks
	if !got.LastRunningAt.Equal(t0.Add(2*time.Minute)) || !got.DetectedAt.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("checks %+v, want lastRunningAt 2 min and detectedAt 5 min after the first check", got)
	}
	// A check message from before this field, or a first check, bounds the end by the first check.
	c.LastCheckedAt = time.Time{}
	if v := handler.Decide(rules, handler.Input{Check: c, Answer: a, Now: t0.Add(5 * time.Minute)}); !v.Event.Data.Checks.LastRunningAt.IsZero() {
		t.Errorf("lastRunningAt %v without a running check", v.Event.Data.Checks.LastRunningAt)
	}
}

// TestCopiesThatPlanTheSameSlotWriteTheSameMessage (found by review): copies arriving at any
// moment write one body whenever they plan the same next slot and attempt.
func TestCopiesThatPlanTheSameSlotWriteTheSameMessage(t *testing.T) {
	a, id := answer(t, "VideoH2V/analysing.json")
	c := running(id)
	c.DueAt = t0.Add(2*time.Minute + 28*time.Second)
	bodies := map[string]string{}
	for off := time.Duration(0); off <= 3*time.Minute; off += 250 * time.Millisecond {
		v := handler.Decide(rules, handler.Input{Check: c, Answer: a, Now: c.DueAt.Add(off)})
		key := fmt.Sprintf("%v/%d", v.Next.DueAt, v.Next.Attempt)
		if b, ok := bodies[key]; ok && b != string(v.Body) {
			t.Fatalf("a copy %v after its slot plans %s like another but writes\n%s\nnot\n%s", off, key, v.Body, b)
		}
		bodies[key] = string(v.Body)
	}
}

// TestLastCheckedAtComesOnlyFromARequeue (found by review): a submitter's lastCheckedAt, on a
// first check or in pull mode, is no check that saw the job running; a query past the deadline
// that sees it running bounds its time-out there.
func TestLastCheckedAtComesOnlyFromARequeue(t *testing.T) {
	first := parse.Check{JobID: someJob, LastCheckedAt: t0.Add(50 * time.Second)}
	for name, d := range map[string]handler.Delivery{"first check": {SentAt: t0}, "pull mode": {Pull: true, EnqueuedAt: t0, DequeueCount: 3}} {
		c, err := handler.Normalize(rules, parse.Request{Check: first, Origin: parse.OriginSubmit}, d, t0.Add(time.Minute))
		if err != nil || !c.LastCheckedAt.IsZero() {
			t.Errorf("%s: lastCheckedAt %v (%v), want none", name, c.LastCheckedAt, err)
		}
	}
	a, id := answer(t, "VideoH2V/analysing.json")
	c := running(id)
	c.LastCheckedAt = t0.Add(50 * time.Minute)
	v := handler.Decide(rules, handler.Input{Check: c, Answer: a, Now: c.Deadline.Add(time.Second)})
	if v.Event == nil || v.Event.Outcome != parse.OutcomeTimedOut || !v.Event.Data.Checks.LastRunningAt.Equal(c.Deadline.Add(time.Second)) {
		t.Errorf("timed out with %+v, want lastRunningAt at the query that saw it running", v.Event)
	}
}
