package policy_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"iprodwatch/handler/policy"
	"iprodwatch/parse"
)

// simulate runs n jobs of one algorithm whose true phase durations are the prior scaled by slow,
// through checker, and returns the mean number of checks per job and the mean and 95th percentile
// of the time from a job's end to the check that sees it.
func simulate(n int, algorithm string, slow float64, seed uint64, checker func(c parse.Check, now time.Time, r *rand.Rand) time.Duration) (checks, meanLatency, p95Latency float64) {
	p := policy.Default()
	prior := p.Priors[algorithm]
	r := rand.New(rand.NewPCG(seed, 0))
	draw := func(ph policy.Phase) float64 {
		return slow * ph.MedianSeconds * math.Exp(ph.Spread*r.NormFloat64())
	}
	var latencies []float64
	total := 0
	for range n {
		queue, processing := draw(prior.Queue), draw(prior.Processing)
		end := queue + processing
		c := parse.Check{JobID: "j", Algorithm: algorithm, FirstCheckedAt: t0, Deadline: t0.Add(24 * time.Hour)}
		now := t0
		for attempt := 1; ; attempt++ {
			total++
			at := now.Sub(t0).Seconds()
			if at >= end {
				latencies = append(latencies, at-end)
				break
			}
			state := parse.StateQueuing
			if at >= queue {
				state = parse.StateAnalysing
			}
			if state != c.LastState {
				c.LastState, c.StateSince = state, now
			}
			c.Attempt = attempt
			now = now.Add(checker(c, now, r))
		}
	}
	slices.Sort(latencies)
	sum := 0.0
	for _, l := range latencies {
		sum += l
	}
	return float64(total) / float64(n), sum / float64(n), latencies[n*95/100]
}

// BenchmarkScheduleAgainstFixedPoller reports, per algorithm family and for jobs that run as the
// prior says or three times slower, the checks per job and the detection latency of the policy next
// to a poller that checks every 30 seconds. The numbers are the policy's cost and benefit; the ns/op
// is the cost of one simulated job.
func BenchmarkScheduleAgainstFixedPoller(b *testing.B) {
	p := policy.Default()
	adaptive := func(c parse.Check, now time.Time, r *rand.Rand) time.Duration { return p.Delay(c, now, r.Float64()) }
	fixed := func(parse.Check, time.Time, *rand.Rand) time.Duration { return 30 * time.Second }
	for _, algorithm := range []string{"ImageH2V", "Cover", "VideoH2V"} {
		for _, slow := range []float64{1, 3} {
			for _, c := range []struct {
				name    string
				checker func(parse.Check, time.Time, *rand.Rand) time.Duration
			}{{"policy", adaptive}, {"fixed30s", fixed}} {
				b.Run(algorithm+"/slow="+map[float64]string{1: "1x", 3: "3x"}[slow]+"/"+c.name, func(b *testing.B) {
					var checks, mean, p95 float64
					for b.Loop() {
						checks, mean, p95 = simulate(2000, algorithm, slow, 1, c.checker)
					}
					b.ReportMetric(checks, "checks/job")
					b.ReportMetric(mean, "s-latency-mean")
					b.ReportMetric(p95, "s-latency-p95")
				})
			}
		}
	}
}

func TestPolicyCostsFewerChecksThanAFixedPollerOnVideoJobs(t *testing.T) {
	// The point of the policy: on long jobs it queries far less than a fixed 30 s poller. Counts,
	// not timings: the simulation runs on its own clock.
	p := policy.Default()
	adaptive := func(c parse.Check, now time.Time, r *rand.Rand) time.Duration { return p.Delay(c, now, r.Float64()) }
	fixed := func(parse.Check, time.Time, *rand.Rand) time.Duration { return 30 * time.Second }
	pc, _, _ := simulate(2000, "VideoH2V", 1, 7, adaptive)
	fc, _, _ := simulate(2000, "VideoH2V", 1, 7, fixed)
	if pc >= fc/2 {
		t.Errorf("policy makes %.1f checks per video job, the fixed poller %.1f: want under half", pc, fc)
	}
}
