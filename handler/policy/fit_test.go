package policy_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"iprodwatch/handler/policy"
)

// TestFitRecoversALognormalFromTheChecksAroundEachEnd: durations drawn from a known lognormal,
// seen only as the interval between the last check that saw each job running and the one that
// saw it end (checks a third of the elapsed time apart, as a policy makes them), some cut off by
// a deadline: the fit finds the median and the spread within 5 %, closer than taking each
// interval's end as the duration.
func TestFitRecoversALognormalFromTheChecksAroundEachEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const median, spread, deadline = 300.0, 0.8, 2000.0
	var obs []policy.Observation
	ends, n := 0.0, 0
	for range 4000 {
		d := median * math.Exp(spread*r.NormFloat64())
		// Checks at 10 s, then each a third more than the last: find the ones around d.
		lo, hi := 0.0, 10.0
		for hi < d && hi < deadline {
			lo, hi = hi, math.Min(hi*4/3, deadline)
		}
		if d > deadline {
			obs = append(obs, policy.Observation{Low: deadline, Censored: true})
			continue
		}
		obs = append(obs, policy.Observation{Low: lo, High: hi})
		ends, n = ends+math.Log(hi), n+1
	}
	got, ok := policy.Fit(obs)
	if !ok {
		t.Fatal("no fit")
	}
	if math.Abs(got.MedianSeconds/median-1) > 0.05 || math.Abs(got.Spread/spread-1) > 0.05 {
		t.Errorf("fit %+v, want median %v and spread %v within 5 %%", got, median, spread)
	}
	if naive := math.Exp(ends / float64(n)); math.Abs(naive/median-1) <= math.Abs(got.MedianSeconds/median-1) {
		t.Errorf("the fit's median %.1f is no closer to %v than the interval ends' %.1f", got.MedianSeconds, median, naive)
	}
	for name, few := range map[string][]policy.Observation{
		"time-outs alone":     {{Low: 100, Censored: true}},
		"too few":             {{Low: 10, High: 20}, {Low: 10, High: 30}},
		"no lower bound (by)": {{High: 20}, {High: 30}, {High: 40}, {High: 50}, {High: 60}, {High: 70}},
	} {
		if p, ok := policy.Fit(few); ok {
			t.Errorf("%s: fitted %+v", name, p)
		}
	}
}

// TestFitReachesAMedianBeyondEveryEndSeen (found by review): with most jobs timed out, the median
// lies past every completed job.
func TestFitReachesAMedianBeyondEveryEndSeen(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var obs []policy.Observation
	for range 20000 {
		d := 3000 * math.Exp(r.NormFloat64())
		if d > 900 {
			obs = append(obs, policy.Observation{Low: 900, Censored: true})
			continue
		}
		lo := math.Floor(d/10) * 10
		obs = append(obs, policy.Observation{Low: lo, High: lo + 10})
	}
	got, ok := policy.Fit(obs)
	if !ok || math.Abs(got.MedianSeconds/3000-1) > 0.1 || math.Abs(got.Spread-1) > 0.1 {
		t.Errorf("fit %+v (%v), want median 3000 s and spread 1 within 10 %%", got, ok)
	}
}
