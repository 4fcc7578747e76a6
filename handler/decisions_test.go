package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/google/go-cmp/cmp"
	"strings"
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mnstest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/parse"
)

const job2 = "5d41402abc4b2a76b9719d911017c592"

func TestTheFastPathAndThePollingChainPublishOneEventID(t *testing.T) {
	e := newEnv(t, handlertest.Options{})
	// MPS notifies the check queue when the job ends, while a polling chain runs too.
	e.seed(job1, "CaptionExtraction", mpstest.Script{Analysing: 5 * time.Second, Done: 3 * time.Minute}, true)
	e.send(`{"JobId":"` + job1 + `"}`)
	src := e.queueTrigger()
	e.drive(func() bool { return len(e.w.MPS.Notifications()) > 0 && len(e.eventsFor(job1)) >= 2 }, 400, src)
	evs := e.eventsFor(job1)
	for _, ev := range evs {
		if ev.ID != evs[0].ID || ev.Outcome != parse.OutcomeSucceeded {
			t.Errorf("events %s (%s) and %s (%s) differ for one job and outcome", evs[0].ID, evs[0].Outcome, ev.ID, ev.Outcome)
		}
	}
	// The notification's query found the job final: it published at once instead of starting a chain.
	var fast bool
	for _, r := range e.records() {
		if r.Decision == handler.DecisionPublished && r.Attempt == 1 {
			fast = true
		}
	}
	if !fast {
		t.Errorf("no event was published by the notification's single query; log:\n%s", e.logs.String())
	}
}

func TestABadMessageIsDeadLetteredAndItsNeighboursAreHandled(t *testing.T) {
	e := newEnv(t, handlertest.Options{})
	e.seed(job1, "ImageH2V", mpstest.Script{Done: time.Second}, false)
	e.seed(job2, "ImageDelogo", mpstest.Script{Done: time.Second}, false)
	e.clk.AdvanceTo(t0.Add(2 * time.Second))
	e.send(`{"JobId":"` + job1 + `"}`)
	e.send(`this is not a check request`)
	e.send(`{"JobId":"` + job2 + `"}`)
	e.send(`{"JobId":"../../etc/passwd"}`)
	src := e.queueTrigger()
	if _, err := src.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(e.eventsFor(job1)) != 1 || len(e.eventsFor(job2)) != 1 {
		t.Errorf("events for the good neighbours: %d and %d, want 1 each", len(e.eventsFor(job1)), len(e.eventsFor(job2)))
	}
	dls := e.w.DeadLetters()
	if len(dls) != 2 {
		t.Fatalf("%d dead letters, want 2: %v", len(dls), dls)
	}
	want := map[string]string{"this is not a check request": "neither JSON nor base64", `{"JobId":"../../etc/passwd"}`: "invalid job id"}
	for _, dl := range dls {
		var m struct{ Reason, Body, Trigger string }
		if err := json.Unmarshal([]byte(dl), &m); err != nil {
			t.Fatalf("dead letter is not JSON: %s", dl)
		}
		if reason, ok := want[m.Body]; !ok || !strings.Contains(m.Reason, reason) || m.Trigger != "eventbridge" {
			t.Errorf("dead letter %s: want the original body, a reason saying %q and the trigger", dl, reason)
		}
	}
	if st := src.Stats(); st.Failures != 0 {
		t.Errorf("the trigger saw %d failed invocations; a bad message must not fail the batch", st.Failures)
	}
}

// A job MPS does not know is asked again right after its first check (MPS may not know a job yet
// just after its submit), and dead-lettered once NewJobGrace has passed; whichever way MPS says it
// does not know the job (its documentation does not say): a 200 with only RequestId and JobId, or
// 400 InvalidParameter.JobNotFound.
func TestAnUnknownJobIsDeadLetteredAfterNewJobGrace(t *testing.T) {
	for name, answer := range map[string]mpstest.UnknownJobAnswer{"a 200 with only RequestId and JobId": mpstest.UnknownJobEmpty,
		"400 InvalidParameter.JobNotFound": mpstest.UnknownJobNotFound} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, handlertest.Options{MPS: []mpstest.Option{mpstest.WithUnknownJob(answer)}})
			decide := func(body string) handler.Summary {
				t.Helper()
				out, err := e.h.Handle(context.Background(), []byte(body))
				if err != nil {
					t.Fatal(err)
				}
				var s handler.Summary
				if err := json.Unmarshal(out, &s); err != nil {
					t.Fatal(err)
				}
				return s
			}
			if s := decide(`{"JobId":"` + job1 + `"}`); s.Retried != 1 {
				t.Errorf("first check: %+v, want it asked again", s)
			}
			old := e.clk.Now().Add(-handler.NewJobGrace).Format(time.RFC3339)
			if s := decide(`{"v":1,"jobId":"` + job1 + `","attempt":4,"firstCheckedAt":"` + old + `"}`); s.DeadLettered != 1 {
				t.Errorf("after NewJobGrace: %+v, want the unknown job dead-lettered with the reason", s)
			}
		})
	}
}

