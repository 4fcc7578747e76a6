//go:build !iprodwatch.nodev

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/simulate"
)

const simulateUsage = `Usage: iprodwatch simulate [-workload FILE] [-jobs N] [-seed S] [-lost P] [-late P] [-late-by D] [-json]
                           [-svg FILE] [-priors] [-no-fit] [-backstop]

Replays a workload against the function's own check path in push mode (handler.Work: Normalize,
Plan and Decide, called as the handler calls them on each check message it writes, from a first
check as iprodwatch submit writes it, delays rounded up to whole seconds as MNS takes them) and
against the pollers people use, in simulated time (nothing sleeps), and prints one table: queries
per job (mean, p95), detection lag (p50, p95, and the p95 of lag over the job's duration), jobs
timed out, and how many jobs in flight 100 queries a second sustains. Rows: iprodwatch; its fast
path (MPS notifications on the check queue, -lost of them lost and -late of them up to -late-by
late, polling as the backstop); fixed 10 s to 300 s; the durable-functions default (5 s, x1.5, cap
300 s, full jitter); exponential 1 s x2; the oracle (one query at the end).

A workload is a JSON file: per algorithm a share and either lognormal phases or observed total
durations (shares are normalised; any algorithm name is read):

  {"algorithms": {
    "VideoH2V": {"share": 0.3, "queueSeconds": {"median": 8, "sigma": 0.6},
                 "processingSeconds": {"median": 240, "sigma": 0.9}},
    "Cover":    {"share": 0.7, "durationsSeconds": [14.2, 31, 9.8, 60.5]}}}

The embedded default has every algorithm in equal shares, its phases the built-in priors. The
policy is the configured one (IPRODWATCH_PRIORS and IPRODWATCH_DEADLINE, when set), with the priors
fitted to -workload laid over it (phases as given; observed durations as one lognormal, by maximum
likelihood): so the table shows what deploying -priors' value would do. -no-fit compares the
configured priors as they are (to see what wrong priors cost).

Flags:
  -workload FILE  the workload (default: the embedded one)
  -jobs N         jobs drawn (default 4000, at most 1000000)
  -seed S         the draw (default 1): the same seed, the same table
  -lost P, -late P, -late-by D
                  the fast path's notifications lost (default 0.05) and late (default 0), by up to
                  D (default 5m)
  -svg FILE       also draw queries per job against the p95 of lag over duration, a point per
                  row, the fixed intervals joined as a line, into FILE
  -backstop       instead of the table, the fast path's backstop densities: for each step and cap
                  of the chains of notified jobs (the policy's BackstopStep and BackstopCap),
                  queries per job, the p95 lag of notified jobs and of those whose notification
                  was lost, and how many of those timed out
  -priors         print the fitted priors as the IPRODWATCH_PRIORS value to deploy, and nothing else
  -no-fit         do not fit the priors to -workload
  -json           {"workload", "rows": [{"policy", "queriesPerJob": {"mean","p95"},
                  "lagSeconds": {"p50","p95"}, "relativeLag": {"p95"}, "timedOut",
                  "jobsInFlightPer100QPS"}]}

Exit codes:
  0  printed
  1  the workload or the configuration cannot be read (the field is named)
  2  usage error
`

func simulateCommand() command {
	c := command{name: "simulate", summary: "compare the policy with common pollers on a workload, in simulated time", usage: simulateUsage}
	c.run = func(ctx context.Context, env Env, args []string) int { return runSimulate(ctx, env, &c, args) }
	return c
}

