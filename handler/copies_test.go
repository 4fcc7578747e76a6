package handler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/parse"
)

// Copies of a check and the schedule that keeps them in step (decide.go: schedule, snap, Merge;
// normalize.go: the due time and the send-time anchor).

// Two copies of a check delivered 30 s apart (at-least-once delivery) become one chain: the second
// copy plans the slot the first one planned, they arrive together, and the delivery that holds
// both merges them. Before slots, the copies stayed 30 s apart, and two chains, for good. The
// queue here is drained as a trigger does: every visible message, once a second, in one batch.
func TestCopiesDeliveredApartBecomeOneChain(t *testing.T) {
	c := newCore(t)
	c.cloud.SetJob(job1, "VideoH2V", parse.StateAnalysing) // never ends
	first := t0.Add(-20 * time.Minute)
	check := `{"v":1,"jobId":"` + job1 + `","attempt":5,"firstCheckedAt":"` + first.Format(time.RFC3339) +
		`","dueAt":"` + t0.Format(time.RFC3339) + `","algorithm":"VideoH2V","lastState":"Analysing","stateSince":"` + first.Format(time.RFC3339) + `"}`
	c.invoke(check)
	c.clk.Advance(30 * time.Second)
	c.invoke(check)
	q := c.cloud.Clients().Queues
	ctx := context.Background()
	queries := 0
	for c.clk.Now().Before(t0.Add(3 * time.Hour)) {
		c.clk.Advance(time.Second)
		msgs, err := q.Receive(ctx, "check", 16, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			continue
		}
		var batch []string
		for _, m := range msgs {
			batch = append(batch, string(m.Body))
			if err := q.Delete(ctx, "check", m.Receipt); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range c.invoke("[" + strings.Join(batch, ",") + "]") {
			if r.Decision == handler.DecisionRequeued {
				queries++
			}
		}
	}
	if m := c.cloud.Messages("check"); len(m) != 1 {
		t.Errorf("%d check messages for one job after 3 hours, want one chain", len(m))
	}
	t.Logf("%d queries in 3 hours", queries)
}

// A trigger's send time anchors a chain only when it can be one: a PublishTime that is not epoch
// milliseconds (here seconds, 1970) is ignored and the chain starts now, never a dead letter.
// (Found by the fifth review.)
func TestASendTimeThatCannotBeOneIsIgnored(t *testing.T) {
	c := newCore(t)
	c.cloud.SetJob(job1, "VideoH2V", parse.StateAnalysing)
	payload := fmt.Sprintf(`{"TopicOwner":"1234567890123456","TopicName":"intake","MessageId":"m1","PublishTime":%d,"Message":"{\"JobId\":\"%s\"}"}`,
		t0.Unix(), job1) // seconds, not milliseconds: 1970-01-21
	got := c.invoke(payload)
	if len(got) != 1 || got[0].Decision != handler.DecisionRequeued {
		t.Errorf("records %+v: want the running job requeued, not lost to the dead-letter queue", got)
	}
}

// The same through EventBridge, for an event time further back than the deadline (a replayed
// event's original time, a skewed clock): no anchor, the chain starts now, and the running job is
// neither dead-lettered nor timed out on its first query.
func TestAnEventTimeOlderThanTheDeadlineIsIgnored(t *testing.T) {
	for _, at := range []time.Time{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), t0.Add(-48 * time.Hour)} {
		c := newCore(t)
		c.cloud.SetJob(job1, "VideoH2V", parse.StateAnalysing)
		payload := `[{"specversion":"1.0","id":"e1","source":"mns","type":"mns:Queue:SendMessage","time":"` + at.Format(time.RFC3339) + `",` +
			`"data":{"messageId":"m1","messageBody":"{\"JobId\":\"` + job1 + `\"}"}}]`
		if got := c.invoke(payload); len(got) != 1 || got[0].Decision != handler.DecisionRequeued {
			t.Errorf("event time %v: records %+v, want the running job requeued", at, got)
		}
	}
}

// A copy that arrives just before the next slot leaves that slot to the chain due there and takes
// the one after: it is never re-queued for less than half the policy's floor.
func TestALateCopyKeepsHalfTheFloor(t *testing.T) {
	a, id := answer(t, "VideoH2V/analysing.json")
	c := running(id)
	c.DueAt = t0.Add(10 * time.Minute)
	onTime := handler.Decide(rules, handler.Input{Check: c, Answer: a, Now: c.DueAt})
	lateBy := onTime.Delay - 500*time.Millisecond // trigger latency
	late := handler.Decide(rules, handler.Input{Check: c, Answer: a, Now: c.DueAt.Add(lateBy)})
	if late.Decision != handler.DecisionRequeued {
		t.Fatalf("decided %s", late.Decision)
	}
	if late.Delay < rules.Policy.Floor/2 {
		t.Errorf("a check arriving %v late is re-queued after %v, under half the %v floor (on time: %v)",
			lateBy, late.Delay, rules.Policy.Floor, onTime.Delay)
	}
}

