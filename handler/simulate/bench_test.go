package simulate_test

import (
	"os"
	"strings"
	"testing"

	"iprodwatch/handler/policy"
	"iprodwatch/handler/simulate"
)

// BenchmarkSimulate is `iprodwatch simulate`'s table as benchmarks: per workload (the embedded one
// and the three shapes of testdata/workloads) and poller, the queries per job, the p95 lag and the
// p95 of lag over duration of 4,000 jobs (seed 1), each workload's priors fitted as simulate fits
// them. The ns/op is the cost of replaying the 4,000 jobs.
func BenchmarkSimulate(b *testing.B) {
	workloads := []simulate.Workload{simulate.Default()}
	for _, name := range []string{"heavy-tail", "bimodal", "mostly-short"} {
		raw, err := os.ReadFile(testdata + name + ".json")
		if err != nil {
			b.Fatal(err)
		}
		w, err := simulate.Parse(name, raw)
		if err != nil {
			b.Fatal(err)
		}
		workloads = append(workloads, w)
	}
	for _, w := range workloads {
		p := policy.Default()
		if w.Name != "default" {
			p = simulate.Fitted(p, w)
		}
		o := simulate.Options{Jobs: 4000, Seed: 1, Policy: p, Lost: 0.05}
		jobs := w.Jobs(o.Jobs, o.Seed)
		for _, poller := range simulate.Pollers(o) {
			b.Run(w.Name+"/"+strings.ReplaceAll(poller.Name(), " ", "_"), func(b *testing.B) {
				var r simulate.Row
				for b.Loop() {
					r = simulate.Measure(poller, jobs)
				}
				b.ReportMetric(r.QueriesPerJob.Mean, "queries/job")
				b.ReportMetric(r.LagSeconds.P95, "s-lag-p95")
				b.ReportMetric(r.RelativeLag.P95, "lag/duration-p95")
			})
		}
	}
}
