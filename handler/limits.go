package handler

import (
	"context"
	"sync"
	"time"
)

// MinMessage is the smallest MaximumMessageSize MNS lets a queue or topic have (1,024 bytes): the
// least a refused body is refitted to, and the dead-letter queue's size until its own limit has
// been read.
const MinMessage = 1 << 10

// limitsTTL is how long an instance trusts the sizes it read: a queue's MaximumMessageSize can be
// changed, and the next read after this picks the change up. limitsRetry is how long the
// fallbacks stand after a read failed (a RAM policy without GetQueueAttributes fails every read:
// three calls per invocation would cost more than the checks). limitsRead bounds one read, which
// is no reason for an invocation to wait.
const (
	limitsTTL   = 10 * time.Minute
	limitsRetry = time.Minute
	limitsRead  = 5 * time.Second
)

// messageSizes are the limits in force: the check queue's, the dead-letter queue's and the event
// topic's MaximumMessageSize.
type messageSizes struct{ check, deadLetter, event int }

// fallbackSizes stand where a limit has not been read. The check queue and the topic are taken
// at MNS's largest: a send they refuse is refitted, halving down to MinMessage, and sent again
// (deliver, Rules.Refitted).
// The dead-letter queue is taken at MNS's smallest: a dead letter is the end of the line, and one
// refused would fail its whole batch.
func fallbackSizes() messageSizes {
	return messageSizes{check: MaxMessage, deadLetter: MinMessage, event: MaxMessage}
}

// sizes caches the limits for every invocation of an instance, read from MNS once per limitsTTL
// (not per invocation). One invocation reads at a time, outside the lock and within its own
// context; the others go on with what is known meanwhile (the fallbacks before the first read
// ends), so a hanging read holds nobody but its reader. A send refused for its size forgets them,
// so the next invocation reads them again.
type sizes struct {
	mu      sync.Mutex
	known   messageSizes
	until   time.Time // wall clock: known stands until then
	reading bool
	forgot  int // forget calls: one made while a read is in flight outlives the read
}

// get returns the limits, reading them first when they are stale and no other invocation is
// reading them.
func (s *sizes) get(ctx context.Context, cl *Clients, cfg Config, now time.Time) messageSizes {
	s.mu.Lock()
	if s.known == (messageSizes{}) {
		s.known = fallbackSizes()
	}
	if s.reading || now.Before(s.until) {
		defer s.mu.Unlock()
		return s.known
	}
	s.reading = true
	read, forgot, ok := s.known, s.forgot, true // a limit that cannot be read again keeps its last value
	s.mu.Unlock()
	defer func() {
		// Even if a read panics (contained further up), the next invocation may read again.
		s.mu.Lock()
		defer s.mu.Unlock()
		s.reading = false
		if s.forgot != forgot {
			s.until = time.Time{}
		}
	}()

	ctx, cancel := context.WithTimeout(ctx, limitsRead)
	defer cancel()
	take := func(into *int, l Limits, err error) {
		if err != nil || l.MaxMessage <= 0 {
			ok = false
			return
		}
		*into = min(max(l.MaxMessage, MinMessage), MaxMessage)
	}
	l, err := cl.Queues.Limits(ctx, cfg.CheckQueue)
	take(&read.check, l, err)
	l, err = cl.Queues.Limits(ctx, cfg.DLQQueue)
	take(&read.deadLetter, l, err)
	l, err = cl.Topics.Limits(ctx, cfg.EventTopic)
	take(&read.event, l, err)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.known, s.until = read, now.Add(limitsTTL)
	if !ok {
		s.until = now.Add(limitsRetry)
	}
	return read
}

// forget makes the next get read the limits again.
func (s *sizes) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.until = time.Time{}
	s.forgot++
}

// useSizes puts the instance's message limits in force for this invocation; ctx bounds the read,
// if one is made.
func (inv *invocation) useSizes(ctx context.Context, cl *Clients) {
	s := inv.h.sizes.get(ctx, cl, inv.h.cfg, inv.h.wall())
	inv.rules.MaxMessage, inv.rules.MaxEvent, inv.maxDeadLetter = s.check, s.event, s.deadLetter
}