// A message without dueAt but mid-chain (re-queued by a build before dueAt, or written by hand) is
// due now, not at its first check: the next check does not step through every slot since the chain
// began, and a state change is never dated before the state it follows was seen.
func TestAMidChainMessageWithoutDueAtIsDueNow(t *testing.T) {
	a, id := answer(t, "VideoH2V/analysing.json")
	now := t0.Add(2 * time.Hour)
	queuingSince := t0.Add(100 * time.Minute)
	req := parse.Request{Origin: parse.OriginCheck, Check: parse.Check{Version: 1, JobID: id, Attempt: 40, FirstCheckedAt: t0,
		Deadline: t0.Add(24 * time.Hour), Algorithm: "VideoH2V", LastState: parse.StateQueuing, StateSince: queuingSince}}
	c, err := handler.Normalize(rules, req, handler.Delivery{}, now)
	if err != nil {
		t.Fatal(err)
	}
	v := handler.Decide(rules, handler.Input{Check: c, Answer: a, Now: now})
	if v.Next == nil {
		t.Fatalf("decided %s", v.Decision)
	}
	if v.Next.StateSince.Before(queuingSince) {
		t.Errorf("Analysing recorded since %v, before Queuing was seen (%v)", v.Next.StateSince, queuingSince)
	}
	if v.Next.Attempt != 41 {
		t.Errorf("next attempt %d after one query at attempt 40", v.Next.Attempt)
	}
}

// Of two copies of one chain past its deadline, Merge keeps the healthy one, not the one with the
// higher attempt (attempts count retries): kept, the failing copy would time out on one throttled
// answer a job that has ended.
func TestMergeKeepsTheHealthyCopy(t *testing.T) {
	c := newCore(t)
	c.cloud.SetJob(job1, "VideoH2V", parse.StateSuccess)
	c.cloud.FailNext(job1, fmt.Errorf("%w: Throttling", handler.ErrThrottled))
	first := t0.Add(-24*time.Hour - 20*time.Minute)
	base := `"v":1,"jobId":"` + job1 + `","firstCheckedAt":"` + first.Format(time.RFC3339) + `","lastState":"Analysing","stateSince":"` + first.Format(time.RFC3339) + `"`
	healthy := `{` + base + `,"attempt":300,"dueAt":"` + t0.Add(-time.Second).Format(time.RFC3339) + `"}`
	failing := `{` + base + `,"attempt":305,"failures":4,"failingSince":"` + t0.Add(-15*time.Minute).Format(time.RFC3339) +
		`","dueAt":"` + t0.Add(-16*time.Minute).Format(time.RFC3339) + `"}`
	c.invoke("[" + healthy + "," + failing + "]")
	for _, e := range c.cloud.Published("events") {
		if e.Tag == string(parse.OutcomeTimedOut) {
			t.Errorf("published a timed-out event for a job that succeeded: the merged healthy copy would have retried")
		}
	}
}

// In pull mode two messages of one job (a submitter that sent twice) received together are one
// chain: the copy is deleted, the other checked and kept; nothing is lost, since the one kept
// stays on the queue until its job's event is published.
func TestPullDeletesACopyReceivedBesideItsChain(t *testing.T) {
	c := newCore(t)
	c.cloud.SetJob(job1, "VideoH2V", parse.StateAnalysing)
	for range 2 {
		sendCheck(t, c, `{"JobId":"`+job1+`"}`)
	}
	got := c.invoke(sweep)
	if len(got) != 2 || got[0].Decision != handler.DecisionMerged || got[1].Decision != handler.DecisionRequeued {
		t.Errorf("sweep: %+v, want one copy merged and one chain requeued", got)
	}
	if m := c.cloud.Messages("check"); len(m) != 1 {
		t.Errorf("%d messages for one job, want 1", len(m))
	}
}

// Pull mode, a submitter that sent twice: a copy Normalize refuses (a producer clock far behind) is
// never the one kept, so the healthy copy is not deleted beside a dead letter and the job is
// reported. (Found by the sixth review, as the next four.)
func TestPullNeverDeletesTheCopyOfADeadLetter(t *testing.T) {
	c := newCore(t)
	c.cloud.SetJob(job1, "VideoH2V", parse.StateAnalysing)
	sendCheck(t, c, `{"v":1,"jobId":"`+job1+`","firstCheckedAt":"2020-01-01T00:00:00Z"}`) // bad clock
	sendCheck(t, c, `{"JobId":"`+job1+`"}`)                                               // healthy
	c.invoke(sweep)
	c.cloud.SetJob(job1, "VideoH2V", parse.StateSuccess)
	for range 20 {
		c.clk.Advance(time.Minute)
		c.invoke(sweep)
	}
	if ev := c.cloud.Published("events"); len(ev) == 0 {
		t.Errorf("no event for a job that succeeded: the healthy copy was deleted, the one kept went to the dead-letter queue (%d dead letters, %d checks left)",
			len(c.cloud.Messages("dlq")), len(c.cloud.Messages("check")))
	}
}

