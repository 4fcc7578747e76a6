package mnstest

import (
	"time"
)

// Topic push. The service pushes a published message to each subscription after PublishMessage has
// answered, and retries a failed push by the subscription's NotifyStrategy (the NotifyStrategy
// page, doc-detail/27481): BACKOFF_RETRY 3 times, 10 to 20 s apart at random;
// EXPONENTIAL_DECAY_RETRY 176 times, 2^n s apart up to 512 s, one day in all; then the message is
// dropped for that subscription. The emulator keeps the pushes to queue endpoints pending on the
// injected clock: each is due WithPushLatency after its publish (default 0: at the first request or
// clock step after the publish, never inside it) and is carried out when the server next looks at a
// queue (any queue operation, a long poll's wake-up, Messages, Advance). A push fails while its
// queue does not exist or when the notification is larger than the queue takes.
type push struct {
	topic, subscription string
	queue               string
	body                string
	strategy            string
	due                 time.Time
	failures            int
}

// DroppedPush is a push that failed as many times as its NotifyStrategy allows.
type DroppedPush struct {
	Topic, Subscription, Queue string
	Body                       string
	Failures                   int
}

// WithPushLatency sets how long after its publish a push to a queue is due (injected clock).
func WithPushLatency(d time.Duration) Option { return func(o *config) { o.pushLatency = d } }

// retryAfter is the wait before the next attempt of a push that has failed failures times, or
// false when the strategy allows no more.
func (s *Server) retryAfterLocked(strategy string, failures int) (time.Duration, bool) {
	if strategy == "EXPONENTIAL_DECAY_RETRY" {
		if failures > 176 {
			return 0, false
		}
		return time.Duration(1<<min(failures-1, 9)) * time.Second, true
	}
	if failures > 3 { // BACKOFF_RETRY
		return 0, false
	}
	return 10*time.Second + time.Duration(s.order.Int63n(int64(10*time.Second))), true
}

// pushDueLocked carries out every push due at now. Called with s.mu held.
func (s *Server) pushDueLocked(now time.Time) {
	if len(s.pushes) == 0 {
		return
	}
	kept := s.pushes[:0]
	for _, p := range s.pushes {
		if s.attemptLocked(p, now) {
			kept = append(kept, p)
		}
	}
	s.pushes = kept
}

// attemptLocked makes every attempt of p due by now, on the strategy's own schedule (a server
// nobody looked at for a while catches up, as the service would have retried meanwhile, against
// the queues as they are now), and reports whether p is still pending.
func (s *Server) attemptLocked(p *push, now time.Time) bool {
	for !now.Before(p.due) {
		if q, ok := s.queues[p.queue]; ok && int64(len(p.body)) <= q.attrs.MaximumMessageSize {
			// Enqueued when the push was due, not when the server looked: a look that came late
			// must not delay the message, its retention or the EnqueueTime consumers anchor on.
			q.expireLocked(now)
			s.enqueueLocked(q, sendParams{body: p.body, delay: q.attrs.DelaySeconds, priority: defaultPriority}, p.due)
			return false
		}
		p.failures++
		wait, again := s.retryAfterLocked(p.strategy, p.failures)
		if !again {
			s.droppedPushes = append(s.droppedPushes, DroppedPush{Topic: p.topic, Subscription: p.subscription, Queue: p.queue, Body: p.body, Failures: p.failures})
			return false
		}
		p.due = p.due.Add(wait)
	}
	return true
}

// PendingPushes counts the pushes to queues not yet carried out (due later, or being retried).
func (s *Server) PendingPushes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pushDueLocked(s.clock.Now())
	return len(s.pushes)
}

// DroppedPushes lists the pushes given up after their NotifyStrategy's retries.
func (s *Server) DroppedPushes() []DroppedPush {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pushDueLocked(s.clock.Now())
	return append([]DroppedPush(nil), s.droppedPushes...)
}
