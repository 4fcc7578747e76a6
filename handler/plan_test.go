package handler_test

import (
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/parse"
)

// plannedRow is the README's Decisions row of handler.Plan.
const plannedRow = "a first check whose algorithm the submitter gave: requeued without a query, to its prior's first slot"

// TestPlanLetsTheFirstQueryWaitOnlyWhenNothingIsLost (issue 17): a first check whose algorithm
// (or expected duration) is known waits for the prior's first slot, still the first attempt, and
// nothing saw the job running; every other check is left to the query.
func TestPlanLetsTheFirstQueryWaitOnlyWhenNothingIsLost(t *testing.T) {
	first := func(edit func(*parse.Check)) parse.Check {
		c := parse.Check{Version: 1, JobID: someJob, Attempt: 1, FirstCheckedAt: t0, DueAt: t0, Deadline: t0.Add(24 * time.Hour), Algorithm: "VideoH2V"}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	v, ok := handler.Plan(rules, first(nil), parse.OriginSubmit, false, t0.Add(time.Second))
	if !ok || v.Decision != handler.DecisionRequeued || v.Reason != handler.PlannedReason || v.Next.Attempt != 1 ||
		!v.Next.LastCheckedAt.IsZero() || !v.Next.DueAt.After(t0.Add(rules.Policy.Floor)) || v.Delay <= 0 {
		t.Fatalf("planned %+v (%v), want requeued to a slot past the floor, still attempt 1", v, ok)
	}
	if again, _ := handler.Plan(rules, first(nil), parse.OriginSubmit, false, t0.Add(2*time.Second)); string(again.Body) != string(v.Body) {
		t.Errorf("a copy a second later plans another message:\n%s\n%s", again.Body, v.Body)
	}
	hinted := first(func(c *parse.Check) { c.Algorithm, c.ExpectedSeconds = "", 600 })
	if _, ok := handler.Plan(rules, hinted, parse.OriginSubmit, false, t0); !ok {
		t.Error("a first check with expectedSeconds was not planned")
	}
	for name, tt := range map[string]struct {
		c      parse.Check
		origin parse.Origin
		pull   bool
		at     time.Duration
	}{
		"no algorithm":                {first(func(c *parse.Check) { c.Algorithm = "" }), parse.OriginSubmit, false, 0},
		"a notification":              {first(nil), parse.OriginNotification, false, 0},
		"pull mode":                   {first(nil), parse.OriginCheck, true, 0},
		"the planned arrival":         {first(func(c *parse.Check) { c.DueAt = t0.Add(2 * time.Minute) }), parse.OriginCheck, false, 2 * time.Minute},
		"a first check past its slot": {first(nil), parse.OriginSubmit, false, time.Hour},
		"beside a notification":       {first(nil), parse.OriginSubmit, true, 0},
		"a later check":               {first(func(c *parse.Check) { c.Attempt = 2 }), parse.OriginCheck, false, 0},
		"a retried first":             {first(func(c *parse.Check) { c.Failures = 1 }), parse.OriginCheck, false, 0},
	} {
		if v, ok := handler.Plan(rules, tt.c, tt.origin, tt.pull, t0.Add(tt.at)); ok {
			t.Errorf("%s: planned %+v, want a query", name, v.Record())
		}
	}
}

// TestAPlannedFirstCheckMakesNoQuery: through the handler, a submitter's first check with the
// algorithm is re-queued without a query, and its next arrival queries.
func TestAPlannedFirstCheckMakesNoQuery(t *testing.T) {
	e := newEnv(t, handlertest.Options{})
	e.seed(job1, "VideoH2V", mpstest.Script{Never: true}, false)
	if _, err := e.h.Handle(t.Context(), []byte(`{"v":1,"jobId":"`+job1+`","attempt":1,"algorithm":"VideoH2V"}`)); err != nil {
		t.Fatal(err)
	}
	if n := e.w.MPS.CallCount(mpstest.ActionQuery, job1); n != 0 {
		t.Errorf("%d queries for a planned first check, want 0", n)
	}
	msgs := e.w.MNS.Messages(handlertest.CheckQueue)
	if len(msgs) != 1 {
		t.Fatalf("%d check messages, want the planned one", len(msgs))
	}
	r, err := parse.DecodeCheck([]byte(msgs[0].Body))
	if err != nil || r.Check.Attempt != 1 || !r.Check.DueAt.After(r.Check.FirstCheckedAt) {
		t.Errorf("planned message %+v (%v), want attempt 1 due after its first check", r.Check, err)
	}
}

// TestANotificationBesideTheFirstCheckIsQueriedAtOnce (found by review): a job that fails at once
// has its notification in the delivery of its first check; the first check must not wait for its
// prior then, or the end is found half an hour late.
func TestANotificationBesideTheFirstCheckIsQueriedAtOnce(t *testing.T) {
	c := newCore(t)
	c.cloud.SetJob(job1, "VideoH2V", parse.StateFail)
	first := `{"v":1,"jobId":"` + job1 + `","attempt":1,"firstCheckedAt":"` + t0.Format(time.RFC3339) + `","algorithm":"VideoH2V","notified":true}`
	notif := `{"Type":"IProduction","JobId":"` + job1 + `","State":"Fail"}`
	c.clk.Advance(2 * time.Second)
	c.invoke("[" + first + "," + notif + "]")
	if len(c.cloud.Published("events")) == 0 {
		t.Errorf("no event: the notification was merged into a first check that waits for its prior")
	}
}

// TestACopyOfThePlannedFirstCheckWritesTheSameMessage (found by review): a copy of the first check
// that reaches another instance after the policy's floor, but before the planned slot, plans the
// very message the first instance wrote, so the two stay one chain.
func TestACopyOfThePlannedFirstCheckWritesTheSameMessage(t *testing.T) {
	o, a, b := twoInstances(t)
	a.clk.Advance(time.Second)
	a.invoke(o)
	b.clk.Advance(20 * time.Second)
	b.invoke(o)
	pm, qm := a.cloud.Messages("check"), b.cloud.Messages("check")
	if len(pm) != 1 || len(qm) != 1 || string(pm[0].Body) != string(qm[0].Body) {
		t.Errorf("the copy 19 s later wrote\n%s\nthe first\n%s", qm[0].Body, pm[0].Body)
	}
}

// TestACopyOfTheFirstCheckPastItsSlotJoinsThePlannedChain (found by the review's follow-up): a
// copy of the first check that comes after the planned slot queries as the planned check there
// would, and writes the message the planned chain writes.
func TestACopyOfTheFirstCheckPastItsSlotJoinsThePlannedChain(t *testing.T) {
	o, a, b := twoInstances(t)
	a.clk.Advance(time.Second)
	a.invoke(o)
	planned := a.cloud.Messages("check")[0]
	p, _ := parse.DecodeCheck(planned.Body)
	at := p.Check.DueAt.Add(time.Second)
	a.clk.AdvanceTo(at)
	a.invoke(string(planned.Body)) // the planned check at its slot
	b.clk.AdvanceTo(at)
	b.invoke(o) // a copy of the first, as late
	am, bm := a.cloud.Messages("check"), b.cloud.Messages("check")
	if len(bm) != 1 || string(am[len(am)-1].Body) != string(bm[0].Body) {
		t.Errorf("the late copy wrote\n%s\nthe planned chain\n%s", bm[0].Body, am[len(am)-1].Body)
	}
}

// twoInstances are two instances of the function, each with its own memory, and the first check of
// a queued job as iprodwatch submit writes it.
func twoInstances(t *testing.T) (first string, a, b *core) {
	a, b = newCore(t), newCore(t)
	for _, c := range []*core{a, b} {
		c.cloud.SetJob(job1, "VideoH2V", parse.StateQueuing)
	}
	return `{"v":1,"jobId":"` + job1 + `","attempt":1,"firstCheckedAt":"` + t0.Format(time.RFC3339) + `","algorithm":"VideoH2V"}`, a, b
}
