package handler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"iprodwatch/parse"
)

// PullRetentionMargin is the room pull mode asks of the check queue's retention beyond the deadline
// and the last query's grace: the sweeps that come late to a message.
const PullRetentionMargin = time.Hour

// sweep is pull mode, run by the timer trigger: the function drains the check queue itself, up to
// PullBatch messages within PullBudget. A running job's message is hidden again with
// ChangeMessageVisibility (no new message, so no duplicate chains); a final job's is published and
// then deleted.
func (inv *invocation) sweep(ctx context.Context, cl *Clients) error {
	h := inv.h
	end := h.wall().Add(h.cfg.PullBudget)
	if d, ok := ctx.Deadline(); ok && d.Add(-5*time.Second).Before(end) {
		end = d.Add(-5 * time.Second) // leave time to finish what was received
	}
	// Reading and receiving stop at the end of the budget, whatever the SDK retries; settling
	// what was received (publish, delete, defer) may go on to the invocation's own deadline.
	within, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	inv.useSizes(within, cl)
	limits, err := cl.Queues.Limits(within, h.cfg.CheckQueue)
	retention := limits.Retention
	if err != nil {
		if errors.Is(err, ErrConfig) {
			return err
		}
		inv.log.Warn("sweep skipped: the check queue's attributes could not be read", "error", err.Error())
		return nil
	}
	// A message must outlive its deadline, the last query's grace and the sweeps that wait on it.
	if need := h.cfg.Deadline + 3*LastQueryGrace + PullRetentionMargin; retention < need {
		return fmt.Errorf("%w: pull mode: the check queue %s keeps messages %v, less than the deadline %v plus %v of grace and margin: a job could vanish before it is reported; raise its MessageRetentionPeriod to at least %v or lower IPRODWATCH_DEADLINE",
			ErrConfig, h.cfg.CheckQueue, retention, h.cfg.Deadline, need-h.cfg.Deadline, need)
	}
	for taken := 0; taken < h.cfg.PullBatch && h.wall().Before(end); {
		msgs, err := cl.Queues.Receive(within, h.cfg.CheckQueue, min(16, h.cfg.PullBatch-taken), 0)
		if err != nil {
			if errors.Is(err, ErrConfig) {
				return err
			}
			inv.log.Warn("sweep stopped: receive failed", "error", err.Error())
			return nil
		}
		if len(msgs) == 0 {
			return nil
		}
		taken += len(msgs)
		// Two messages of one job (a submitter that sent twice) are one chain: the copy is
		// deleted, which loses nothing, since the one kept stays on the queue until its job's
		// event is published.
		byID := map[string]Received{}
		decoded := make([]parse.Message, len(msgs))
		for i, r := range msgs {
			req, err := parse.DecodeCheck(r.Body)
			decoded[i], byID[r.ID] = parse.Message{ID: r.ID, Body: r.Body, Request: req, Err: err}, r
		}
		now := h.clock.Now()
		kept, copies := Merge(decoded, func(m parse.Message) (parse.Check, error) {
			return Normalize(inv.rules, m.Request, pullDelivery(byID[m.ID]), now)
		})
		if err := inv.each(ctx, len(kept)+len(copies), func(ctx context.Context, i int) error {
			if i < len(kept) {
				return inv.pullOne(ctx, cl, kept[i], byID[kept[i].ID])
			}
			m := copies[i-len(kept)]
			if err := inv.retry(ctx, "delete", func() error { return cl.Queues.Delete(ctx, h.cfg.CheckQueue, byID[m.ID].Receipt) }); err != nil {
				return err
			}
			inv.record(Merged(m).Record(), "messageId", m.ID)
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// pullOne decides one received message, m decoded from r, and settles it.
func (inv *invocation) pullOne(ctx context.Context, cl *Clients, m parse.Message, r Received) error {
	if m.Err != nil {
		return inv.carryOutPull(ctx, cl, m, r.Receipt, Rejected(m.Err))
	}
	return inv.carryOutPull(ctx, cl, m, r.Receipt, inv.check(ctx, cl, m.Request, pullDelivery(r)))
}

// pullDelivery is what MNS tells of a received message beyond its body.
func pullDelivery(r Received) Delivery {
	return Delivery{Pull: true, DequeueCount: r.DequeueCount, EnqueuedAt: r.EnqueuedAt, FirstDequeueAt: r.FirstDequeueAt}
}

// claimFor is the least a claim hides the received message for; without an invocation deadline
// to go by, claimIdle.
const (
	claimFor  = time.Minute
	claimIdle = 15 * time.Minute
)

// carryOutPull settles a received message as v says: hidden again for the delay, or published (or
// dead-lettered, or replaced) and then deleted. A message left alone (the invocation failed) comes
// back by itself when its visibility runs out.
//
// Anything but a plain deferral claims the message first, by hiding it again for the rest of the
// invocation: a query that outlasted the visibility timeout left it visible, another sweep may
// hold it now, and publishing or replacing it then would publish twice or double the chain (the
// delete, with a receipt no longer valid, would do nothing). A claim refused means exactly that:
// the check sends nothing (Overtaken) and the chain goes on from whoever holds the message.
func (inv *invocation) carryOutPull(ctx context.Context, cl *Clients, m parse.Message, receipt string, v Verdict) error {
	q := inv.h.cfg.CheckQueue
	hide := func(what string, d time.Duration) (held string, err error) {
		err = inv.retry(ctx, what, func() (err error) {
			held, err = cl.Queues.Defer(ctx, q, receipt, d)
			return err
		})
		return held, err
	}
	if v.Decision == DecisionFailed {
		return v.Fault
	}
	if (v.Decision == DecisionRequeued || v.Decision == DecisionRetried) && !v.Replace {
		held, err := hide("defer", v.Delay)
		if err != nil {
			return err
		}
		if held == "" {
			v = Overtaken(v)
		}
		inv.record(v.Record(), "messageId", m.ID)
		return nil
	}
	claim := claimIdle
	if d, ok := ctx.Deadline(); ok {
		claim = d.Sub(inv.h.wall())
	}
	held, err := hide("claim", min(max(claim, v.Delay, claimFor), MaxVisibility*time.Second))
	if err != nil {
		return err
	}
	if held == "" {
		inv.record(Overtaken(v).Record(), "messageId", m.ID)
		return nil
	}
	// Sent (or published) first, deleted after: a crash in between leaves a copy, never nothing.
	if v.Decision != DecisionDeadLettered {
		if v, err = inv.deliver(ctx, cl, v); err != nil {
			return err
		}
	}
	if v.Decision == DecisionDeadLettered {
		if err := inv.deadLetter(ctx, cl, m, v); err != nil {
			return err
		}
	} else {
		inv.record(v.Record(), "messageId", m.ID)
	}
	return inv.retry(ctx, "delete", func() error { return cl.Queues.Delete(ctx, q, held) })
}