func runSimulate(_ context.Context, env Env, c *command, args []string) int {
	fs := newFlagSet(c.name)
	file := fs.String("workload", "", "")
	jobs := fs.Int("jobs", 4000, "")
	seed := fs.Uint64("seed", 1, "")
	lost := fs.Float64("lost", 0.05, "")
	late := fs.Float64("late", 0, "")
	lateBy := fs.Duration("late-by", 5*time.Minute, "")
	asJSON := fs.Bool("json", false, "")
	svg := fs.String("svg", "", "")
	printPriors := fs.Bool("priors", false, "")
	noFit := fs.Bool("no-fit", false, "")
	backstop := fs.Bool("backstop", false, "")
	if err := parseFlags(fs, args); err != nil {
		return usageError(env, c, err)
	}
	switch {
	case *jobs < 1 || *jobs > 1_000_000:
		return usageError(env, c, fmt.Errorf("-jobs %d: want 1 to 1000000", *jobs))
	case *lost < 0 || *late < 0 || *lost+*late > 1:
		return usageError(env, c, fmt.Errorf("-lost %v, -late %v: want shares from 0 whose sum is at most 1", *lost, *late))
	case *lateBy < 0 || *lateBy > 24*time.Hour:
		return usageError(env, c, fmt.Errorf("-late-by %v: want 0 to 24h", *lateBy))
	}
	w := simulate.Default()
	if *file != "" {
		b, err := readLimited(*file, 64<<20)
		if err == nil {
			w, err = simulate.Parse(filepath.Base(*file), b)
		}
		if err != nil {
			return fail(env, c, err)
		}
	}
	// The configured policy: the function's priors and deadline, when set, read and checked as the
	// function reads them; the names and endpoints, which a simulation never uses, are stand-ins.
	standIn := map[string]string{"IPRODWATCH_REGION": "cn-shanghai", "IPRODWATCH_ACCOUNT_ID": "1234567890123456",
		"IPRODWATCH_CHECK_QUEUE": "check", "IPRODWATCH_DLQ_QUEUE": "dlq", "IPRODWATCH_EVENT_TOPIC": "events"}
	cfg, err := handler.LoadConfig(func(k string) string {
		switch k {
		case "IPRODWATCH_PRIORS", "IPRODWATCH_DEADLINE", "IPRODWATCH_STALLED_AFTER":
			return env.Getenv(k)
		}
		return standIn[k]
	})
	if err != nil {
		return fail(env, c, err)
	}
	if *printPriors {
		b, err := json.Marshal(w.Priors())
		if err != nil {
			return fail(env, c, err)
		}
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return ExitOK
	}
	p := cfg.Policy
	if *file != "" && !*noFit {
		p = simulate.Fitted(p, w)
	}
	if *backstop {
		return printBackstops(env, c, w, simulate.Options{Jobs: *jobs, Seed: *seed, Policy: p, Deadline: cfg.Deadline,
			StalledAfter: cfg.StalledAfter, Lost: *lost, Late: *late, LateBy: *lateBy}, *asJSON)
	}
	rows, err := compare(w, simulate.Options{Jobs: *jobs, Seed: *seed, Policy: p, Deadline: cfg.Deadline, StalledAfter: cfg.StalledAfter,
		Lost: *lost, Late: *late, LateBy: *lateBy})
	if err != nil {
		return fail(env, c, err)
	}
	if *svg != "" {
		var b strings.Builder
		if err := simulate.SVG(&b, fmt.Sprintf("workload %s, %d jobs, seed %d", w.Name, *jobs, *seed), rows); err != nil {
			return fail(env, c, err)
		}
		if err := os.WriteFile(*svg, []byte(b.String()), 0o644); err != nil {
			return fail(env, c, err)
		}
	}
	if *asJSON {
		b, err := json.Marshal(struct {
			Workload string         `json:"workload"`
			Rows     []simulate.Row `json:"rows"`
		}{w.Name, rows})
		if err != nil {
			return fail(env, c, err)
		}
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return ExitOK
	}
	fmt.Fprintf(env.Stdout, "workload %s, %d jobs, seed %d\n\n", w.Name, *jobs, *seed)
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "policy\tqueries/job\tp95\tlag p50 s\tlag p95 s\tp95 lag/duration\ttimed out\tjobs in flight per 100 QPS\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.2f\t%.0f\t%.0f\t%.0f\t%.2f\t%d\t%.0f\t\n", r.Policy, r.QueriesPerJob.Mean, r.QueriesPerJob.P95,
			r.LagSeconds.P50, r.LagSeconds.P95, r.RelativeLag.P95, r.TimedOut, r.InFlight)
	}
	tw.Flush()
	return ExitOK
}

// printBackstops prints simulate -backstop's table.
func printBackstops(env Env, c *command, w simulate.Workload, o simulate.Options, asJSON bool) (code int) {
	defer func() {
		if p := recover(); p != nil {
			code = fail(env, c, fmt.Errorf("the simulation stopped: %v", p))
		}
	}()
	rows := simulate.Backstops(w, o, []float64{0.3, 0.6, 0.9}, []time.Duration{5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour})
	if asJSON {
		b, err := json.Marshal(struct {
			Workload string                 `json:"workload"`
			Rows     []simulate.BackstopRow `json:"backstops"`
		}{w.Name, rows})
		if err != nil {
			return fail(env, c, err)
		}
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return ExitOK
	}
	fmt.Fprintf(env.Stdout, "workload %s, %d jobs, seed %d, %.0f %% of notifications lost\n\n", w.Name, o.Jobs, o.Seed, 100*o.Lost)
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "backstop step\tcap\tqueries/job\tnotified lag p95 s\tlost lag p95 s\tlost\tlost timed out\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%.1f\t%v\t%.2f\t%.1f\t%.0f\t%d\t%d\t\n", r.Step, r.Cap, r.QueriesPerJob, r.NotifiedP95, r.LostP95, r.Lost, r.LostTimedOut)
	}
	tw.Flush()
	return ExitOK
}

// compare is simulate.Compare with its panics, which say the handler decided what the simulator
// does not model, returned as the error: no panic escapes a command.
func compare(w simulate.Workload, o simulate.Options) (rows []simulate.Row, err error) {
	defer func() {
		if p := recover(); p != nil {
			rows, err = nil, fmt.Errorf("the simulation stopped: %v", p)
		}
	}()
	return simulate.Compare(w, o), nil
}

func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("%s: over %d MiB", name, limit>>20)
	}
	return b, err
}