func TestAConfigurationFaultFailsTheInvocationLoudly(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		cred    string
		running bool // the job runs, so the check is re-queued; else it ends and is published
	}{
		{"a rejected secret", nil, "wrong", false},
		{"a missing event topic", map[string]string{"IPRODWATCH_EVENT_TOPIC": "no-such-topic"}, "", false},
		{"a missing check queue", map[string]string{"IPRODWATCH_CHECK_QUEUE": "no-such-queue"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, handlertest.Options{Env: tt.env})
			if tt.cred != "" {
				e.w.Cred.AccessKeySecret = tt.cred
				e.rebuild()
			}
			e.seed(job1, "ImageH2V", mpstest.Script{Done: time.Second, Never: tt.running}, false)
			e.clk.AdvanceTo(t0.Add(2 * time.Second))
			_, err := e.h.Handle(context.Background(), []byte(`{"JobId":"`+job1+`"}`))
			if !errors.Is(err, handler.ErrConfig) {
				t.Fatalf("Handle = %v, want an error matching ErrConfig", err)
			}
			if len(e.w.DeadLetters()) != 0 || len(e.events()) != 0 {
				t.Errorf("a configuration fault produced dead letters or events")
			}
			// The alert on configuration faults matches the fault field (README, Alerts).
			if !strings.Contains(e.logs.String(), `"level":"ERROR","msg":"invocation failed"`) || !strings.Contains(e.logs.String(), `"fault":"config"`) {
				t.Errorf("no error line with fault=config for the failed invocation:\n%s", e.logs.String())
			}
		})
	}
}

func TestThrottlingSlowsTheCheckDownAndLosesNothing(t *testing.T) {
	e := newEnv(t, handlertest.Options{})
	e.seed(job1, "ImageH2V", mpstest.Script{Done: time.Second}, false)
	e.w.MPS.FailNext(mpstest.ActionQuery, job1, 3, mpstest.Fault{Error: mpstest.ErrThrottling()})
	e.send(`{"JobId":"` + job1 + `"}`)
	e.drive(func() bool { return len(e.eventsFor(job1)) > 0 }, 100, e.queueTrigger())
	retried, throttled := 0, 0
	for _, r := range e.records() {
		if r.Decision == handler.DecisionRetried {
			retried++
		}
	}
	for _, l := range e.logLines() {
		if l["msg"] == "invocation" {
			throttled += int(l["throttled"].(float64)) // the invocation's counters, as an alert reads them
		}
	}
	if retried != 3 || throttled != 3 {
		t.Errorf("%d retried decisions and %d throttled answers, want 3 each", retried, throttled)
	}
	if ev := e.eventsFor(job1)[0]; ev.Data.Checks.Attempts != 4 {
		t.Errorf("checks.attempts = %d, want 4 (3 throttled and the one that saw the end)", ev.Data.Checks.Attempts)
	}
}

func TestAFinishedJobWhoseLastQueryFailsIsNotReportedTimedOut(t *testing.T) {
	e := newEnv(t, handlertest.Options{Env: map[string]string{"IPRODWATCH_DEADLINE": "10m"}})
	// The job ends just before its deadline, when MPS starts failing for a few minutes.
	e.seed(job1, "VideoH2V", mpstest.Script{Analysing: time.Second, Done: 9*time.Minute + 50*time.Second}, false)
	e.send(`{"JobId":"` + job1 + `"}`)
	src := e.queueTrigger()
	e.drive(func() bool { return e.clk.Now().After(t0.Add(9 * time.Minute)) }, 200, src)
	e.w.MPS.FailNext(mpstest.ActionQuery, job1, 4, mpstest.Fault{Error: mpstest.ErrServiceUnavailable()})
	e.drive(func() bool { return len(e.eventsFor(job1)) > 0 }, 200, src)
	if ev := e.eventsFor(job1)[0]; ev.Outcome != parse.OutcomeSucceeded {
		t.Errorf("outcome %s: a job that ended must not be reported timed out because MPS failed at its deadline", ev.Outcome)
	}
}

