package handler

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Decision names what was done with one check request; the same words are used in logs, the
// invocation's answer and the README.
type Decision string

// The decisions.
const (
	DecisionPublished    Decision = "published"    // the job ended (or timed out): its event is on the topic
	DecisionRequeued     Decision = "requeued"     // the job runs: the check goes back on the queue with a delay
	DecisionRetried      Decision = "retried"      // the query failed transiently: the check goes back after a backoff
	DecisionDeadLettered Decision = "deadlettered" // the message is bad: it went to the dead-letter queue with its reason
	DecisionMerged       Decision = "merged"       // a copy of another check in the same delivery: acknowledged, not queried again
	DecisionFailed       Decision = "failed"       // a configuration fault: the invocation fails and the trigger delivers again
)

// Record is one decision, as the invocation answers and logs it.
type Record struct {
	JobID        string   `json:"jobId,omitempty"`
	Decision     Decision `json:"decision"`
	Attempt      int      `json:"attempt,omitempty"`     // the check made now
	NextAttempt  int      `json:"nextAttempt,omitempty"` // requeued, retried: the check that follows
	DelaySeconds float64  `json:"delaySeconds,omitempty"`
	EventID      string   `json:"eventId,omitempty"`
	Outcome      string   `json:"outcome,omitempty"`
	Reason       string   `json:"reason,omitempty"`
	// Stalled says the job has run past IPRODWATCH_STALLED_AFTER; the check is logged as a warning.
	Stalled bool `json:"stalled,omitempty"`
}

// Summary is the invocation's answer: what it was given and what it decided, counted.
type Summary struct {
	Trigger      string   `json:"trigger"`
	Queries      int      `json:"queries"` // QueryIProductionJob calls made
	Published    int      `json:"published"`
	Requeued     int      `json:"requeued"`
	Retried      int      `json:"retried"`
	DeadLettered int      `json:"deadlettered"`
	Merged       int      `json:"merged"`
	Throttled    int      `json:"throttled"`
	Decisions    []Record `json:"decisions"`
}

// invocation is the state of one Handle call.
type invocation struct {
	h       *Handler
	log     *slog.Logger
	trigger string
	start   time.Time
	// rules are the handler's with this invocation's message limits; maxDeadLetter is the
	// dead-letter queue's.
	rules         Rules
	maxDeadLetter int

	mu  sync.Mutex
	sum Summary
}

func (h *Handler) newInvocation(ctx context.Context) *invocation {
	log := h.log
	if id := requestID(ctx); id != "" {
		log = log.With("requestId", id)
	}
	return &invocation{h: h, log: log, start: h.wall(), rules: h.rules, maxDeadLetter: MinMessage, sum: Summary{Decisions: []Record{}}}
}

// record counts and logs one decision.
func (inv *invocation) record(r Record, attrs ...any) {
	inv.mu.Lock()
	inv.sum.Decisions = append(inv.sum.Decisions, r)
	switch r.Decision {
	case DecisionPublished:
		inv.sum.Published++
	case DecisionRequeued:
		inv.sum.Requeued++
	case DecisionRetried:
		inv.sum.Retried++
	case DecisionDeadLettered:
		inv.sum.DeadLettered++
	case DecisionMerged:
		inv.sum.Merged++
	}
	inv.mu.Unlock()
	if inv.h.observe != nil {
		inv.h.observe(r)
	}
	level := slog.LevelInfo
	if r.Decision == DecisionDeadLettered || r.Stalled {
		level = slog.LevelWarn
	}
	args := []any{"jobId", r.JobID, "decision", string(r.Decision), "attempt", r.Attempt}
	if r.NextAttempt != 0 {
		args = append(args, "nextAttempt", r.NextAttempt, "delaySeconds", r.DelaySeconds)
	}
	if r.EventID != "" {
		args = append(args, "eventId", r.EventID, "outcome", r.Outcome)
	}
	if r.Reason != "" {
		args = append(args, "reason", r.Reason)
	}
	if r.Stalled {
		args = append(args, "stalled", true)
	}
	inv.log.Log(context.Background(), level, "decision", append(args, attrs...)...)
}

// setTrigger names the trigger in the summary and on every later log line.
func (inv *invocation) setTrigger(kind string) {
	inv.trigger = kind
	inv.log = inv.log.With("trigger", kind)
}

func (inv *invocation) counted(queries, throttled int) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.sum.Queries += queries
	inv.sum.Throttled += throttled
}

func (inv *invocation) summary() (json.RawMessage, error) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.sum.Trigger = inv.trigger
	return json.Marshal(inv.sum)
}

// finish logs the invocation's counters on one line, so a log query or an alert can sum them.
func (inv *invocation) finish(err error) {
	inv.mu.Lock()
	s := inv.sum
	inv.mu.Unlock()
	args := []any{"queries", s.Queries, "published", s.Published, "requeued", s.Requeued,
		"retried", s.Retried, "deadlettered", s.DeadLettered, "merged", s.Merged, "throttled", s.Throttled,
		"durationMs", inv.h.wall().Sub(inv.start).Milliseconds()}
	if err != nil {
		inv.log.Error("invocation failed", append(args, "fault", faultOf(err), "error", err.Error())...)
		return
	}
	inv.log.Info("invocation", args...)
}

// faultOf names why an invocation failed, for alerts: "config" (a configuration or permission
// fault: no retry will fix it), "internal" (a panic, contained) or "transient" (a send that kept
// failing: the trigger delivers again).
func faultOf(err error) string {
	switch {
	case errors.Is(err, ErrConfig):
		return "config"
	case errors.Is(err, errInternal):
		return "internal"
	}
	return "transient"
}
