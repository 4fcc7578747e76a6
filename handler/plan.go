package handler

import (
	"time"

	"iprodwatch/parse"
)

// Work is one check from a decoded request, as the handler makes it in push mode and iprodwatch
// simulate replays it: Normalize, then Plan (a first check that can wait for its prior), else one
// query and Decide. query is called at most once, and only when a query is due; now is the clock,
// read again after the query, as Decide's Now is when the answer came.
func Work(r Rules, req parse.Request, d Delivery, now func() time.Time, query func(jobID string) Answer) Verdict {
	c, err := Normalize(r, req, d, now())
	if err != nil {
		return Decide(r, Input{Check: c, Pull: d.Pull, Now: now(), Invalid: err})
	}
	if v, ok := Plan(r, c, req.Origin, d.Pull || d.Announced, now()); ok {
		return v
	}
	if slot, ok := r.firstSlot(c, req.Origin, d.Pull || d.Announced); ok {
		// A copy of a planned first check that comes at or after its slot is that slot's check:
		// it queries there and plans the next slot with the planned check's attempt.
		c.DueAt = slot.DueAt
	}
	a := query(c.JobID)
	return Decide(r, Input{Check: c, Pull: d.Pull, Answer: a, Now: now()})
}

// Plan is the first check of a job whose algorithm (or expected duration) the submitter gave: a
// query now would almost always find the job queued (the policy's first wait is where the prior
// says it may have ended), so the check is re-queued to that slot without one, its attempt still
// the first. The slot is planned from the chain's start, not from this arrival, so every copy of
// the first check writes the same message; a copy that comes within half the floor of that slot,
// or after it, queries instead, and plans the slot after it, as the planned one will. It does not
// plan a notification (the fast path queries at once), a first check delivered beside one (wait
// true), pull mode (nothing to re-queue) or any check after the first.
func Plan(r Rules, c parse.Check, origin parse.Origin, wait bool, now time.Time) (Verdict, bool) {
	next, ok := r.firstSlot(c, origin, wait)
	if !ok || !next.DueAt.After(now.Add(r.Policy.Floor/2)) {
		return Verdict{}, false
	}
	v := r.again(Input{Check: c, Now: now}, DecisionRequeued, next, next.DueAt.Sub(now), PlannedReason)
	return v, v.Decision == DecisionRequeued
}

// firstSlot is the planned first check of c, planned from its chain's start, when c is a first
// check Plan may plan (see Plan).
func (r Rules) firstSlot(c parse.Check, origin parse.Origin, wait bool) (parse.Check, bool) {
	switch {
	case wait, origin == parse.OriginNotification, c.Attempt != 1, c.LastState != "", c.Failures != 0, c.Garbled != 0,
		c.Algorithm == "" && c.ExpectedSeconds <= 0, !c.DueAt.Equal(c.FirstCheckedAt):
		return parse.Check{}, false
	}
	next, _ := r.schedule(Input{Check: c, Now: c.FirstCheckedAt}, c)
	next.Attempt = c.Attempt         // no check was made: the next is still the first
	next.LastCheckedAt = time.Time{} // and nothing saw the job running
	return next, true
}

// PlannedReason is the reason a planned first check is recorded with.
const PlannedReason = "planned: the first query waits for the prior's first slot"
