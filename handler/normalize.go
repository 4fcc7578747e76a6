package handler

import (
	"fmt"
	"time"

	"iprodwatch/parse"
)

// Delivery is what the transport tells of a message beyond its body.
type Delivery struct {
	// Pull is pull mode: every sweep receives the same message, whose body is not rewritten
	// (except after a failure past the deadline, see Verdict.Replace). Its attempt and first check
	// come from MNS (the body's attempt plus DequeueCount; EnqueueTime, or FirstDequeueTime when that
	// is earlier); the state history and the learned algorithm are what the submitter wrote
	// (normally nothing), so the policy plans from the whole prior each time, and before the
	// deadline a failed query is retried after 1-2 s rather than a growing backoff.
	Pull           bool
	DequeueCount   int
	EnqueuedAt     time.Time
	FirstDequeueAt time.Time
	// SentAt is when a pushed message was sent, as its trigger tells it (parse.Message.SentAt):
	// the first check of a message that names none, so that every copy of it starts the same
	// chain.
	SentAt time.Time
	// Announced says an MPS notification of the job came in the same delivery (and was merged
	// into this check): the job may have ended, so a first check queries at once (Plan).
	Announced bool
}

// MaxCheckAge is the longest a check message can wait in a queue (MNS keeps a message at most 7
// days). A first check older than the deadline, the retries past it (LastQueryGrace and one
// backoff) and MaxCheckAge is no chain that can exist: a producer's clock far behind, and a dead
// letter.
const MaxCheckAge = 7 * 24 * time.Hour

// MinDeadline is the shortest deadline a submitter may ask for, counted from the first check: a
// deadline that leaves less would time the job out on its first query, whatever it is doing.
const MinDeadline = time.Minute

// Normalize is the one place a decoded request becomes the check Decide works on: its attempt, its
// first check and its deadline. The times in a message come from a producer's clock, so they are
// bounded by ours before they drive a deadline: a first check (or a state's start) in the future is
// taken as now (so is a due time), and one older than any chain can be is an error (the message is dead-lettered with
// it). A submitter may shorten the deadline, never lengthen it (past the configured one the check
// queue's retention and the quota were not planned for it), and never below MinDeadline; a deadline
// at or before the first check can only come from a clock behind ours, and the configured one
// stands.
func Normalize(r Rules, req parse.Request, d Delivery, now time.Time) (parse.Check, error) {
	c := req.Check
	if d.Pull {
		// A message pull mode replaced (Verdict.Replace) carries the attempt it was sent for.
		c.Attempt = attemptOf(c) + max(d.DequeueCount, 1) - 1
		// MNS counts retention from the send: the deadline counts from there too (or from the
		// first receive, when that is earlier by MNS's own clock), not from a later receive, which
		// a backlog can delay, nor from a producer's clock ahead of MNS's.
		for _, t := range []time.Time{d.EnqueuedAt, d.FirstDequeueAt} {
			if !t.IsZero() && (c.FirstCheckedAt.IsZero() || t.Before(c.FirstCheckedAt)) {
				c.FirstCheckedAt = t
			}
		}
	}
	if req.Origin == parse.OriginNotification && c.FirstCheckedAt.IsZero() {
		c.Attempt = 1 // the fast path: one query, and a fresh chain if the job is not final after all
	}
	if c.FirstCheckedAt.IsZero() && !d.SentAt.IsZero() && now.Sub(d.SentAt) < r.Deadline {
		// The trigger's send time is an anchor, not a producer's word: one that cannot be a
		// send time (a PublishTime in seconds) or is further back than the deadline (a replayed
		// event, a skewed clock) is ignored, never an error nor an instant time-out.
		c.FirstCheckedAt = d.SentAt
	}
	c.Attempt = attemptOf(c)
	if c.Attempt <= 1 || d.Pull || req.Origin == parse.OriginNotification {
		// Only a re-queue writes it (Decide): a submitter's word, or a pull-mode message that is
		// never rewritten, says nothing of a check that saw the job running.
		c.LastCheckedAt = time.Time{}
	}
	if c.FirstCheckedAt.IsZero() || c.FirstCheckedAt.After(now) {
		c.FirstCheckedAt = now
	}
	span := r.Deadline + LastQueryGrace + r.Policy.RetryCap + MaxCheckAge
	if oldest := now.Add(-span); c.FirstCheckedAt.Before(oldest) {
		return c, fmt.Errorf("%w: firstCheckedAt %s is %v before now, more than the deadline %v, its grace and the %v a message can wait: a producer's clock is wrong",
			parse.ErrBadMessage, c.FirstCheckedAt.UTC().Format(time.RFC3339), now.Sub(c.FirstCheckedAt).Round(time.Hour), r.Deadline, MaxCheckAge)
	}
	if c.DueAt.IsZero() {
		// A chain's first check is due when it starts; a later check without a due time (written
		// by hand, or by a build before dueAt) is due now, not at the chain's start.
		c.DueAt = c.FirstCheckedAt
		if c.Attempt > 1 {
			c.DueAt = now
		}
	}
	for _, t := range []*time.Time{&c.StateSince, &c.FailingSince, &c.DueAt, &c.LastCheckedAt} {
		if t.After(now) {
			*t = now
		}
		if !t.IsZero() && t.Before(c.FirstCheckedAt) {
			*t = c.FirstCheckedAt
		}
	}
	limit := c.FirstCheckedAt.Add(r.Deadline)
	switch {
	case c.Deadline.IsZero(), !c.Deadline.After(c.FirstCheckedAt), c.Deadline.After(limit):
		c.Deadline = limit
	case c.Deadline.Before(c.FirstCheckedAt.Add(MinDeadline)):
		c.Deadline = c.FirstCheckedAt.Add(MinDeadline)
	}
	return c, nil
}

// attemptOf is the attempt a check asks for: a message without one asks for the first.
func attemptOf(c parse.Check) int { return max(c.Attempt, 1) }
