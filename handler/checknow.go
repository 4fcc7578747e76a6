package handler

import (
	"context"
	"fmt"
	"time"

	"iprodwatch/parse"
)

// Status is one job's state now, as `iprodwatch check` reports it.
type Status struct {
	JobID     string
	Algorithm string
	State     parse.State
	// Verdict is what the function would decide on a first check of the job made now: published
	// (with its Event, complete, and Body, fitted) when the job is final, requeued while it runs.
	Verdict Verdict
}

// CheckNow queries one job once and decides it as a first check made at now would: the event it
// returns for a final job is the one the function publishes (the same id), its checks counting
// this one query. It sends nothing. Unlike the function it does not ask again: a job MPS does not
// know, an answer that cannot be read and a transient failure are the error.
func CheckNow(ctx context.Context, r Rules, jobs Jobs, jobID string, now time.Time) (Status, error) {
	if err := parse.ValidateJobID(jobID); err != nil {
		return Status{}, err
	}
	c, err := Normalize(r, parse.Request{Check: parse.Check{JobID: jobID}, Origin: parse.OriginCheck}, Delivery{}, now)
	if err != nil {
		return Status{}, err
	}
	body, err := jobs.QueryJob(ctx, jobID)
	if err != nil {
		return Status{JobID: jobID}, err
	}
	job, err := readAnswer(jobID, Answer{Body: body})
	if err != nil {
		return Status{JobID: jobID}, err
	}
	v := Decide(r, Input{Check: c, Answer: Answer{Body: body}, Now: now})
	if v.Decision == DecisionDeadLettered {
		return Status{JobID: jobID, Algorithm: job.FunctionName, State: job.State}, fmt.Errorf("%w: the function would dead-letter this check: %s", errUnreadable, v.Reason)
	}
	return Status{JobID: jobID, Algorithm: job.FunctionName, State: job.State, Verdict: v}, nil
}