// Of two messages of one job with different deadlines, Merge keeps the later deadline: kept, the
// earlier would report timed out (at 2 min) a job that succeeds at 5 min.
func TestMergeKeepsTheLaterDeadline(t *testing.T) {
	c := newCore(t)
	c.cloud.SetJob(job1, "VideoH2V", parse.StateAnalysing)
	sendCheck(t, c, `{"v":1,"jobId":"`+job1+`","deadline":"`+t0.Add(2*time.Minute).Format(time.RFC3339)+`"}`)
	sendCheck(t, c, `{"JobId":"`+job1+`"}`)
	c.invoke(sweep)
	for i := range 15 {
		c.clk.Advance(time.Minute)
		if i == 4 {
			c.cloud.SetJob(job1, "VideoH2V", parse.StateSuccess)
		}
		c.invoke(sweep)
	}
	var tags []string
	for _, e := range c.cloud.Published("events") {
		tags = append(tags, e.Tag)
	}
	if len(tags) != 1 || tags[0] != string(parse.OutcomeSucceeded) {
		t.Errorf("events %v: want the succeeded event the copy without a deadline would have published", tags)
	}
}

// A last slot at the deadline less than half the floor ahead is kept, and counted once.
func TestTheDeadlineSlotIsOneAttempt(t *testing.T) {
	a, id := answer(t, "VideoH2V/analysing.json")
	c := running(id)
	now := t0.Add(23*time.Hour + 59*time.Minute + 58*time.Second) // 2 s before the deadline
	c.DueAt = now
	v := handler.Decide(rules, handler.Input{Check: c, Answer: a, Now: now})
	if v.Next == nil {
		t.Fatalf("decided %s", v.Decision)
	}
	if !v.Next.DueAt.Equal(c.Deadline) {
		t.Errorf("next slot %v, want the deadline %v", v.Next.DueAt, c.Deadline)
	}
	if v.Next.Attempt != c.Attempt+1 {
		t.Errorf("next attempt %d after one query at attempt %d: no slot was skipped", v.Next.Attempt, c.Attempt)
	}
}

// Push mode likewise: the healthy copy is checked, the one Normalize refuses dead-lettered.
func TestPushNeverMergesIntoADeadLetter(t *testing.T) {
	c := newCore(t)
	c.cloud.SetJob(job1, "VideoH2V", parse.StateAnalysing)
	c.invoke(`[{"v":1,"jobId":"` + job1 + `","firstCheckedAt":"2020-01-01T00:00:00Z"},{"JobId":"` + job1 + `"}]`)
	if m := c.cloud.Messages("check"); len(m) != 1 {
		t.Errorf("%d check messages, want the healthy copy's chain (%d dead letters)", len(m), len(c.cloud.Messages("dlq")))
	}
}

func sendCheck(t *testing.T, c *core, body string) {
	t.Helper()
	if err := c.cloud.Clients().Queues.Send(context.Background(), "check", []byte(body), 0); err != nil {
		t.Fatal(err)
	}
}

