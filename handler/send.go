package handler

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
)

// retry runs a send until it succeeds, retrying transient failures in-process with a growing pause
// while the invocation has time left; a configuration fault or an oversized message is returned at
// once. What still fails makes the invocation fail, so the trigger delivers the payload again.
func (inv *invocation) retry(ctx context.Context, what string, send func() error) error {
	pause := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := send()
		if err == nil || errors.Is(err, ErrConfig) || errors.Is(err, ErrTooLarge) {
			return err
		}
		if attempt == sendAttempts || !inv.hasTime(ctx, pause) {
			return fmt.Errorf("%s failed %d times: %w", what, attempt, err)
		}
		inv.log.Warn("send failed; retrying", "send", what, "attempt", attempt, "error", err.Error())
		if err := inv.h.pause(ctx, pause); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// deliver sends what v says goes out: the event to the event topic, or the next check to the check
// queue. A body refused as too large is refitted (Rules.Refitted) to half its size and sent again,
// down to MinMessage (at most six more sends from 64 KiB: the refusal does not say the limit), and
// the instance reads the limits again. It returns the verdict carried out: v, v refitted, or, when
// no size was taken, v dead-lettered for the caller to dead-letter.
func (inv *invocation) deliver(ctx context.Context, cl *Clients, v Verdict) (Verdict, error) {
	err := inv.send(ctx, cl, v)
	if !errors.Is(err, ErrTooLarge) {
		return v, err
	}
	inv.h.sizes.forget()
	limit := MaxMessage
	for limit >= len(v.Body) && limit > MinMessage {
		limit /= 2
	}
	for ; ; limit /= 2 {
		w := inv.rules.Refitted(v, err, max(limit, MinMessage))
		if w.Decision == DecisionDeadLettered {
			return w, nil
		}
		if err = inv.send(ctx, cl, w); !errors.Is(err, ErrTooLarge) {
			return w, err
		}
		if limit <= MinMessage {
			return deadLettered(v.Check, err.Error()), nil
		}
	}
}

// send is one verdict's send, retried (retry).
func (inv *invocation) send(ctx context.Context, cl *Clients, v Verdict) error {
	if v.Decision == DecisionPublished {
		return inv.retry(ctx, "publish", func() error {
			return cl.Topics.Publish(ctx, inv.h.cfg.EventTopic, v.Body, string(v.Event.Outcome))
		})
	}
	return inv.retry(ctx, "requeue", func() error { return cl.Queues.Send(ctx, inv.h.cfg.CheckQueue, v.Body, v.Delay) })
}

// sendAttempts bounds the in-process retries of one send.
const sendAttempts = 5

// hasTime reports whether the invocation can still wait d and do one more call before its deadline.
func (inv *invocation) hasTime(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || inv.h.wall().Add(d+2*time.Second).Before(deadline)
}

// each runs fn for n items, at most Concurrency at once, each contained: a panic in one item is that
// item's error and its neighbours finish. The first error is returned.
func (inv *invocation) each(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	sem := make(chan struct{}, inv.h.cfg.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := inv.contained(func() error { return fn(ctx, i) }); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// contained runs fn and turns a panic into an error, logged with its stack: no panic escapes the
// function.
func (inv *invocation) contained(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			inv.log.Error("internal error", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("iprodwatch: %w: %v", errInternal, p)
		}
	}()
	return fn()
}
