package handler

import (
	"context"
	"slices"

	"iprodwatch/parse"
)

// push works the check requests of a queue, topic or direct trigger, each isolated from the others,
// up to Concurrency at once. The trigger consumed the messages already: a running job's check goes
// back on the check queue as a new message. It fails when a configuration fault or a send that kept
// failing means the trigger must deliver the payload again.
func (inv *invocation) push(ctx context.Context, cl *Clients, all []parse.Message) error {
	now := inv.h.clock.Now()
	// Copies this instance has already worked go first, before Merge chooses among the rest: Merge
	// would otherwise keep a stale copy (fewer failures, a check over a notification) over the
	// chain's own retry or the job's notification, and the stale copy would then be dropped here,
	// leaving the job nothing (found by the review of the memory: a job lost in the soak).
	all = slices.DeleteFunc(slices.Clone(all), func(m parse.Message) bool {
		if m.Err != nil {
			return false
		}
		c, err := Normalize(inv.rules, m.Request, Delivery{SentAt: m.SentAt}, now)
		if err != nil || !inv.h.chains.get(chainOf(c)).Behind(c, m.Request.Origin, now) {
			return false
		}
		inv.record(AlreadyAdvanced(m).Record())
		return true
	})
	msgs, copies := Merge(all, func(m parse.Message) (parse.Check, error) {
		return Normalize(inv.rules, m.Request, Delivery{SentAt: m.SentAt}, now)
	})
	// A job whose notification came in this delivery may have ended: its check queries at once,
	// even the first (Plan), whichever message Merge kept.
	announced := map[string]bool{}
	for _, m := range all {
		if m.Err == nil && m.Request.Origin == parse.OriginNotification {
			announced[m.Request.Check.JobID] = true
		}
	}
	for _, m := range copies {
		inv.record(Merged(m).Record())
	}
	return inv.each(ctx, len(msgs), func(ctx context.Context, i int) error {
		m := msgs[i]
		if m.Err != nil {
			return inv.carryOutPush(ctx, cl, m, Rejected(m.Err))
		}
		d := Delivery{SentAt: m.SentAt, Announced: announced[m.Request.Check.JobID]}
		return inv.carryOutPush(ctx, cl, m, inv.check(ctx, cl, m.Request, d))
	})
}

// carryOutPush sends what v says: the next check to the check queue, the event to the event topic,
// or the message to the dead-letter queue.
func (inv *invocation) carryOutPush(ctx context.Context, cl *Clients, m parse.Message, v Verdict) error {
	switch v.Decision {
	case DecisionFailed:
		return v.Fault
	case DecisionDeadLettered:
		return inv.deadLetter(ctx, cl, m, v)
	}
	v, err := inv.deliver(ctx, cl, v)
	if err != nil {
		return err
	}
	if v.Decision == DecisionDeadLettered {
		return inv.deadLetter(ctx, cl, m, v)
	}
	if v.Next != nil && (v.Decision == DecisionRequeued || v.Decision == DecisionRetried) {
		inv.h.chains.note(v.Check, inv.h.clock.Now())
	}
	inv.record(v.Record())
	return nil
}
