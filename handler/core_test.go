package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/memcloud"
	"iprodwatch/parse"
)

// The core over the in-memory fake: what push and pull carry out, without HTTP. The fake holds to
// the same port contract as the SDK adapters (handler/porttest).

type core struct {
	t     *testing.T
	clk   *clock.Manual
	cloud *memcloud.Cloud
	h     *handler.Handler

	mu   sync.Mutex // the observer is called from the invocation's goroutines
	recs []handler.Record
}

func newCore(t *testing.T) *core { return newCoreWith(t, nil, nil) }

// newCoreWith is newCore with env over the base configuration and, when wrap is not nil, every
// invocation's clients passed through wrap (to slow or fail one port, or watch its calls). The
// dead-letter queue holds 4 KiB, as MNS lets a queue be configured.
func newCoreWith(t *testing.T, env map[string]string, wrap func(c *core, cl *handler.Clients)) *core {
	t.Helper()
	base := map[string]string{"IPRODWATCH_REGION": "cn-shanghai", "IPRODWATCH_ACCOUNT_ID": "1234567890123456",
		"IPRODWATCH_CHECK_QUEUE": "check", "IPRODWATCH_EVENT_TOPIC": "events", "IPRODWATCH_DLQ_QUEUE": "dlq"}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := handler.LoadConfig(func(k string) string { return base[k] })
	if err != nil {
		t.Fatal(err)
	}
	c := &core{t: t, clk: clock.NewManual(t0)}
	c.cloud = memcloud.New(c.clk)
	c.cloud.CreateQueue("check", memcloud.QueueConfig{Retention: 7 * 24 * time.Hour, Visibility: 30 * time.Second})
	c.cloud.CreateQueue("dlq", memcloud.QueueConfig{Retention: 7 * 24 * time.Hour, Visibility: 30 * time.Second, MaxMessage: 4096})
	c.cloud.CreateTopic("events")
	connect := c.cloud.Connector()
	if wrap != nil {
		connect = func(context.Context) (*handler.Clients, error) {
			cl := c.cloud.Clients()
			wrap(c, cl)
			return cl, nil
		}
	}
	c.h = handler.New(cfg, connect, handler.WithClock(c.clk), handler.WithLogger(slogTo(&handlertest.Buffer{})),
		handler.WithObserver(func(r handler.Record) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.recs = append(c.recs, r)
		}))
	return c
}

// invoke runs one invocation and returns its records, sorted (checks run concurrently), with the
// delays left out (decide_test.go pins them).
func (c *core) invoke(payload string) []handler.Record {
	c.t.Helper()
	c.recs = nil
	if _, err := c.h.Handle(context.Background(), []byte(payload)); err != nil {
		c.t.Fatal(err)
	}
	for i := range c.recs {
		c.recs[i].DelaySeconds = 0
	}
	slices.SortFunc(c.recs, func(a, b handler.Record) int {
		return strings.Compare(a.JobID+string(a.Decision), b.JobID+string(b.Decision))
	})
	return c.recs
}