func TestATransientFailurePastTheDeadlineEndsInATimedOutEvent(t *testing.T) {
	e := newEnv(t, handlertest.Options{Env: map[string]string{"IPRODWATCH_DEADLINE": "10m"}})
	e.seed(job1, "VideoH2V", mpstest.Script{Analysing: time.Second, Never: true}, false)
	e.send(`{"JobId":"` + job1 + `"}`)
	src := e.queueTrigger()
	e.drive(func() bool { return e.clk.Now().After(t0.Add(9 * time.Minute)) }, 200, src)
	e.w.MPS.AddFault(mpstest.FaultRule{Action: mpstest.ActionQuery, Probability: 1, Fault: mpstest.Fault{Error: mpstest.ErrInternalError()}})
	e.drive(func() bool { return len(e.eventsFor(job1)) > 0 }, 200, src)
	ev := e.eventsFor(job1)[0]
	if ev.Outcome != parse.OutcomeTimedOut || ev.Data.State != parse.StateAnalysing || ev.Data.Algorithm != "VideoH2V" {
		t.Errorf("event %s state %q algorithm %q, want timedout with the last state and algorithm seen", ev.Outcome, ev.Data.State, ev.Data.Algorithm)
	}
}

func TestALateLastQueryIsNotTimedOutByOneThrottledAnswer(t *testing.T) {
	e := newEnv(t, handlertest.Options{Env: map[string]string{"IPRODWATCH_DEADLINE": "1h"}})
	e.seed(job1, "Cover", mpstest.Script{Done: 30 * time.Minute}, false)
	e.clk.AdvanceTo(t0.Add(time.Hour + 11*time.Minute)) // a backlog: the check comes 11 minutes after its deadline
	e.w.MPS.FailNext(mpstest.ActionQuery, job1, 1, mpstest.Fault{Error: mpstest.ErrThrottling()})
	check := `{"v":1,"jobId":"` + job1 + `","attempt":7,"firstCheckedAt":"2026-11-25T12:00:00Z","lastState":"Analysing","algorithm":"Cover"}`
	out, err := e.h.Handle(context.Background(), []byte(check))
	if err != nil {
		t.Fatal(err)
	}
	if s := decodeSummary(t, out); s.Retried != 1 || s.Published != 0 {
		t.Fatalf("summary %+v: a late check's first throttled answer must be retried, not timed out", s)
	}
	e.drive(func() bool { return len(e.eventsFor(job1)) > 0 }, 100, e.queueTrigger())
	if ev := e.eventsFor(job1)[0]; ev.Outcome != parse.OutcomeSucceeded {
		t.Errorf("outcome %s, want succeeded", ev.Outcome)
	}
}

