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
	if v, ok := Plan(r, c, req.Origin, d.Pull, now()); ok {
		return v
	}
	a := query(c.JobID)
	return Decide(r, Input{Check: c, Pull: d.Pull, Answer: a, Now: now()})
}

// Plan is the first check of a job whose algorithm (or expected duration) the submitter gave, on
// its arrival: a query now would almost always find the job queued (the policy's first wait is
// where the prior says it may have ended), so the check is re-queued to that slot without one, its
// attempt still the first. It does not plan a notification (the fast path queries at once), pull
// mode (nothing to re-queue), a check that arrives later than the policy's floor after the chain
// began (time has passed: a query is worth it) or any check after the first.
func Plan(r Rules, c parse.Check, origin parse.Origin, pull bool, now time.Time) (Verdict, bool) {
	switch {
	case pull, origin == parse.OriginNotification, c.Attempt != 1, c.LastState != "", c.Failures != 0, c.Garbled != 0,
		c.Algorithm == "" && c.ExpectedSeconds <= 0, !c.DueAt.Equal(c.FirstCheckedAt), now.Sub(c.FirstCheckedAt) >= r.Policy.Floor:
		return Verdict{}, false
	}
	next, delay := r.schedule(Input{Check: c, Now: now}, c)
	next.Attempt = c.Attempt         // no check was made: the next is still the first
	next.LastCheckedAt = time.Time{} // and nothing saw the job running
	v := r.again(Input{Check: c, Now: now}, DecisionRequeued, next, delay, PlannedReason)
	return v, v.Decision == DecisionRequeued
}

// PlannedReason is the reason a planned first check is recorded with.
const PlannedReason = "planned: the first query waits for the prior's first slot"