func TestPushCarriesOutEachVerdictOnce(t *testing.T) {
	c := newCore(t)
	c.cloud.SetJob(job1, "VideoH2V", parse.StateAnalysing)
	c.cloud.SetJob(job2, "ImageH2V", parse.StateSuccess)
	_, bad := parse.DecodeCheck([]byte(`{"foo":1}`))
	got := c.invoke(`[{"JobId":"` + job1 + `"},{"JobId":"` + job2 + `"},{"foo":1},{"JobId":"` + job1 + `"}]`)
	want := []handler.Record{
		{JobID: job2, Decision: handler.DecisionPublished, Attempt: 1, EventID: parse.EventID(job2, parse.OutcomeSucceeded), Outcome: "succeeded"},
		{JobID: job1, Decision: handler.DecisionMerged, Attempt: 1, Reason: "another check of this job in this delivery"},
		{JobID: job1, Decision: handler.DecisionRequeued, Attempt: 1, NextAttempt: 2},
		{Decision: handler.DecisionDeadLettered, Reason: bad.Error()},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	checks := c.cloud.Messages("check")
	if len(checks) != 1 {
		t.Fatalf("%d messages on the check queue, want the one next check", len(checks))
	}
	if req, err := parse.DecodeCheck(checks[0].Body); err != nil || req.Check.JobID != job1 || req.Check.Attempt != 2 || req.Check.LastState != parse.StateAnalysing {
		t.Errorf("next check %s (%v), want job1's attempt 2 having seen Analysing", checks[0].Body, err)
	}
	if ev := c.cloud.Published("events"); len(ev) != 1 || ev[0].Tag != "succeeded" {
		t.Errorf("published %+v, want one succeeded event", ev)
	}
	dls := c.cloud.Messages("dlq")
	var dl struct{ Reason, Body string }
	if len(dls) != 1 || json.Unmarshal(dls[0].Body, &dl) != nil || dl.Body != `{"foo":1}` || dl.Reason != bad.Error() {
		t.Errorf("dead letters %+v, want the bad body with its reason", dls)
	}
}

func TestPullDefersARunningJobAndDeletesAFinishedOne(t *testing.T) {
	c := newCore(t)
	c.cloud.SetJob(job1, "ImageH2V", parse.StateAnalysing)
	if err := c.cloud.Clients().Queues.Send(context.Background(), "check", []byte(`{"JobId":"`+job1+`"}`), 0); err != nil {
		t.Fatal(err)
	}
	const timer = `{"triggerTime":"2026-11-25T12:00:00Z","triggerName":"sweep","payload":"{}"}`
	want := []handler.Record{{JobID: job1, Decision: handler.DecisionRequeued, Attempt: 1, NextAttempt: 2}}
	if diff := cmp.Diff(want, c.invoke(timer)); diff != "" {
		t.Errorf("first sweep (-want +got):\n%s", diff)
	}
	if m := c.cloud.Messages("check"); len(m) != 1 || !m[0].VisibleAt.After(c.clk.Now()) {
		t.Fatalf("the running job's message should stay, hidden: %+v", m)
	}
	c.cloud.SetJob(job1, "ImageH2V", parse.StateSuccess)
	c.clk.Advance(5 * time.Minute)
	want = []handler.Record{{JobID: job1, Decision: handler.DecisionPublished, Attempt: 2, EventID: parse.EventID(job1, parse.OutcomeSucceeded), Outcome: "succeeded"}}
	if diff := cmp.Diff(want, c.invoke(timer)); diff != "" {
		t.Errorf("second sweep (-want +got):\n%s", diff)
	}
	if m := c.cloud.Messages("check"); len(m) != 0 {
		t.Errorf("the finished job's message is still on the queue: %+v", m)
	}
}

// In pull mode too, a check that comes long after its deadline is not timed out by one throttled
// answer: the failure is counted in a rewritten message, and the next sweep finds the job ended.
func TestPullDoesNotTimeALateCheckOutOnOneFailure(t *testing.T) {
	c := newCore(t)
	c.cloud.SetJob(job1, "ImageH2V", parse.StateSuccess)
	c.sendLateCheck()
	const timer = `{"triggerTime":"2026-11-25T12:00:00Z","triggerName":"sweep","payload":"{}"}`
	if got := c.invoke(timer); len(got) != 1 || got[0].Decision != handler.DecisionRetried {
		t.Fatalf("first sweep: %+v, want one retried check", got)
	}
	c.clk.Advance(time.Minute)
	got := c.invoke(timer)
	if len(got) != 1 || got[0].Outcome != string(parse.OutcomeSucceeded) {
		t.Errorf("second sweep: %+v, want the job's succeeded event", got)
	}
	if ev := c.cloud.Published("events"); len(ev) != 1 || ev[0].Tag != "succeeded" {
		t.Errorf("published %+v, want one succeeded event", ev)
	}
	if m := c.cloud.Messages("check"); len(m) != 0 {
		t.Errorf("%d messages left on the check queue", len(m))
	}
}

// slowJobs is the fake's Jobs with every query taking slow of the manual clock: a query that runs
// past the message's visibility timeout.
type slowJobs struct {
	handler.Jobs
	c    *core
	slow time.Duration
}

func (j slowJobs) QueryJob(ctx context.Context, id string) ([]byte, error) {
	j.c.clk.Advance(j.slow)
	return j.Jobs.QueryJob(ctx, id)
}

// Pull mode's Replace (a failure past the deadline, counted in a rewritten message) claims the
// received message before sending its replacement: when the query outlasted the visibility
// timeout the message is visible again (another sweep may hold it), the claim fails, nothing is
// sent, and the job keeps one message, not two.
func TestPullReplacesOnlyAMessageItStillHolds(t *testing.T) {
	slow := 31 * time.Second // the first sweep's query only
	c := newCoreWith(t, map[string]string{"IPRODWATCH_PULL_BATCH": "1"}, func(c *core, cl *handler.Clients) {
		cl.Jobs = slowJobs{Jobs: cl.Jobs, c: c, slow: slow}
	})
	c.cloud.SetJob(job1, "ImageH2V", parse.StateAnalysing)
	c.sendLateCheck()
	got := c.invoke(sweep)
	if len(got) != 1 || got[0].Decision != handler.DecisionMerged {
		t.Errorf("sweep: %+v, want the check merged into the chain of whoever holds the message now", got)
	}
	if m := c.cloud.Messages("check"); len(m) != 1 {
		t.Errorf("%d messages for one job on the check queue, want 1", len(m))
	}
	c.cloud.SetJob(job1, "ImageH2V", parse.StateSuccess)
	slow = 0
	for range 3 {
		c.clk.Advance(2 * time.Minute)
		c.invoke(sweep)
	}
	if ev := c.cloud.Published("events"); len(ev) != 1 || ev[0].Tag != "succeeded" {
		t.Errorf("published %+v, want the one succeeded event", ev)
	}
}

// sendLateCheck puts on the check queue a check of job1 that comes 35 minutes past its deadline,
// whose next query is throttled once: in pull mode, a Replace.
func (c *core) sendLateCheck() {
	c.t.Helper()
	c.cloud.FailNext(job1, fmt.Errorf("%w: Throttling", handler.ErrThrottled))
	first := t0.Add(-24*time.Hour - 35*time.Minute)
	sendCheck(c.t, c, `{"v":1,"jobId":"`+job1+`","firstCheckedAt":"`+first.Format(time.RFC3339)+`","lastState":"Analysing"}`)
}
