package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/cloud"
)

// The operator commands read the function's own configuration: the IPRODWATCH_* variables (the
// same names, meanings and checks as the function, handler.LoadConfig), each of them overridden by
// a flag, and the standard ALIBABA_CLOUD_* credentials. So `. env.sh` from `iprodwatch emulate`, or
// the variables of the deployed function, configure every command alike.

// configUsage is the flags part of every operator command's usage.
const configUsage = `Configuration (flags override the variables the function reads; iprodwatch help config):
  -region R          IPRODWATCH_REGION
  -account ID        IPRODWATCH_ACCOUNT_ID
  -mps-endpoint URL  IPRODWATCH_MPS_ENDPOINT
  -mns-endpoint URL  IPRODWATCH_MNS_ENDPOINT
  -check-queue Q     IPRODWATCH_CHECK_QUEUE
  -dlq Q             IPRODWATCH_DLQ_QUEUE
  -event-topic T     IPRODWATCH_EVENT_TOPIC
  -intake-topic T    IPRODWATCH_INTAKE_TOPIC
  Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and, for STS,
  ALIBABA_CLOUD_SECURITY_TOKEN.
`

// configHelp prints every variable the function reads, for help config.
func configHelp(w io.Writer) {
	fmt.Fprint(w, "The function and every operator command read these variables (flags override them):\n\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tMEANING")
	for _, v := range handler.Variables() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Name, v.Default, v.Meaning)
	}
	tw.Flush()
	fmt.Fprint(w, "\n"+configUsage)
}

// configFlags are the flags of configUsage.
type configFlags map[string]*string

// overridable lists each flag and the variable it overrides.
func overridable() [][2]string {
	return [][2]string{
		{"region", "IPRODWATCH_REGION"}, {"account", "IPRODWATCH_ACCOUNT_ID"},
		{"mps-endpoint", "IPRODWATCH_MPS_ENDPOINT"}, {"mns-endpoint", "IPRODWATCH_MNS_ENDPOINT"},
		{"check-queue", "IPRODWATCH_CHECK_QUEUE"}, {"dlq", "IPRODWATCH_DLQ_QUEUE"},
		{"event-topic", "IPRODWATCH_EVENT_TOPIC"}, {"intake-topic", "IPRODWATCH_INTAKE_TOPIC"},
	}
}

func addConfigFlags(fs *flag.FlagSet) configFlags {
	f := configFlags{}
	for _, o := range overridable() {
		f[o[1]] = fs.String(o[0], "", "")
	}
	return f
}

// getenv is env's variables with the flags that were given laid over them.
func (f configFlags) getenv(fs *flag.FlagSet, env Env) func(string) string {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	over := map[string]string{}
	for _, o := range overridable() {
		if set[o[0]] {
			over[o[1]] = *f[o[1]]
		}
	}
	return func(name string) string {
		if v, ok := over[name]; ok {
			return v
		}
		return env.Getenv(name)
	}
}

// connect loads the configuration and the credentials and returns the operator calls over them.
// It does no I/O; a key the cloud refuses fails the first call.
func (f configFlags) connect(ctx context.Context, fs *flag.FlagSet, env Env) (handler.Config, *cloud.Ops, error) {
	getenv := f.getenv(fs, env)
	cfg, err := handler.LoadConfig(getenv)
	if err != nil {
		return cfg, nil, fmt.Errorf("%w (set the variables or the flags; iprodwatch emulate prints them for a local run)", err)
	}
	cred, err := cloud.CredentialsFrom(ctx, getenv)
	if err != nil {
		return cfg, nil, err
	}
	ops, err := cloud.NewOps(cfg, cred)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, ops, nil
}

// fail prints a command's error on one line and returns ExitError.
func fail(env Env, c *command, err error) int {
	fmt.Fprintf(env.Stderr, "iprodwatch %s: %v\n", c.name, err)
	return ExitError
}

// ExitError is every operator command's exit code for an error: a configuration, a credential or
// a call that failed.
const ExitError = 1

// now is the command's clock.
func (env Env) now() time.Time {
	if env.Now == nil {
		return time.Now()
	}
	return env.Now()
}

// readIDs returns the job ids of args, or, when there are none, those of stdin (one per line or
// separated by spaces; # starts a comment).
func readIDs(env Env, args []string) ([]string, error) {
	if len(args) > 0 {
		return args, nil
	}
	if env.Stdin == nil {
		return nil, errors.New("no job ids given")
	}
	const limit = 16 << 20
	in, err := io.ReadAll(io.LimitReader(env.Stdin, limit+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading job ids from standard input: %w", err)
	case len(in) > limit:
		return nil, fmt.Errorf("standard input is over %d MiB: give the job ids in smaller runs", limit>>20)
	}
	var ids []string
	for line := range strings.SplitSeq(string(in), "\n") {
		line, _, _ = strings.Cut(line, "#")
		ids = append(ids, strings.Fields(line)...)
	}
	if len(ids) == 0 {
		return nil, errors.New("no job ids given (as arguments or on standard input)")
	}
	return ids, nil
}
