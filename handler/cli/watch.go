package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"iprodwatch/handler"
	"iprodwatch/parse"
)

const watchUsage = `Usage: iprodwatch watch [-expected SECONDS] [-deadline D] [-notified] [-json] [flags] [JOBID...]

Starts watching jobs submitted elsewhere: sends each job's first check message to the check queue,
where the function takes it. The job ids come from the arguments or, when there are none, from
standard input (separated by spaces or lines; # starts a comment). A job watched twice has two
chains and its event is published by both, with the same id: consumers deduplicate on source + id.

Flags:
  -expected SECONDS  how long the jobs usually take: the policy plans from it instead of the prior
  -deadline D        report the jobs timed out after D (at most IPRODWATCH_DEADLINE, at least 1m)
  -notified          the jobs were submitted with a NotifyUrl naming the check queue: their chains
                     are the notifications' sparse backstop (as submit's are)
  -json              one JSON line per job: {"jobId","queue"} or {"jobId","error"}
` + configUsage + `
Exit codes:
  0  every job's first check was sent
  1  error: configuration, credentials, or a send that failed (the other jobs were still sent;
     the lines say which)
  2  usage error, or a job id that is not one (nothing was sent)
`

func watchCommand() command {
	c := command{name: "watch", summary: "watch jobs submitted elsewhere: send their first check messages", usage: watchUsage}
	c.run = func(ctx context.Context, env Env, args []string) int { return runWatch(ctx, env, &c, args) }
	return c
}

// firstCheck is the flags of the first check message that watch and submit send.
type firstCheck struct {
	expected *float64
	deadline *time.Duration
}

func addFirstCheckFlags(fs *flag.FlagSet) firstCheck {
	return firstCheck{expected: fs.Float64("expected", 0, ""), deadline: fs.Duration("deadline", 0, "")}
}

func (f firstCheck) validate(cfg handler.Config) error {
	switch {
	case *f.expected < 0 || *f.expected > cfg.Deadline.Seconds():
		return fmt.Errorf("-expected %v: want seconds from 0 to the deadline (%v)", *f.expected, cfg.Deadline)
	case *f.deadline != 0 && (*f.deadline < handler.MinDeadline || *f.deadline > cfg.Deadline):
		return fmt.Errorf("-deadline %v: want from %v to IPRODWATCH_DEADLINE (%v)", *f.deadline, handler.MinDeadline, cfg.Deadline)
	}
	return nil
}

// body is the first check message of jobID at now: its chain starts now. notified says the job was
// submitted with a NotifyUrl naming the check queue: the chain is then the notification's sparse
// backstop.
//
// algorithm, when the submitter knows it, lets the first check wait for the prior's first slot
// without a query (handler.Plan).
func (f firstCheck) body(jobID string, now time.Time, notified bool, algorithm string) ([]byte, error) {
	c := parse.Check{JobID: jobID, Attempt: 1, FirstCheckedAt: now, ExpectedSeconds: *f.expected, Notified: notified, Algorithm: algorithm}
	if *f.deadline > 0 {
		c.Deadline = now.Add(*f.deadline)
	}
	return parse.EncodeCheck(c)
}

// watchLine is one job's -json line.
type watchLine struct {
	JobID string `json:"jobId"`
	Queue string `json:"queue,omitempty"`
	Error string `json:"error,omitempty"`
}

func runWatch(ctx context.Context, env Env, c *command, args []string) int {
	fs := newFlagSet(c.name)
	asJSON := fs.Bool("json", false, "")
	notified := fs.Bool("notified", false, "")
	first := addFirstCheckFlags(fs)
	conf := addConfigFlags(fs)
	rest, err := parseArgs(fs, args)
	if err != nil {
		return usageError(env, c, err)
	}
	ids, err := readIDs(env, rest)
	if err != nil {
		return usageError(env, c, err)
	}
	var bad []error
	for _, id := range ids {
		if err := parse.ValidateJobID(id); err != nil {
			bad = append(bad, err)
		}
	}
	if len(bad) > 0 {
		return usageError(env, c, errors.Join(bad...))
	}
	cfg, ops, err := conf.connect(ctx, fs, env)
	if err != nil {
		return fail(env, c, err)
	}
	if err := first.validate(cfg); err != nil {
		return usageError(env, c, err)
	}
	queues := ops.Clients().Queues
	code := ExitOK
	for _, id := range unique(ids) {
		line := watchLine{JobID: id, Queue: cfg.CheckQueue}
		body, err := first.body(id, env.now(), *notified, "")
		if err == nil {
			err = queues.Send(ctx, cfg.CheckQueue, body, 0)
		}
		if err != nil {
			line = watchLine{JobID: id, Error: err.Error()}
			code = ExitError
		}
		printWatch(env, *asJSON, line)
	}
	return code
}

func printWatch(env Env, asJSON bool, l watchLine) {
	switch {
	case asJSON:
		b, _ := json.Marshal(l)
		fmt.Fprintf(env.Stdout, "%s\n", b)
	case l.Error != "":
		fmt.Fprintf(env.Stderr, "iprodwatch watch: job %s not watched: %s\n", l.JobID, l.Error)
	default:
		fmt.Fprintf(env.Stdout, "watching %s (first check sent to %s)\n", l.JobID, l.Queue)
	}
}

// unique is ids without repeats, in their first order.
func unique(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
