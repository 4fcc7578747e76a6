package handler_test

import (
	"testing"
	"time"

	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/parse"
)

const job1 = "88c6ca184c0e432bbf5b665e2a15abcd"

func TestAJobIsFollowedThroughItsStatesToOneEvent(t *testing.T) {
	e := newEnv(t, handlertest.Options{})
	e.seed(job1, "VideoH2V", mpstest.Script{Analysing: 40 * time.Second, Done: 25 * time.Minute}, false)
	e.send(`{"JobId":"` + job1 + `"}`)
	src := e.queueTrigger()
	e.drive(func() bool { return len(e.eventsFor(job1)) > 0 }, 500, src)

	evs := e.eventsFor(job1)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	if ev.ID != parse.EventID(job1, parse.OutcomeSucceeded) || ev.Type != "iprodwatch.job.succeeded.v1" {
		t.Errorf("event %s of type %s, want the succeeded event", ev.ID, ev.Type)
	}
	queries := e.w.MPS.CallCount(mpstest.ActionQuery, job1)
	if ev.Data.Checks.Attempts != queries || queries < 3 {
		t.Errorf("checks.attempts = %d, MPS saw %d queries; want them equal and several re-queues", ev.Data.Checks.Attempts, queries)
	}
	if !ev.Data.Checks.FirstCheckedAt.Equal(t0) {
		t.Errorf("firstCheckedAt = %v, want %v", ev.Data.Checks.FirstCheckedAt, t0)
	}
	if got := ev.Data.Checks.DetectedAt.Sub(t0); got < 25*time.Minute || got > 25*time.Minute+handlertestCap() {
		t.Errorf("detected %v after submit; the job ended at 25m and checks are at most %v apart", got, handlertestCap())
	}
	if len(ev.Data.Files) == 0 {
		t.Error("the event names no files")
	}
	if dl := e.w.DeadLetters(); len(dl) != 0 {
		t.Errorf("dead letters: %v", dl)
	}
	if left := e.w.MNS.Messages(handlertest.CheckQueue); len(left) != 0 {
		t.Errorf("%d messages left on the check queue after the job ended", len(left))
	}
}

func handlertestCap() time.Duration { return 5 * time.Minute }

func TestAFailedJobGetsTheFailedEventWithMPSsError(t *testing.T) {
	e := newEnv(t, handlertest.Options{})
	e.seed(job1, "Cover", mpstest.Script{Analysing: time.Second, Done: 20 * time.Second, Final: mpstest.StateFail}, false)
	e.send(`{"JobId":"` + job1 + `"}`)
	e.drive(func() bool { return len(e.eventsFor(job1)) > 0 }, 100, e.queueTrigger())
	ev := e.eventsFor(job1)[0]
	if ev.Outcome != parse.OutcomeFailed || ev.Data.Error == nil || ev.Data.Error.Code != mpstest.DefaultFailure().Code {
		t.Errorf("event outcome %s error %+v, want failed with %s", ev.Outcome, ev.Data.Error, mpstest.DefaultFailure().Code)
	}
}

func TestAJobPastItsDeadlineIsTimedOutAfterOneLastQuery(t *testing.T) {
	e := newEnv(t, handlertest.Options{Env: map[string]string{"IPRODWATCH_DEADLINE": "1h"}})
	e.seed(job1, "VideoDetext", mpstest.Script{Analysing: time.Minute, Never: true}, false)
	e.send(`{"JobId":"` + job1 + `"}`)
	e.drive(func() bool { return len(e.eventsFor(job1)) > 0 }, 500, e.queueTrigger())

	ev := e.eventsFor(job1)[0]
	if ev.Outcome != parse.OutcomeTimedOut || ev.Data.State != parse.StateAnalysing {
		t.Fatalf("event %s state %s, want timedout from Analysing", ev.Outcome, ev.Data.State)
	}
	deadline := t0.Add(time.Hour)
	if !ev.Data.Checks.Deadline.Equal(deadline) || ev.Data.Checks.DetectedAt.Before(deadline) {
		t.Errorf("deadline %v detected %v, want detection at or after %v", ev.Data.Checks.Deadline, ev.Data.Checks.DetectedAt, deadline)
	}
	after := 0
	for _, c := range e.w.MPS.Calls() {
		if c.JobID == job1 && !c.At.Before(deadline) {
			after++
		}
	}
	if after != 1 {
		t.Errorf("%d queries at or after the deadline, want exactly the last one", after)
	}
	if left := e.w.MNS.Messages(handlertest.CheckQueue); len(left) != 0 {
		t.Errorf("%d messages left on the check queue: the chain did not stop", len(left))
	}
}

func TestChecksPastTheStalledThresholdLogAWarning(t *testing.T) {
	e := newEnv(t, handlertest.Options{Env: map[string]string{"IPRODWATCH_STALLED_AFTER": "10m"}})
	e.seed(job1, "VideoDelogo", mpstest.Script{Analysing: time.Minute, Done: 40 * time.Minute}, false)
	e.send(`{"JobId":"` + job1 + `"}`)
	e.drive(func() bool { return len(e.eventsFor(job1)) > 0 }, 500, e.queueTrigger())
	var early, late, warned int
	for _, l := range e.logLines() {
		if l["msg"] != "decision" {
			continue
		}
		stalled := l["stalled"] == true
		if stalled && l["level"] == "WARN" {
			warned++
		}
		if !stalled {
			early++
		} else {
			late++
		}
	}
	if early == 0 || late == 0 || warned != late {
		t.Errorf("%d checks before the threshold, %d after (%d as warnings); want both, every late one a warning", early, late, warned)
	}
}
