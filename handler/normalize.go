package handler

import (
	"time"

	"iprodwatch/parse"
)

// Delivery is what the transport tells of a message beyond its body.
type Delivery struct {
	// Pull is pull mode: every sweep receives the same message, whose body is never rewritten. Its
	// attempt and first check come from MNS (DequeueCount; EnqueueTime, or FirstDequeueTime when that
	// is earlier); the state history, the failure count and the learned algorithm are what the
	// submitter wrote (normally nothing), so the policy plans from the whole prior each time and a
	// failed query is retried after 1-2 s rather than a growing backoff.
	Pull           bool
	DequeueCount   int
	EnqueuedAt     time.Time
	FirstDequeueAt time.Time
}

// Normalize is the one place a decoded request becomes the check Decide works on: its attempt, its
// first check and its deadline. A submitter may shorten the deadline, never lengthen it: past the
// configured one the check queue's retention (and the quota) were not planned for it.
func Normalize(req parse.Request, d Delivery, now time.Time, deadline time.Duration) parse.Check {
	c := req.Check
	if d.Pull {
		c.Attempt = max(d.DequeueCount, 1)
		// MNS counts retention from the send: the deadline counts from there too, not from the
		// first receive, which a backlog can delay.
		if c.FirstCheckedAt.IsZero() {
			c.FirstCheckedAt = d.EnqueuedAt
			if c.FirstCheckedAt.IsZero() || (!d.FirstDequeueAt.IsZero() && d.FirstDequeueAt.Before(c.FirstCheckedAt)) {
				c.FirstCheckedAt = d.FirstDequeueAt
			}
		}
	}
	if req.Origin == parse.OriginNotification && c.FirstCheckedAt.IsZero() {
		c.Attempt = 1 // the fast path: one query, and a fresh chain if the job is not final after all
	}
	if c.Attempt < 1 {
		c.Attempt = 1
	}
	if c.FirstCheckedAt.IsZero() {
		c.FirstCheckedAt = now
	}
	if limit := c.FirstCheckedAt.Add(deadline); c.Deadline.IsZero() || c.Deadline.After(limit) {
		c.Deadline = limit
	}
	return c
}
