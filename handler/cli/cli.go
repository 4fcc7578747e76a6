// Package cli is the iprodwatch command line: one verb per subcommand, the same conventions for all.
//
//   - `iprodwatch help` lists the verbs, `iprodwatch help VERB` prints one verb's usage.
//   - Flags may come before or after positional arguments; `--` ends the flags.
//   - `-json` means machine-readable output.
//   - Each verb documents its exit codes; 2 is always a usage error.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Env is what a verb may touch of the outside world, so tests can run verbs in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Now    func() time.Time
}

// Exit codes shared by every verb.
const (
	ExitOK    = 0
	ExitUsage = 2
)

// command is one verb.
type command struct {
	name    string
	summary string // one line, for `iprodwatch help`
	usage   string // the synopsis, flags and exit codes, for `iprodwatch help VERB`
	run     func(ctx context.Context, env Env, args []string) int
}

func commands() []command {
	ops := []command{setupCommand(), submitCommand(), watchCommand(), checkCommand(), dlqCommand(), policyCommand(), priorsCommand(), parseCommand()}
	return append(append(ops, devCommands()...), versionCommand(), helpCommand())
}

const helpUsage = `Usage: iprodwatch help [COMMAND | config]

Lists the commands, or prints one command's usage: its flags and its exit codes. help config lists
the configuration variables every operator command reads, as the function does.

Exit codes:
  0  printed
  2  no such command
`

func helpCommand() command {
	return command{name: "help", summary: "list the commands, or show one: iprodwatch help <command>", usage: helpUsage,
		run: func(_ context.Context, env Env, args []string) int { return help(env, args) }}
}

// Run runs the verb named by args[0] and returns the process exit code. With no arguments it prints
// usage (main runs the FC function then, once the handler exists).
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		usage(env.Stderr)
		return ExitUsage
	}
	verb, rest := args[0], args[1:]
	switch verb {
	case "-h", "-help", "--help":
		verb = "help"
	case "-version", "--version":
		verb = "version"
	}
	i := slices.IndexFunc(commands(), func(c command) bool { return c.name == verb })
	if i < 0 {
		fmt.Fprintf(env.Stderr, "iprodwatch: unknown command %q\n\n", verb)
		usage(env.Stderr)
		return ExitUsage
	}
	return commands()[i].run(ctx, env, rest)
}

func help(env Env, args []string) int {
	if len(args) == 0 {
		usage(env.Stdout)
		return ExitOK
	}
	if args[0] == "config" {
		configHelp(env.Stdout)
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			fmt.Fprint(env.Stdout, c.usage)
			return ExitOK
		}
	}
	fmt.Fprintf(env.Stderr, "iprodwatch help: unknown command %q\n", args[0])
	return ExitUsage
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("iprodwatch waits for MPS intelligent-production jobs and publishes one completion event per job.\n\n")
	b.WriteString("Usage:\n  iprodwatch <command> [flags] [arguments]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nFlags may come before or after arguments; -json means machine-readable output.\n")
	fmt.Fprint(w, b.String())
}

// parseArgs parses flags wherever they stand among the positional arguments, which it returns.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseFlags parses the flags of a verb that takes no positional argument.
func parseFlags(fs *flag.FlagSet, args []string) error {
	rest, err := parseArgs(fs, args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	}
	return err
}

// newFlagSet returns a flag set that reports errors to its caller instead of printing and exiting.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// usageError prints a flag error with the verb's usage and returns ExitUsage.
func usageError(env Env, c *command, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(env.Stdout, c.usage)
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "iprodwatch %s: %v\n\n%s", c.name, err, c.usage)
	return ExitUsage
}
