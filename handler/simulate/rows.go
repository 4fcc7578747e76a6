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
	if o.Deadline == 0 {
		o.Deadline = 24 * time.Hour
	}
	if o.StalledAfter == 0 {
		o.StalledAfter = 2 * time.Hour
	}
	rules := handler.RulesOf(handler.Config{Region: "cn-shanghai", AccountID: "1234567890123456", Deadline: o.Deadline,
		StalledAfter: o.StalledAfter, Policy: o.Policy}, 0)
	notify := func(j Job) (time.Duration, bool) {
		r := rand.New(rand.NewPCG(o.Seed, hash(j.ID)^0x6e6f74))
		switch u := r.Float64(); {
		case u < o.Lost:
			return 0, false
		case u < o.Lost+o.Late:
			return time.Duration(r.Float64() * float64(o.LateBy)), true
		}
		return time.Second + time.Duration(r.Float64()*float64(2*time.Second)), true
	}
	ps := []Poller{
		Iprodwatch{Label: "iprodwatch", Rules: rules},
		Iprodwatch{Label: "iprodwatch fast path", Rules: rules, Notify: notify},
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

// Compare measures every poller of o on jobs drawn from w.
func Compare(w Workload, o Options) []Row {
	jobs := w.Jobs(o.Jobs, o.Seed)
	var rows []Row
	for _, p := range Pollers(o) {
		rows = append(rows, Measure(p, jobs))
	}
	return rows
}
