//go:build !iprodwatch.nodev

package cli

import (
	"context"
	"fmt"
	"os"

	"iprodwatch/handler/demo"
)

const demoUsage = `Usage: iprodwatch demo [-json] [-speed N] [-seed N]

Runs iprodwatch on its embedded default: the real handler in this process, against the MPS and MNS
emulators and the EventBridge queue trigger, on a clock running up to N times faster than the wall
clock. It submits one job per algorithm through SubmitIProductionJob (durations drawn from the
policy's priors, two failing, one stuck past its deadline, half announced by MPS on the check
queue), shows each decision as it happens (a live table on a terminal, a line per decision
otherwise), and ends with a table per job and the totals against a poller that checks every 30
seconds. No network and no credentials are needed.

Flags:
  -json      print every published event as one JSON line, and nothing else
  -speed N   clock factor from 1 to 100000 (default 600: the two-hour deadline passes in 12
             seconds). The clock stops while the handler and the emulators work and moves on to the
             next thing due, so it never runs ahead of them: every speed shows the same checks and
             the same detection times, and a run takes the simulated time over N or, when the
             work takes longer than that, as long as the work.
  -seed N    fixes the run (default 1): the jobs' durations, the policy's jitter, the job and event
             ids, the emulators' id sources and the MNS delivery order. Two runs with one seed print
             the same decisions at the same clock times, the same events (-json) and the same
             table, in the same order (the lines of one simulated instant by job), all but the
             wall time on the last lines; the live table's redraws follow the wall clock.

Exit codes:
  0  every job got its event
  1  the demo failed or was interrupted
  2  usage error
`

func demoCommand() command {
	c := command{name: "demo", summary: "run the function on its embedded default and show what it does", usage: demoUsage}
	c.run = func(ctx context.Context, env Env, args []string) int { return runDemo(ctx, env, &c, args) }
	return c
}

func runDemo(ctx context.Context, env Env, c *command, args []string) int {
	fs := newFlagSet(c.name)
	asJSON := fs.Bool("json", false, "")
	speed := fs.Float64("speed", 600, "")
	seed := fs.Uint64("seed", 1, "")
	if err := parseFlags(fs, args); err != nil {
		return usageError(env, c, err)
	}
	if *speed < 1 || *speed > 100000 {
		return usageError(env, c, fmt.Errorf("-speed %v: want a factor from 1 to 100000", *speed))
	}
	_, err := demo.Run(ctx, demo.Options{Out: env.Stdout, JSON: *asJSON, Live: isTerminal(env.Stdout), Speed: *speed, Seed: *seed})
	if err != nil {
		fmt.Fprintf(env.Stderr, "iprodwatch demo: %v\n", err)
		return 1
	}
	return ExitOK
}

// isTerminal reports whether w is a terminal, where the demo redraws its table in place.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
