package handler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"iprodwatch/parse"
)

// verdict is what one check decided, before anything is sent: the handler's decisions are values
// that tests inspect without HTTP.
type verdict struct {
	decision Decision
	check    parse.Check   // the check as it stands after this query (requeue: the next one)
	delay    time.Duration // requeued and retried
	event    *parse.Event  // published
	reason   string        // dead-lettered
	stalled  bool
}

// decide queries the job of one request and decides. Its error is a configuration fault, which
// fails the invocation; every other outcome is a verdict.
func (inv *invocation) decide(ctx context.Context, cl *Clients, req parse.Request) (verdict, error) {
	h := inv.h
	c := req.Check
	now := h.clock.Now()
	if req.Origin == parse.OriginNotification && c.FirstCheckedAt.IsZero() {
		c.Attempt = 1 // the fast path: one query, and a fresh chain if the job is not final after all
	}
	if c.FirstCheckedAt.IsZero() {
		c.FirstCheckedAt = now
	}
	// A submitter may shorten the deadline, never lengthen it: past the configured one the check
	// queue's retention (and the quota) were not planned for it.
	if limit := c.FirstCheckedAt.Add(h.cfg.Deadline); c.Deadline.IsZero() || c.Deadline.After(limit) {
		c.Deadline = limit
	}
	if err := h.budget.wait(ctx); err != nil {
		return inv.transient(c, fmt.Errorf("%w: waiting for the query budget: %v", ErrTransient, err)), nil
	}
	body, qerr := cl.Jobs.QueryJob(ctx, c.JobID)
	now = h.clock.Now()
	throttled := 0
	switch {
	case qerr == nil:
		h.budget.succeeded()
	case errors.Is(qerr, ErrThrottled):
		h.budget.throttled()
		throttled = 1
	}
	inv.counted(1, throttled)
	switch {
	case qerr == nil:
	case errors.Is(qerr, ErrConfig):
		return verdict{}, qerr
	case errors.Is(qerr, ErrNoSuchJob):
		return verdict{decision: DecisionDeadLettered, check: c, reason: qerr.Error()}, nil
	default:
		return inv.transient(c, qerr), nil
	}
	job, err := parse.DecodeJob(body)
	if err != nil {
		// No such job, an unknown state, a body that is not the API's: nothing later will make it
		// readable, so the message goes where an operator will see it.
		return verdict{decision: DecisionDeadLettered, check: c, reason: "QueryIProductionJob: " + err.Error()}, nil
	}
	if !strings.EqualFold(job.JobID, c.JobID) {
		// An answer about another job would report that job's end as this one's: never guess.
		return verdict{decision: DecisionDeadLettered, check: c,
			reason: fmt.Sprintf("QueryIProductionJob: asked for job %s, answered for job %s", c.JobID, job.JobID)}, nil
	}
	stalled := now.Sub(c.FirstCheckedAt) >= h.cfg.StalledAt
	if job.State.Final() {
		e, err := parse.NewEvent(job, inv.params(c, now))
		if err != nil {
			// No later answer will encode either: failing the invocation would have the trigger
			// deliver the batch again and again.
			return verdict{decision: DecisionDeadLettered, check: c, reason: "building the event: " + err.Error()}, nil
		}
		return verdict{decision: DecisionPublished, check: c, event: e, stalled: stalled}, nil
	}
	if !now.Before(c.Deadline) {
		return inv.timedOut(c, job, now)
	}
	next := c
	next.Attempt++
	next.Failures = 0
	next.Algorithm = job.FunctionName
	if job.State != c.LastState {
		next.LastState, next.StateSince = job.State, now
	}
	return verdict{decision: DecisionRequeued, check: next, delay: h.cfg.Policy.Delay(next, now, h.draw(next)), stalled: stalled}, nil
}

// LastQueryGrace is how long past the deadline a last query that keeps failing transiently is
// retried before the job is reported timed out: an unreachable or throttling MPS at the deadline
// must not turn a job that ended into a timed-out one.
const LastQueryGrace = 10 * time.Minute

// transient decides after a failed query: the check comes back after a backoff that grows with
// consecutive failures, and once the deadline and its grace have passed the job is timed out with
// what was last seen.
func (inv *invocation) transient(c parse.Check, cause error) verdict {
	h := inv.h
	now := h.clock.Now()
	// Past the deadline and its grace, a failure times the job out once it has failed at least
	// three times running (a check that arrives late is not timed out by one throttled answer),
	// or past three graces whatever the count (pull mode keeps no count).
	late := now.Sub(c.Deadline)
	if (late >= LastQueryGrace && c.Failures >= 2) || late >= 3*LastQueryGrace {
		v, err := inv.timedOut(c, nil, now)
		if err == nil {
			v.reason = "last query failed: " + cause.Error()
			return v
		}
	}
	next := c
	next.Attempt++
	next.Failures++
	return verdict{decision: DecisionRetried, check: next, delay: h.cfg.Policy.Backoff(next, now, next.Failures, h.draw(next)), reason: cause.Error()}
}

// timedOut builds the timed-out event from the last answer, or from what the check message says was
// last seen when there is no answer.
func (inv *invocation) timedOut(c parse.Check, job *parse.Job, now time.Time) (verdict, error) {
	if job == nil && c.LastState != "" {
		job = &parse.Job{JobID: c.JobID, FunctionName: c.Algorithm, State: c.LastState}
	}
	e, err := parse.NewTimedOutEvent(c.JobID, job, inv.params(c, now))
	if err != nil {
		return verdict{}, err
	}
	return verdict{decision: DecisionPublished, check: c, event: e}, nil
}

func (inv *invocation) params(c parse.Check, now time.Time) parse.Params {
	return parse.Params{
		Region:  inv.h.cfg.Region,
		Account: inv.h.cfg.AccountID,
		Time:    now,
		Checks:  parse.Checks{Attempts: c.Attempt, FirstCheckedAt: c.FirstCheckedAt, DetectedAt: now, Deadline: c.Deadline},
	}
}