// Copies rarely share a delivery (MNS returns what one of its nodes holds), so an instance
// remembers how far it took each chain: a copy that reaches it later, at a slot it already
// worked, is merged without a query. Its own next check, at the slot it planned, is worked; so
// are a copy with a later deadline and a notification. (Found when mnstest's delivery became the
// service's: chains per job max 3.50 in the chaos run.)
func TestACopyDeliveredApartIsMergedByTheInstanceThatWorkedIt(t *testing.T) {
	first := t0.Add(-20 * time.Minute)
	checkAt := func(due time.Time, deadline string) string {
		s := `{"v":1,"jobId":"` + job1 + `","attempt":5,"firstCheckedAt":"` + first.Format(time.RFC3339) +
			`","dueAt":"` + due.Format(time.RFC3339) + `","algorithm":"VideoH2V","lastState":"Analysing","stateSince":"` + first.Format(time.RFC3339) + `"`
		if deadline != "" {
			s += `,"deadline":"` + deadline + `"`
		}
		return s + "}"
	}
	decisions := func(recs []handler.Record) []handler.Decision {
		var out []handler.Decision
		for _, r := range recs {
			out = append(out, r.Decision)
		}
		return out
	}
	c := newCore(t)
	c.cloud.SetJob(job1, "VideoH2V", parse.StateAnalysing) // never ends
	// Off the whole second, so the next slot is planned with a fraction that its message loses.
	c.clk.Advance(1500 * time.Millisecond)
	copyOf := checkAt(t0, t0.Add(2*time.Hour).Format(time.RFC3339))
	if got := decisions(c.invoke(copyOf)); len(got) != 1 || got[0] != handler.DecisionRequeued {
		t.Fatalf("the first copy: %v, want requeued", got)
	}
	c.clk.Advance(30 * time.Second)
	if got := decisions(c.invoke(copyOf)); len(got) != 1 || got[0] != handler.DecisionMerged {
		t.Errorf("the second copy 30 s later: %v, want merged", got)
	}
	if got := decisions(c.invoke(checkAt(t0, ""))); len(got) != 1 || got[0] != handler.DecisionRequeued {
		t.Errorf("a copy with a later deadline (the default, 24 h): %v, want it worked (requeued)", got)
	}
	notified := `{"Type":"IProduction","JobId":"` + job1 + `","State":"Success"}`
	if got := decisions(c.invoke(notified)); len(got) != 1 || got[0] == handler.DecisionMerged {
		t.Errorf("a notification: %v, want it worked", got)
	}
	// The chain's own next checks, each at the slot that was planned, are worked.
	msgs := c.cloud.Messages("check")
	if len(msgs) == 0 {
		t.Fatal("no next check on the queue")
	}
	for _, m := range msgs {
		c.clk.AdvanceTo(t0.Add(3 * time.Hour))
		if got := decisions(c.invoke(string(m.Body))); len(got) != 1 || got[0] == handler.DecisionMerged {
			t.Errorf("the chain's own next check: %v, want it worked", got)
		}
	}
}

// A copy the instance already worked must not push aside what follows it in the same delivery.
// Found by the review of the memory, after a 20,000-job soak lost a job: check M's query failed
// and its retry R (same slot, one attempt and one failure more) was sent; a copy of M then
// arrived beside R. Merge kept the copy (fewer failures) and merged R, and the memory dropped the
// copy: nothing was sent and the job had no chain left. The same order swallowed a notification
// delivered beside a stale copy. Now the memory goes first and Merge chooses among the rest.
func TestAStaleCopyDoesNotPushAsideWhatFollowsIt(t *testing.T) {
	first := t0.Add(-20 * time.Minute)
	m := `{"v":1,"jobId":"` + job1 + `","attempt":5,"firstCheckedAt":"` + first.Format(time.RFC3339) +
		`","dueAt":"` + t0.Format(time.RFC3339) + `","deadline":"` + t0.Add(2*time.Hour).Format(time.RFC3339) +
		`","algorithm":"VideoH2V","lastState":"Analysing","stateSince":"` + first.Format(time.RFC3339) + `"}`
	take := func(c *core) string {
		t.Helper()
		q, ctx := c.cloud.Clients().Queues, context.Background()
		msgs, err := q.Receive(ctx, "check", 16, 0)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("receive: %d messages, %v; want the chain's next check", len(msgs), err)
		}
		if err := q.Delete(ctx, "check", msgs[0].Receipt); err != nil {
			t.Fatal(err)
		}
		return string(msgs[0].Body)
	}
	t.Run("the chain's own retry", func(t *testing.T) {
		c := newCore(t)
		c.cloud.SetJob(job1, "VideoH2V", parse.StateAnalysing)
		c.cloud.FailNext(job1, fmt.Errorf("%w: Throttling", handler.ErrThrottled))
		if got := c.invoke(m); len(got) != 1 || got[0].Decision != handler.DecisionRetried {
			t.Fatalf("M: %+v, want retried", got)
		}
		c.clk.Advance(2 * time.Minute)
		retry := take(c)
		c.invoke("[" + m + "," + retry + "]")
		if n := len(c.cloud.Messages("check")); n != 1 {
			t.Errorf("%d check messages after a copy of M beside M's retry, want the chain going on", n)
		}
	})
	t.Run("the job's notification", func(t *testing.T) {
		c := newCore(t)
		c.cloud.SetJob(job1, "VideoH2V", parse.StateAnalysing)
		if got := c.invoke(m); len(got) != 1 || got[0].Decision != handler.DecisionRequeued {
			t.Fatalf("M: %+v, want requeued", got)
		}
		c.clk.Advance(10 * time.Second)
		c.cloud.SetJob(job1, "VideoH2V", parse.StateSuccess)
		c.invoke("[" + m + `,{"Type":"IProduction","JobId":"` + job1 + `","State":"Success"}]`)
		if len(c.cloud.Published("events")) == 0 {
			t.Error("the notification of the job's end beside a stale copy was not worked: no event")
		}
	})
}
