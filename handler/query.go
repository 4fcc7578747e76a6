package handler

import (
	"context"
	"errors"
	"fmt"

	"iprodwatch/parse"
)

// check works one request: it normalizes it, queries its job within the instance's budget and
// decides. Everything around Decide here is I/O.
func (inv *invocation) check(ctx context.Context, cl *Clients, req parse.Request, d Delivery) Verdict {
	return Work(inv.rules, req, d, inv.h.clock.Now, func(jobID string) Answer { return inv.query(ctx, cl, jobID) })
}

// query is one QueryIProductionJob, after waiting for the budget's turn; the answer feeds the
// budget back (a throttled answer slows the instance down) and is counted.
func (inv *invocation) query(ctx context.Context, cl *Clients, jobID string) Answer {
	h := inv.h
	if err := h.budget.wait(ctx); err != nil {
		return Answer{Err: fmt.Errorf("waiting for the query budget: %w", err)}
	}
	body, err := cl.Jobs.QueryJob(ctx, jobID)
	throttled := 0
	switch {
	case err == nil:
		h.budget.succeeded()
	case errors.Is(err, ErrThrottled):
		h.budget.throttled()
		throttled = 1
	}
	inv.counted(1, throttled)
	return Answer{Body: body, Err: err}
}
