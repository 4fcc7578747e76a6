package handler

import (
	"context"
	"errors"

	"iprodwatch/parse"
)

// push works the check requests of a queue, topic or direct trigger, each isolated from the others,
// up to Concurrency at once. The trigger consumed the messages already: a running job's check goes
// back on the check queue as a new message. It fails when a configuration fault or a send that kept
// failing means the trigger must deliver the payload again.
func (inv *invocation) push(ctx context.Context, cl *Clients, all []parse.Message) error {
	msgs, copies := Merge(all)
	for _, v := range copies {
		inv.record(v.Record())
	}
	return inv.each(ctx, len(msgs), func(ctx context.Context, i int) error {
		m := msgs[i]
		if m.Err != nil {
			return inv.carryOutPush(ctx, cl, m, Rejected(m.Err))
		}
		return inv.carryOutPush(ctx, cl, m, inv.check(ctx, cl, m.Request, Delivery{}))
	})
}

// carryOutPush sends what v says: the next check to the check queue, the event to the event topic,
// or the message to the dead-letter queue.
func (inv *invocation) carryOutPush(ctx context.Context, cl *Clients, m parse.Message, v Verdict) error {
	var err error
	switch v.Decision {
	case DecisionFailed:
		return v.Fault
	case DecisionDeadLettered:
		return inv.deadLetter(ctx, cl, m, v)
	case DecisionPublished:
		err = inv.publish(ctx, cl, v)
	case DecisionRequeued, DecisionRetried:
		err = inv.retry(ctx, "requeue", func() error { return cl.Queues.Send(ctx, inv.h.cfg.CheckQueue, v.Body, v.Delay) })
	}
	if errors.Is(err, ErrTooLarge) {
		return inv.deadLetter(ctx, cl, m, inv.refused(v, err))
	}
	if err != nil {
		return err
	}
	inv.record(v.Record())
	return nil
}

// publish sends the verdict's event to the event topic with its outcome as the MessageTag.
func (inv *invocation) publish(ctx context.Context, cl *Clients, v Verdict) error {
	return inv.retry(ctx, "publish", func() error {
		return cl.Topics.Publish(ctx, inv.h.cfg.EventTopic, v.Body, string(v.Event.Outcome))
	})
}
