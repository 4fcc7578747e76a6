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
// then deleted. The body cannot be rewritten, so the attempt and the first check come from
// DequeueCount and FirstDequeueTime.
func (inv *invocation) sweep(ctx context.Context, cl *Clients) error {
	h := inv.h
	retention, err := cl.Queues.Retention(ctx, h.cfg.CheckQueue)
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
	end := h.wall().Add(h.cfg.PullBudget)
	if d, ok := ctx.Deadline(); ok && d.Add(-5*time.Second).Before(end) {
		end = d.Add(-5 * time.Second) // leave time to finish what was received
	}
	for taken := 0; taken < h.cfg.PullBatch && h.wall().Before(end); {
		msgs, err := cl.Queues.Receive(ctx, h.cfg.CheckQueue, min(16, h.cfg.PullBatch-taken), 0)
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
		if err := inv.each(ctx, len(msgs), func(ctx context.Context, i int) error {
			return inv.pullOne(ctx, cl, msgs[i])
		}); err != nil {
			return err
		}
	}
	return nil
}

// pullOne decides one received message and settles it: published then deleted, hidden again, or
// dead-lettered then deleted. A message left alone (the invocation failed) comes back by itself.
func (inv *invocation) pullOne(ctx context.Context, cl *Clients, r Received) error {
	h := inv.h
	q := h.cfg.CheckQueue
	req, err := parse.DecodeCheck(r.Body)
	m := parse.Message{ID: r.ID, Body: r.Body, Request: req, Err: err}
	if err != nil {
		if err := inv.deadLetter(ctx, cl, m); err != nil {
			return err
		}
		return inv.retry(ctx, "delete", func() error { return cl.Queues.Delete(ctx, q, r.Receipt) })
	}
	c := &m.Request.Check
	c.Attempt = max(r.DequeueCount, 1)
	// MNS counts retention from the send: the deadline counts from there too, not from the first
	// receive, which a backlog can delay.
	if c.FirstCheckedAt.IsZero() {
		c.FirstCheckedAt = r.EnqueuedAt
		if c.FirstCheckedAt.IsZero() || (!r.FirstDequeueAt.IsZero() && r.FirstDequeueAt.Before(c.FirstCheckedAt)) {
			c.FirstCheckedAt = r.FirstDequeueAt
		}
	}
	v, err := inv.decide(ctx, cl, m.Request)
	if err != nil {
		return err
	}
	switch v.decision {
	case DecisionPublished:
		if err := inv.publish(ctx, cl, v.event); errors.Is(err, ErrTooLarge) {
			m.Err = err // no later try fits either
			if err := inv.deadLetter(ctx, cl, m); err != nil {
				return err
			}
			return inv.retry(ctx, "delete", func() error { return cl.Queues.Delete(ctx, q, r.Receipt) })
		} else if err != nil {
			return err
		}
		if err := inv.retry(ctx, "delete", func() error { return cl.Queues.Delete(ctx, q, r.Receipt) }); err != nil {
			return err
		}
	case DecisionRequeued, DecisionRetried:
		d := min(v.delay, MaxVisibility*time.Second)
		if err := inv.retry(ctx, "defer", func() error { return cl.Queues.Defer(ctx, q, r.Receipt, d) }); err != nil {
			return err
		}
	case DecisionDeadLettered:
		m.Err = errors.New(v.reason)
		if err := inv.deadLetter(ctx, cl, m); err != nil {
			return err
		}
		return inv.retry(ctx, "delete", func() error { return cl.Queues.Delete(ctx, q, r.Receipt) })
	}
	inv.record(recordOf(v), "messageId", r.ID)
	return nil
}
