package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"iprodwatch/handler"
	"iprodwatch/handler/cloud"
)

const submitUsage = `Usage: iprodwatch submit -function NAME -input oss://... -output oss://... [-params JSON]
                         [-user-data S] [-pipeline ID] [-no-notify] [-expected SECONDS] [-deadline D]
                         [-json] [flags]

Submits one intelligent-production job (SubmitIProductionJob) and watches it: its NotifyUrl names
the check queue (MPS announces the end there: the fast path), and its first check message goes to
the check queue, marked notified, so that its chain checks sparsely, as the backstop of a lost
notification (-no-notify: neither). This is how a workflow starts a watched job.

SubmitIProductionJob is billable and takes no idempotency token, so submit never retries it. When
the request left and no answer said what became of it (a timeout, a cut connection, a gateway's
5xx), a job may exist: submit says so, exits 5, and a second submit could start and bill a second
job. Look first: the job list of the function in the MPS console, or the check queue, which gets the
job's notification when it ends.

Flags:
  -function NAME     the algorithm, e.g. VideoH2V, Cover, CaptionExtraction (required)
  -input URI         the input, oss://bucket/object (required)
  -output URI        the output template, oss://bucket/prefix/{fileName}... (required)
  -params JSON       the algorithm's JobParams
  -user-data S       UserData, echoed in the completion event
  -pipeline ID       the MPS pipeline (PipelineId)
  -model ID          ModelId
  -no-notify         no NotifyUrl: the job is found by polling alone
  -expected SECONDS  how long the job usually takes: the policy plans from it instead of the prior
  -deadline D        report the job timed out after D (at most IPRODWATCH_DEADLINE, at least 1m)
  -json              print {"jobId","requestId"}
` + configUsage + `
Exit codes:
  0  submitted and watched: the job id is printed
  1  not submitted: no job was created (configuration, credentials, MPS refused the request);
     submitting again once the cause is fixed is safe
  5  outcome unknown: a job may have been created; do not submit again before looking (above)
  6  submitted, but its first check message could not be sent: the job id is printed; run
     iprodwatch watch JOBID (unless -no-notify, the job's notification still reports its end)
  2  usage error
`

// Exit codes of submit.
const (
	ExitSubmitUnknown = 5
	ExitNotWatched    = 6
)

func submitCommand() command {
	c := command{name: "submit", summary: "submit a job (SubmitIProductionJob) and watch it", usage: submitUsage}
	c.run = func(ctx context.Context, env Env, args []string) int { return runSubmit(ctx, env, &c, args) }
	return c
}

func runSubmit(ctx context.Context, env Env, c *command, args []string) int {
	fs := newFlagSet(c.name)
	var s cloud.Submission
	fs.StringVar(&s.FunctionName, "function", "", "")
	fs.StringVar(&s.Input, "input", "", "")
	fs.StringVar(&s.Output, "output", "", "")
	fs.StringVar(&s.JobParams, "params", "", "")
	fs.StringVar(&s.UserData, "user-data", "", "")
	fs.StringVar(&s.PipelineID, "pipeline", "", "")
	fs.StringVar(&s.ModelID, "model", "", "")
	noNotify := fs.Bool("no-notify", false, "")
	asJSON := fs.Bool("json", false, "")
	first := addFirstCheckFlags(fs)
	conf := addConfigFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return usageError(env, c, err)
	}
	switch {
	case s.FunctionName == "" || s.Input == "" || s.Output == "":
		return usageError(env, c, errors.New("-function, -input and -output are required"))
	case s.JobParams != "" && !json.Valid([]byte(s.JobParams)):
		return usageError(env, c, errors.New("-params is not JSON"))
	}
	cfg, ops, err := conf.connect(ctx, fs, env)
	if err != nil {
		return fail(env, c, fmt.Errorf("%w; nothing was submitted", err))
	}
	if err := first.validate(cfg); err != nil {
		return usageError(env, c, err)
	}
	if !*noNotify {
		s.NotifyURL = handler.NotifyURL(cfg)
	}
	sub, err := ops.Submit(ctx, s)
	switch {
	case errors.Is(err, handler.ErrSubmitUnknown):
		fmt.Fprintf(env.Stderr, "iprodwatch submit: %v\n", err)
		fmt.Fprintf(env.Stderr, "A %s job may have been created for %s. Do not submit again before looking: the job list in the MPS console (region %s), or queue %s for its notification.\n",
			s.FunctionName, s.Input, cfg.Region, cfg.CheckQueue)
		return ExitSubmitUnknown
	case err != nil:
		return fail(env, c, fmt.Errorf("%w; no job was created, submitting again is safe once the cause is fixed", err))
	}
	body, err := first.body(sub.JobID, env.now(), s.NotifyURL != "", s.FunctionName)
	if err == nil {
		err = ops.Clients().Queues.Send(ctx, cfg.CheckQueue, body, 0)
	}
	printSubmitted(env, *asJSON, sub)
	if err != nil {
		fmt.Fprintf(env.Stderr, "iprodwatch submit: job %s was submitted, but its first check was not sent: %v\nRun: iprodwatch watch %s\n", sub.JobID, err, sub.JobID)
		return ExitNotWatched
	}
	return ExitOK
}

func printSubmitted(env Env, asJSON bool, sub cloud.Submitted) {
	if asJSON {
		b, _ := json.Marshal(sub)
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return
	}
	fmt.Fprintln(env.Stdout, sub.JobID)
}
