package triggertest

import (
	"context"
	"math/rand"
	"sort"
	"time"
)

// pending is one event waiting for its (next) invocation: a topic message or a timer tick.
type pending struct {
	seq     int
	retry   int // retries already scheduled: the next invocation's RetryCount
	payload []byte
	ids     []string
	due     time.Time
	lastErr error
}

// pendingQueue delivers independent events, each retried on its own schedule and dropped after
// retries: the topic push and the timer. Events do not block one another.
type pendingQueue struct {
	base
	retries int
	delay   func(retry int, r *rand.Rand) time.Duration

	items []*pending // guarded by base.mu: the publish hook adds to it
}

func (q *pendingQueue) add(p *pending) {
	q.mu.Lock()
	q.items = append(q.items, p)
	q.mu.Unlock()
	q.signal()
}

// takeDue removes and returns up to n due events, earliest due first (then oldest).
func (q *pendingQueue) takeDue(now time.Time, n int) []*pending {
	q.mu.Lock()
	defer q.mu.Unlock()
	sort.SliceStable(q.items, func(i, j int) bool {
		a, b := q.items[i], q.items[j]
		if !a.due.Equal(b.due) {
			return a.due.Before(b.due)
		}
		return a.seq < b.seq
	})
	k := 0
	for k < len(q.items) && k < n && !q.items[k].due.After(now) {
		k++
	}
	out := append([]*pending(nil), q.items[:k]...)
	q.items = append(q.items[:0], q.items[k:]...)
	return out
}

// deliverDue invokes every event due at the injected now, up to concurrency at a time, until
// none is due; failed events are rescheduled or dropped. It returns the invocations made.
func (q *pendingQueue) deliverDue(ctx context.Context) int {
	n := 0
	for range maxRounds {
		if ctx.Err() != nil {
			return n
		}
		now := q.cfg.clock.Now()
		due := q.takeDue(now, q.cfg.concurrency)
		if len(due) == 0 {
			return n
		}
		calls := make([]call, len(due))
		for i, p := range due {
			calls[i] = call{seq: p.seq, retry: p.retry, payload: p.payload, ids: p.ids}
		}
		errs := q.invoke(ctx, calls)
		n += len(due)
		after := q.cfg.clock.Now()
		for i, p := range due {
			if errs[i] == nil {
				continue
			}
			p.lastErr = errs[i]
			if p.retry >= q.retries {
				q.drop(Dropped{Seq: p.seq, Time: after, Payload: p.payload, MessageIDs: p.ids, Attempts: p.retry + 1, Err: p.lastErr})
				continue
			}
			p.retry++
			p.due = after.Add(q.delay(p.retry, q.rng))
			q.mu.Lock()
			q.items = append(q.items, p)
			q.mu.Unlock()
		}
	}
	return n
}

// Pending counts events waiting for a first invocation or a retry.
func (q *pendingQueue) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// NextDue is when the earliest pending event becomes due; ok is false when none is pending.
// Tests advance the manual clock to it instead of guessing a retry's jitter.
func (q *pendingQueue) NextDue() (t time.Time, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, p := range q.items {
		if !ok || p.due.Before(t) {
			t, ok = p.due, true
		}
	}
	return t, ok
}
