package handler_test

import (
	"context"
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/parse"
)

// Pull mode's claims (pull.go): a sweep settles only a message it still holds.

// A finished job's message is claimed before its event is published: when the query outlasted the
// visibility timeout, the delete would do nothing with the receipt received, the message would
// stay, and the next sweep would publish the same event again. (Found by the third review.)
func TestPullPublishesOnlyAMessageItStillHolds(t *testing.T) {
	slow := 31 * time.Second
	c := newCoreWith(t, map[string]string{"IPRODWATCH_PULL_BATCH": "1"}, func(c *core, cl *handler.Clients) {
		cl.Jobs = slowJobs{Jobs: cl.Jobs, c: c, slow: slow}
	})
	c.cloud.SetJob(job1, "ImageH2V", parse.StateSuccess)
	if err := c.cloud.Clients().Queues.Send(context.Background(), "check", []byte(`{"JobId":"`+job1+`"}`), 0); err != nil {
		t.Fatal(err)
	}
	c.invoke(sweep)
	slow = 0
	c.clk.Advance(time.Minute)
	c.invoke(sweep)
	if ev := c.cloud.Published("events"); len(ev) != 1 {
		t.Errorf("%d events published for one finished job, want 1 (the message was 'deleted' with a stale receipt)", len(ev))
	}
	if m := c.cloud.Messages("check"); len(m) != 0 {
		t.Errorf("%d messages left on the check queue", len(m))
	}
}

// slowSendQueues advances the manual clock on every Send to the check queue: a send that takes
// longer than the one-minute claim.
type slowSendQueues struct {
	handler.Queues
	c    *core
	slow *time.Duration
}

func (q slowSendQueues) Send(ctx context.Context, name string, body []byte, d time.Duration) error {
	if name == "check" {
		q.c.clk.Advance(*q.slow)
	}
	return q.Queues.Send(ctx, name, body, d)
}

// Replace's claim lasts for the rest of the invocation, not a minute: a replacement send that
// outlasts a short claim (the SDK's retries) would leave the original visible again, the delete
// would do nothing, and the job would have two chains.
func TestPullClaimsForTheRestOfTheInvocation(t *testing.T) {
	var slow time.Duration
	c := newCoreWith(t, map[string]string{"IPRODWATCH_PULL_BATCH": "1"}, func(c *core, cl *handler.Clients) {
		cl.Queues = slowSendQueues{Queues: cl.Queues, c: c, slow: &slow}
	})
	c.cloud.SetJob(job1, "ImageH2V", parse.StateAnalysing)
	c.sendLateCheck()
	slow = 61 * time.Second
	got := c.invoke(sweep)
	if len(got) != 1 || got[0].Decision != handler.DecisionRetried {
		t.Fatalf("records %+v, want one retried (replaced) check", got)
	}
	if m := c.cloud.Messages("check"); len(m) != 1 {
		t.Errorf("%d messages for one job on the check queue after Replace, want 1: the original outlived its claim and was not deleted", len(m))
	}
}
