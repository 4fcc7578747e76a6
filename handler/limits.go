package handler

import (
	"context"
	"sync"
	"time"
)

// limitsTTL is how long an instance trusts the sizes it read: a queue's MaximumMessageSize can be
// changed, and the next read after this picks the change up.
const limitsTTL = 10 * time.Minute

// sizes are the message limits of the check queue, the dead-letter queue and the event topic, read
// from MNS once per limitsTTL per instance (not per invocation: three calls each time would cost
// more than the checks). Where a read fails (a policy that does not allow GetQueueAttributes, say)
// MaxMessage stands in until the next read. A send refused for its size forgets them, so the next
// invocation reads them again.
type sizes struct {
	mu                 sync.Mutex
	read               time.Time // wall clock
	check, dlq, events int
}

// get returns the limits, reading them when they are stale.
func (s *sizes) get(ctx context.Context, cl *Clients, cfg Config, now time.Time) (check, dlq, events int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.read.IsZero() || now.Sub(s.read) >= limitsTTL {
		read := func(l Limits, err error) int {
			if err != nil || l.MaxMessage <= 0 {
				return MaxMessage
			}
			return min(l.MaxMessage, MaxMessage)
		}
		s.check = read(cl.Queues.Limits(ctx, cfg.CheckQueue))
		s.dlq = read(cl.Queues.Limits(ctx, cfg.DLQQueue))
		s.events = read(cl.Topics.Limits(ctx, cfg.EventTopic))
		s.read = now
	}
	return s.check, s.dlq, s.events
}

// forget makes the next get read the limits again.
func (s *sizes) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.read = time.Time{}
}
