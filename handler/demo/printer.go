package demo

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
	"iprodwatch/handler/mnstest"
	"iprodwatch/parse"
)

// printer shows the run: a line per decision, or a table redrawn in place, or (JSON) the events.
type printer struct {
	w    io.Writer
	json bool
	live bool
	clk  clock.Clock
	t0   time.Time

	mu      sync.Mutex
	jobs    []*Job
	events  map[string]parse.Event // the first event of each job
	pending []line                 // printed at the next flush
}

// line is one line of output waiting for its flush: the handler works a batch's checks at once,
// so the order they are decided and published in follows goroutine scheduling; flush puts each
// step's lines in an order the seed fixes.
type line struct {
	at   time.Time
	job  int // its job's index in jobs
	text string
}

func (p *printer) jobIndex(id string) int {
	for i, j := range p.jobs {
		if j.ID == id {
			return i
		}
	}
	return len(p.jobs)
}

func (p *printer) job(id string) *Job {
	for _, j := range p.jobs {
		if j.ID == id {
			return j
		}
	}
	return nil
}

func (p *printer) header() {
	if p.json {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "iprodwatch demo: %d jobs, one per algorithm, on a clock running fast; deadline %v\n", len(p.jobs), Deadline)
	fmt.Fprintln(p.w, "(emulated MPS and MNS on 127.0.0.1, the EventBridge queue trigger, the real handler and SDKs)")
	fmt.Fprintln(p.w)
}

// decision shows one decision record as it is made (the handler's observer).
func (p *printer) decision(r handler.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	j := p.job(r.JobID)
	if j == nil {
		return // not a job of the demo's
	}
	what := string(r.Decision)
	switch r.Decision {
	case handler.DecisionRequeued, handler.DecisionRetried:
		what = fmt.Sprintf("%s, next check in %v", r.Decision, (time.Duration(r.DelaySeconds) * time.Second).Round(time.Second))
	case handler.DecisionPublished:
		what = "published " + r.Outcome
	}
	j.last = what
	j.Steps = append(j.Steps, Step{At: p.clk.Now().Sub(p.t0), Decision: r.Decision,
		Delay: time.Duration(r.DelaySeconds * float64(time.Second)), Outcome: r.Outcome})
	if p.json || p.live {
		return
	}
	p.pending = append(p.pending, line{at: p.clk.Now(), job: p.jobIndex(r.JobID),
		text: fmt.Sprintf("%9s  %-24s %s  %s\n", p.since(), j.Algorithm, short(r.JobID), what)})
}

// published keeps each job's first event; with -json every event is printed as it goes out.
func (p *printer) published(m mnstest.PublishedMessage) {
	var e parse.Event
	if json.Unmarshal([]byte(m.Body), &e) != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.events == nil {
		p.events = map[string]parse.Event{}
	}
	if _, ok := p.events[e.Subject]; !ok {
		p.events[e.Subject] = e
	}
	if p.json {
		p.pending = append(p.pending, line{at: p.clk.Now(), job: p.jobIndex(e.Subject), text: m.Body + "\n"})
	}
}

// flush prints the pending lines by time, then job; a job's own lines keep their order.
func (p *printer) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	slices.SortStableFunc(p.pending, func(a, b line) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.job, b.job)
	})
	for _, l := range p.pending {
		io.WriteString(p.w, l.text)
	}
	p.pending = p.pending[:0]
}

func (p *printer) event(id string) parse.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.events[id]
}

func (p *printer) done() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, j := range p.jobs {
		if _, ok := p.events[j.ID]; !ok || j.ID == "" {
			return false
		}
	}
	return true
}

// redraw paints the live table: the cursor goes home and the screen below is cleared.
func (p *printer) redraw() {
	if !p.live || p.json {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	b.WriteString("\x1b[H\x1b[J")
	fmt.Fprintf(&b, "iprodwatch demo  clock %s  (Ctrl-C stops)\n\n", p.since())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ALGORITHM\tJOB\tFAST PATH\tLAST DECISION")
	for _, j := range p.jobs {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", j.Algorithm, short(j.ID), j.FastPath, j.last)
	}
	tw.Flush()
	io.WriteString(p.w, b.String())
}

// summary prints the table per job and the totals against the 30-second poller.
func (p *printer) summary(r *Report) {
	if p.json {
		return
	}
	p.redraw()
	fmt.Fprintln(p.w)
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ALGORITHM\tOUTCOME\tCHECKS\tDETECTED AFTER\tFIXED 30s: CHECKS\tDETECTED AFTER\tEVENT ID\t")
	var detect, fixedDetect time.Duration
	for _, j := range r.Jobs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%v\t%d\t%v\t%s\t\n", j.Algorithm, j.Outcome, j.Checks, j.Detect.Round(time.Second),
			j.FixedChecks, j.FixedDetect.Round(time.Second), j.EventID)
		detect += j.Detect
		fixedDetect += j.FixedDetect
	}
	n := time.Duration(len(r.Jobs))
	fmt.Fprintf(tw, "TOTAL\t\t%d\t%v mean\t%d\t%v mean\t\t\n", r.Checks, (detect / n).Round(time.Second), r.FixedChecks, (fixedDetect / n).Round(time.Second))
	tw.Flush()
	fmt.Fprintf(p.w, "\n%d events, %d duplicates (same id: MPS's notification and the polling chain both saw the end), in %v of wall time.\n",
		len(r.Jobs)+r.Duplicates, r.Duplicates, r.Elapsed.Round(100*time.Millisecond))
	fmt.Fprintln(p.w, "Checks include each fast-path job's notification query. Detected after: from the job's end (or its deadline) to its event.")
}

func (p *printer) since() string {
	d := p.clk.Now().Sub(p.t0).Round(time.Second)
	return fmt.Sprintf("+%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
