package simulate

import (
	"math/rand/v2"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/policy"
)

// Options are a comparison's settings.
type Options struct {
	Jobs         int
	Seed         uint64
	Policy       policy.Policy
	Deadline     time.Duration // IPRODWATCH_DEADLINE; default 24h
	StalledAfter time.Duration // IPRODWATCH_STALLED_AFTER; default 2h (it marks checks, never decides one)
	// Lost and Late are the shares of notifications the fast path row loses, and delivers up to
	// LateBy after the end (the rest come 1-3 s after it).
	Lost, Late float64
	LateBy     time.Duration
}

// Pollers are the table's rows, in order: iprodwatch, its fast path, the fixed intervals, the
// durable-functions default, plain exponential and the oracle.
func Pollers(o Options) []Poller {
	o = o.defaults()
	rules := o.rules()
	ps := []Poller{
		Iprodwatch{Label: "iprodwatch", Rules: rules},
		Iprodwatch{Label: "iprodwatch fast path", Rules: rules, Notify: o.notify},
	}
	for _, d := range []time.Duration{10, 20, 30, 60, 120, 300} {
		ps = append(ps, Fixed(d*time.Second, o.Deadline))
	}
	return append(ps,
		Exponential("durable functions default", 5*time.Second, 1.5, 300*time.Second, true, o.Deadline, o.Seed),
		Exponential("exponential 1s x2", time.Second, 2, 0, false, o.Deadline, o.Seed),
		Oracle{},
	)
}

// notify is the fast path's notification of j: its delay after the end, or false when it is lost.
// Lost shares are lost, Late ones come up to LateBy late, the rest 1-3 s after the end.
func (o Options) notify(j Job) (time.Duration, bool) {
	r := rand.New(rand.NewPCG(o.Seed, hash(j.ID)^0x6e6f74))
	switch u := r.Float64(); {
	case u < o.Lost:
		return 0, false
	case u < o.Lost+o.Late:
		return time.Duration(r.Float64() * float64(o.LateBy)), true
	}
	return time.Second + time.Duration(r.Float64()*float64(2*time.Second)), true
}

// defaults fills what o leaves zero: a 24 h deadline and 2 h to stalled, the function's defaults.
func (o Options) defaults() Options {
	if o.Deadline == 0 {
		o.Deadline = 24 * time.Hour
	}
	if o.StalledAfter == 0 {
		o.StalledAfter = 2 * time.Hour
	}
	return o
}

func (o Options) rules() handler.Rules {
	o = o.defaults()
	return handler.RulesOf(handler.Config{Region: "cn-shanghai", AccountID: "1234567890123456", Deadline: o.Deadline,
		StalledAfter: o.StalledAfter, Policy: o.Policy}, 0)
}

// BackstopRow is what one backstop density costs and covers on the fast path: queries per job
// overall, the p95 lag of the jobs whose notification came, and of those whose notification was
// lost (found by the backstop alone), and how many of those timed out.
type BackstopRow struct {
	Step          float64       `json:"step"`
	Cap           time.Duration `json:"cap"`
	QueriesPerJob float64       `json:"queriesPerJob"`
	NotifiedP95   float64       `json:"notifiedLagP95Seconds"`
	LostP95       float64       `json:"lostLagP95Seconds"`
	Lost          int           `json:"lost"`
	LostTimedOut  int           `json:"lostTimedOut"`
}

// Backstops measures the fast path with each backstop density: step and cap replace the policy's
// for the chains of notified jobs (policy.Policy's BackstopStep and BackstopCap).
func Backstops(w Workload, o Options, steps []float64, caps []time.Duration) []BackstopRow {
	jobs := w.Jobs(o.Jobs, o.Seed)
	var rows []BackstopRow
	for _, step := range steps {
		for _, limit := range caps {
			p := o
			p.Policy.BackstopStep, p.Policy.BackstopCap = step, limit
			fast := Iprodwatch{Label: "fast path", Rules: p.rules(), Notify: o.notify}
			row := BackstopRow{Step: step, Cap: limit}
			var notified, lost []float64
			queries := 0
			for _, j := range jobs {
				tr := fast.Find(j)
				queries += tr.Queries
				lag := max(tr.DetectedAt-j.Duration(), 0).Seconds()
				if _, ok := o.notify(j); ok {
					notified = append(notified, lag)
					continue
				}
				lost = append(lost, lag)
				if tr.TimedOut {
					row.LostTimedOut++
				}
			}
			row.QueriesPerJob = float64(queries) / float64(max(len(jobs), 1))
			row.NotifiedP95, row.LostP95, row.Lost = quantile(notified, 0.95), quantile(lost, 0.95), len(lost)
			rows = append(rows, row)
		}
	}
	return rows
}

// Compare measures every poller of o on jobs drawn from w.
func Compare(w Workload, o Options) []Row {
	jobs := w.Jobs(o.Jobs, o.Seed)
	var rows []Row
	for _, p := range Pollers(o) {
		rows = append(rows, Measure(p, jobs))
	}
	return rows
}
