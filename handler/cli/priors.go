package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"iprodwatch/handler/policy"
	"iprodwatch/parse"
)

const priorsUsage = `Usage: iprodwatch priors [FILE...]

Fits the policy's priors from completion events, as consumed from the event topic: one JSON event
per line (or a line of iprodwatch check -json), from the files or standard input. Each event
bounds its job's duration: it ended after checks.lastRunningAt (the last check that saw it
running; the first check when the event does not say) and by checks.detectedAt, counted from
checks.firstCheckedAt; a timed-out job was still running at its lastRunningAt. Pull mode's events
carry no lastRunningAt (its message is never rewritten), so they bound nothing from below and
cannot make a prior alone. Per algorithm, the lognormal of most likelihood for those intervals is
the processing phase (the events do not tell queue from processing; the queue phase is set short).
Copies of an event (the same source and id) count once. Prints the IPRODWATCH_PRIORS value to
deploy on standard output, and on standard error how many jobs each prior rests on. The function
itself stays stateless: this runs wherever the events are.

Exit codes:
  0  printed (lines that are no event are counted on standard error and skipped)
  1  no event to fit from, or a file that cannot be read
  2  usage error
`

func priorsCommand() command {
	c := command{name: "priors", summary: "fit the policy's priors from completion events", usage: priorsUsage}
	c.run = func(ctx context.Context, env Env, args []string) int { return runPriors(ctx, env, &c, args) }
	return c
}

// maxEventLine bounds one line: an event fits an MNS message (64 KiB), a full one from check -json
// may be larger.
const maxEventLine = 4 << 20

// history is what priors gathered, per algorithm.
type history struct {
	obs      map[string][]policy.Observation
	timedOut map[string]int
	seen     map[string]bool
	skipped  int
}

func runPriors(_ context.Context, env Env, c *command, args []string) int {
	fs := newFlagSet(c.name)
	files, err := parseArgs(fs, args)
	if err != nil {
		return usageError(env, c, err)
	}
	h := history{obs: map[string][]policy.Observation{}, timedOut: map[string]int{}, seen: map[string]bool{}}
	if len(files) == 0 {
		if err := h.read(env.Stdin); err != nil {
			return fail(env, c, fmt.Errorf("standard input: %w", err))
		}
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err == nil {
			err = h.read(f)
			f.Close()
		}
		if err != nil {
			return fail(env, c, fmt.Errorf("%s: %w", name, err))
		}
	}
	priors := map[string]policy.Prior{}
	tw := tabwriter.NewWriter(env.Stderr, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ALGORITHM\tJOBS\tTIMED OUT\tMEDIAN\tSPREAD")
	algos := make([]string, 0, len(h.obs))
	for a := range h.obs {
		algos = append(algos, a)
	}
	slices.Sort(algos)
	for _, a := range algos {
		ph, ok := policy.Fit(h.obs[a])
		if !ok {
			fmt.Fprintf(tw, "%s\t%d\t%d\t(no prior: fewer than %d ends, or none bounded from below)\t\n", a, len(h.obs[a]), h.timedOut[a], policy.MinFit)
			continue
		}
		priors[a] = policy.Prior{Queue: policy.Phase{MedianSeconds: 1, Spread: 0.1}, Processing: ph}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f s\t%.2f\n", a, len(h.obs[a]), h.timedOut[a], ph.MedianSeconds, ph.Spread)
	}
	tw.Flush()
	if h.skipped > 0 {
		fmt.Fprintf(env.Stderr, "%d lines skipped: not a completion event with its checks\n", h.skipped)
	}
	if len(priors) == 0 {
		return fail(env, c, fmt.Errorf("no event to fit a prior from"))
	}
	b, err := json.Marshal(priors)
	if err != nil {
		return fail(env, c, err)
	}
	fmt.Fprintf(env.Stdout, "%s\n", b)
	return ExitOK
}

// read takes the events of r, one per line.
func (h *history) read(r io.Reader) error {
	if r == nil {
		return fmt.Errorf("nothing to read")
	}
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, long, err := readLine(br, maxEventLine)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if long {
			h.skipped++ // over maxEventLine: no event is that long
			continue
		}
		if line = bytes.TrimSpace(line); len(line) == 0 {
			continue
		}
		var e parse.Event
		err = json.Unmarshal(line, &e)
		if err == nil && e.Type == "" {
			// A line of iprodwatch check -json: the event is its "event" field.
			var out struct{ Event *parse.Event }
			if json.Unmarshal(line, &out) == nil && out.Event != nil {
				e = *out.Event
			}
		}
		if err != nil || !strings.HasPrefix(e.Type, "iprodwatch.job.") {
			h.skipped++
			continue
		}
		h.add(e)
	}
}

// readLine reads one line of at most limit bytes; a longer one is read to its end and reported
// long, without its bytes. io.EOF comes only after the last line.
func readLine(br *bufio.Reader, limit int) (line []byte, long bool, err error) {
	for {
		part, isPrefix, err := br.ReadLine()
		if err != nil {
			if err == io.EOF && (len(line) > 0 || long) {
				return line, long, nil
			}
			return nil, false, err
		}
		if !long {
			line = append(line, part...)
			if len(line) > limit {
				line, long = nil, true
			}
		}
		if !isPrefix {
			return line, long, nil
		}
	}
}

// add takes one event's observation, once per source and id.
func (h *history) add(e parse.Event) {
	ch := e.Data.Checks
	algo := e.Algorithm
	if algo == "" {
		algo = e.Data.Algorithm
	}
	key := e.Source + "\x00" + e.ID
	if algo == "" || ch.FirstCheckedAt.IsZero() || ch.DetectedAt.Before(ch.FirstCheckedAt) || h.seen[key] {
		if !h.seen[key] {
			h.skipped++
		}
		return
	}
	h.seen[key] = true
	sec := func(t time.Time) float64 { return t.Sub(ch.FirstCheckedAt).Seconds() }
	const week = 7 * 24 * 3600.0
	o := policy.Observation{High: sec(ch.DetectedAt)}
	if !ch.LastRunningAt.IsZero() && !ch.LastRunningAt.After(ch.DetectedAt) {
		o.Low = max(sec(ch.LastRunningAt), 0)
	}
	if e.Outcome == parse.OutcomeTimedOut {
		// Still running when last seen so, not necessarily at the deadline: queries that failed
		// until it passed saw nothing.
		if o.Low <= 0 {
			h.skipped++
			return
		}
		o = policy.Observation{Low: o.Low, Censored: true}
		h.timedOut[algo]++
	}
	if o.High > week || o.Low > week {
		h.skipped++
		return
	}
	h.obs[algo] = append(h.obs[algo], o)
}
