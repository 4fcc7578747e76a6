package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"iprodwatch/handler"
	"iprodwatch/parse"
)

const checkUsage = `Usage: iprodwatch check [-json] [-publish] [flags] JOBID

Queries one job once (QueryIProductionJob) and prints its state and, when it is final, the
completion event the function publishes for it: the same event id, complete even where the
published one was cut to fit a message (the command an oversized event's data.truncated.fetch
names). -publish sends that event to the event topic, fitted to it as the function fits it: a
consumer deduplicating on source and id sees a copy, never a second meaning.

Flags:
  -json      one JSON object: {"jobId","algorithm","state","outcome","event"} (outcome and event
             only when the job is final; event is the full CloudEvent)
  -publish   publish the event of a final job to IPRODWATCH_EVENT_TOPIC
` + configUsage + `
Exit codes:
  0  the job succeeded
  3  the job failed
  4  the job is still running (Queuing or Analysing)
  1  error: configuration, credentials, a job MPS does not know, a query or a publish that failed
  2  usage error, or a job id that is not one
`

// Exit codes of check.
const (
	ExitFailed  = 3
	ExitRunning = 4
)

func checkCommand() command {
	c := command{name: "check", summary: "query one job now and print its state and completion event", usage: checkUsage}
	c.run = func(ctx context.Context, env Env, args []string) int { return runCheck(ctx, env, &c, args) }
	return c
}

// checkOutput is check's -json answer.
type checkOutput struct {
	JobID     string          `json:"jobId"`
	Algorithm string          `json:"algorithm,omitempty"`
	State     parse.State     `json:"state"`
	Outcome   parse.Outcome   `json:"outcome,omitempty"`
	Event     json.RawMessage `json:"event,omitempty"`
}

func runCheck(ctx context.Context, env Env, c *command, args []string) int {
	fs := newFlagSet(c.name)
	asJSON := fs.Bool("json", false, "")
	publish := fs.Bool("publish", false, "")
	conf := addConfigFlags(fs)
	rest, err := parseArgs(fs, args)
	switch {
	case err != nil:
		return usageError(env, c, err)
	case len(rest) != 1:
		return usageError(env, c, errors.New("want one job id"))
	}
	if err := parse.ValidateJobID(rest[0]); err != nil {
		return usageError(env, c, err)
	}
	cfg, ops, err := conf.connect(ctx, fs, env)
	if err != nil {
		return fail(env, c, err)
	}
	cl := ops.Clients()
	rules := handler.RulesOf(cfg, 0)
	if *publish {
		// Fitted to the topic as the function fits it.
		lim, err := cl.Topics.Limits(ctx, cfg.EventTopic)
		if err != nil {
			return fail(env, c, fmt.Errorf("reading the event topic's message size: %w", err))
		}
		if lim.MaxMessage > 0 {
			rules.MaxEvent = min(lim.MaxMessage, handler.MaxMessage)
		}
	}
	st, err := handler.CheckNow(ctx, rules, cl.Jobs, rest[0], env.now())
	if err != nil {
		if errors.Is(err, handler.ErrNoSuchJob) {
			err = fmt.Errorf("MPS has no job %s in %s for this account: %w", rest[0], cfg.Region, err)
		}
		return fail(env, c, err)
	}
	out := checkOutput{JobID: st.JobID, Algorithm: st.Algorithm, State: st.State}
	code := ExitRunning
	if e := st.Verdict.Event; e != nil {
		out.Outcome = e.Outcome
		if out.Event, err = parse.EncodeEvent(e, ""); err != nil {
			return fail(env, c, err)
		}
		code = ExitOK
		if e.Outcome != parse.OutcomeSucceeded {
			code = ExitFailed
		}
	}
	if *publish && st.Verdict.Event != nil {
		if err := cl.Topics.Publish(ctx, cfg.EventTopic, st.Verdict.Body, string(st.Verdict.Event.Outcome)); err != nil {
			return fail(env, c, fmt.Errorf("publishing event %s: %w", st.Verdict.Event.ID, err))
		}
	}
	if *asJSON {
		b, err := json.Marshal(out)
		if err != nil {
			return fail(env, c, err)
		}
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return code
	}
	algo := ""
	if out.Algorithm != "" {
		algo = " (" + out.Algorithm + ")"
	}
	fmt.Fprintf(env.Stdout, "job %s%s: %s\n", out.JobID, algo, out.State)
	if e := st.Verdict.Event; e != nil {
		fmt.Fprintf(env.Stdout, "outcome %s, event %s\n", e.Outcome, e.ID)
		if *publish {
			fmt.Fprintf(env.Stdout, "published to topic %s (%d bytes)\n", cfg.EventTopic, len(st.Verdict.Body))
		}
		pretty, err := parse.EncodeEvent(e, "  ")
		if err != nil {
			return fail(env, c, err)
		}
		fmt.Fprintf(env.Stdout, "%s\n", pretty)
	} else if *publish {
		fmt.Fprintln(env.Stdout, "still running: nothing published")
	}
	return code
}