func TestASubmitterMayShortenTheDeadlineButNotLengthenIt(t *testing.T) {
	e := newEnv(t, handlertest.Options{Env: map[string]string{"IPRODWATCH_DEADLINE": "1h"}})
	e.seed(job1, "VideoH2V", mpstest.Script{Analysing: time.Second, Never: true}, false)
	out, err := e.h.Handle(context.Background(), []byte(`{"v":1,"jobId":"`+job1+`","deadline":"9999-01-01T00:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if s := decodeSummary(t, out); s.Requeued != 1 {
		t.Fatalf("summary %+v", s)
	}
	msgs := e.w.MNS.Messages(handlertest.CheckQueue)
	req, err := parse.DecodeCheck([]byte(msgs[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(time.Hour); !req.Check.Deadline.Equal(want) {
		t.Errorf("re-queued deadline %v, want the configured %v", req.Check.Deadline, want)
	}
}

// A check that arrives long after its deadline (a backlog draining) is not timed out by one
// throttled answer: the job ended, and the next query says so.
func TestALateCheckIsNotTimedOutByOneThrottledAnswer(t *testing.T) {
	e := newEnv(t, handlertest.Options{})
	e.seed(job1, "ImageH2V", mpstest.Script{Done: time.Second}, false)
	first := t0.Add(-24*time.Hour - 35*time.Minute)
	e.send(`{"v":1,"jobId":"` + job1 + `","attempt":40,"firstCheckedAt":"` + first.Format(time.RFC3339) + `","lastState":"Analysing","algorithm":"ImageH2V"}`)
	e.w.MPS.FailNext(mpstest.ActionQuery, job1, 1, mpstest.Fault{Error: mpstest.ErrThrottling()})
	e.drive(func() bool { return len(e.eventsFor(job1)) > 0 }, 100, e.queueTrigger())
	if evs := e.eventsFor(job1); evs[0].Outcome != parse.OutcomeSucceeded {
		t.Errorf("the first event is %s, want succeeded: a single throttled answer timed a finished job out", evs[0].Outcome)
	}
}

// A queue's own MaximumMessageSize is honoured: an 8 KiB bad message goes to a dead-letter queue
// that takes 4 KiB (cut to fit), and a running job's check is re-queued to a check queue that takes
// 4 KiB (without its userData), where 64 KiB was assumed before and every delivery failed.
func TestAQueuesOwnSizeLimitIsHonoured(t *testing.T) {
	e := newEnv(t, handlertest.Options{Env: map[string]string{"IPRODWATCH_DLQ_QUEUE": "small-dlq", "IPRODWATCH_CHECK_QUEUE": "small-check"}})
	attrs := mnstest.DefaultQueueAttributes()
	attrs.MaximumMessageSize = 4096
	for _, q := range []string{"small-dlq", "small-check"} {
		if err := e.w.MNS.CreateQueue(q, attrs); err != nil {
			t.Fatal(err)
		}
	}
	e.seed(job2, "VideoH2V", mpstest.Script{Never: true}, false)
	payload := `[{"JobId":"` + job2 + `","UserData":"` + strings.Repeat("u", 6000) + `"},"` + strings.Repeat("x", 8000) + `"]`
	if _, err := e.h.Handle(context.Background(), []byte(payload)); err != nil {
		t.Fatalf("Handle = %v: a queue's size limit must not fail the batch", err)
	}
	dls := e.w.MNS.Messages("small-dlq")
	checks := e.w.MNS.Messages("small-check")
	if len(dls) != 1 || len(dls[0].Body) > 4096 || len(checks) != 1 || len(checks[0].Body) > 4096 {
		t.Fatalf("%d dead letters and %d checks (want 1 each, within 4 KiB)", len(dls), len(checks))
	}
	if req, err := parse.DecodeCheck([]byte(checks[0].Body)); err != nil || !req.Check.UserDataOmitted {
		t.Errorf("re-queued %s (%v), want it without its userData, flagged", checks[0].Body, err)
	}
}

// MPS's Result comes as a JSON string in the SDK's response type and the probes, and as an object
// in the API reference page's example. Through the real SDK and adapter, either gives the same
// event.
func TestEitherResultFormMakesTheSameEvent(t *testing.T) {
	var events []parse.Event
	for _, form := range []mpstest.ResultForm{mpstest.ResultString, mpstest.ResultObject} {
		e := newEnv(t, handlertest.Options{MPS: []mpstest.Option{mpstest.WithResultForm(form)}})
		e.seed(job1, "VideoH2V", mpstest.Script{Done: time.Second}, false)
		e.clk.AdvanceTo(t0.Add(2 * time.Second))
		if _, err := e.h.Handle(context.Background(), []byte(`{"JobId":"`+job1+`"}`)); err != nil {
			t.Fatalf("form %d: %v", form, err)
		}
		evs := e.eventsFor(job1)
		if len(evs) != 1 || evs[0].Outcome != parse.OutcomeSucceeded {
			t.Fatalf("form %d: events %+v, want one succeeded", form, evs)
		}
		events = append(events, evs[0])
	}
	if diff := cmp.Diff(events[0].Data, events[1].Data); diff != "" {
		t.Errorf("the event's data differs between the string and the object Result (-string +object):\n%s", diff)
	}
}
