package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"iprodwatch/parse"
)

// Exit codes of the parse verb.
const exitBadInput = 1

const parseUsage = `Usage: iprodwatch parse [-json] [-region R] [-account ID] [FILE]

Reads a QueryIProductionJob response body from FILE (or standard input when FILE is absent or -) and
prints what iprodwatch makes of it: the completion event of a final job, as pretty JSON and nothing
else; for a job still running, a one-line summary naming its state.

Flags:
  -json        machine-readable output: the event on one line, or a JSON summary of a running job
  -region R    MPS region for the event source (default $IPRODWATCH_REGION)
  -account ID  Alibaba Cloud account id for the event source (default $IPRODWATCH_ACCOUNT_ID)

Exit codes:
  0  printed
  1  bad input: the message on standard error says what is wrong
  2  usage error
`

// sourceRegion and sourceAccount check the segments of the event source where configuration
// enters (empty is allowed: the segment is then left empty).
func sourceRegion(s string) bool {
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}

func sourceAccount(s string) bool { return strings.Trim(s, "0123456789") == "" }

func parseCommand() command {
	c := command{
		name:    "parse",
		summary: "show the event a captured QueryIProductionJob response becomes",
		usage:   parseUsage,
	}
	c.run = func(_ context.Context, env Env, args []string) int { return runParse(env, &c, args) }
	return c
}

func runParse(env Env, c *command, args []string) int {
	fs := newFlagSet(c.name)
	asJSON := fs.Bool("json", false, "")
	region := fs.String("region", env.Getenv("IPRODWATCH_REGION"), "")
	account := fs.String("account", env.Getenv("IPRODWATCH_ACCOUNT_ID"), "")
	files, err := parseArgs(fs, args)
	if err != nil {
		return usageError(env, c, err)
	}
	switch {
	case len(files) > 1:
		return usageError(env, c, fmt.Errorf("want at most one FILE, got %d", len(files)))
	case !sourceRegion(*region):
		return usageError(env, c, fmt.Errorf("-region %q: want lower-case letters, digits and -, e.g. cn-shanghai", *region))
	case !sourceAccount(*account):
		return usageError(env, c, fmt.Errorf("-account %q: want the numeric account id", *account))
	}
	name, body, err := readInput(env, files)
	if err != nil {
		fmt.Fprintf(env.Stderr, "iprodwatch parse: %v\n", err)
		return exitBadInput
	}
	job, err := parse.DecodeJob(body)
	if err != nil {
		fmt.Fprintf(env.Stderr, "iprodwatch parse: %s: %v\n", name, err)
		return exitBadInput
	}
	if !job.State.Final() {
		return printRunning(env, job, *asJSON)
	}
	now := env.Now().UTC().Truncate(time.Millisecond)
	event, err := parse.NewEvent(job, parse.Params{
		Region:  *region,
		Account: *account,
		Time:    now,
		// This look at the response is the one check that detected the outcome.
		Checks: parse.Checks{Attempts: 1, FirstCheckedAt: now, DetectedAt: now},
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "iprodwatch parse: %s: %v\n", name, err)
		return exitBadInput
	}
	indent := "  "
	if *asJSON {
		indent = ""
	}
	out, err := parse.EncodeEvent(event, indent)
	if err != nil {
		fmt.Fprintf(env.Stderr, "iprodwatch parse: %s: %v\n", name, err)
		return exitBadInput
	}
	fmt.Fprintf(env.Stdout, "%s\n", out)
	return ExitOK
}

// maxInput bounds what parse reads: a QueryIProductionJob body is small, and an operator who pipes
// the wrong file should get an error, not an exhausted machine.
const maxInput = 16 << 20

func readInput(env Env, files []string) (name string, body []byte, err error) {
	var r io.Reader = env.Stdin
	name = "standard input"
	if len(files) == 1 && files[0] != "-" {
		f, err := os.Open(files[0])
		if err != nil {
			return "", nil, err
		}
		defer f.Close()
		r, name = f, files[0]
	}
	body, err = io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return "", nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(body) > maxInput {
		return "", nil, fmt.Errorf("%s is larger than %d MiB; a QueryIProductionJob response is not", name, maxInput>>20)
	}
	return name, body, nil
}

// runningSummary is the -json form of a job that is not final.
type runningSummary struct {
	JobID     string      `json:"jobId"`
	Algorithm string      `json:"algorithm,omitempty"`
	State     parse.State `json:"state"`
	Final     bool        `json:"final"`
}

func printRunning(env Env, job *parse.Job, asJSON bool) int {
	if asJSON {
		b, _ := json.Marshal(runningSummary{JobID: job.JobID, Algorithm: job.FunctionName, State: job.State})
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return ExitOK
	}
	algorithm := job.FunctionName
	if algorithm == "" {
		algorithm = "unknown algorithm"
	}
	fmt.Fprintf(env.Stdout, "job %s (%s) is %s: not final, no event yet\n", job.JobID, algorithm, job.State)
	return ExitOK
}
