package policy

import "math"

// MinFit is the fewest bounded durations Fit fits a phase to.
const MinFit = 5

// Observation is what a completion event tells of one job's duration, in seconds from its first
// check: it ended after Low and by High; a job reported timed out (Censored) was still running at
// Low, and High is unused.
type Observation struct {
	Low, High float64
	Censored  bool
}

// Fit is the lognormal phase of most likelihood for the observations, each an interval (or, timed
// out, a lower bound): the exact durations are not known, only the checks around each end, and
// taking an interval's end or middle as the duration would bias the fit towards the policy that
// made the checks. The spread is kept within [0.1, 5], what IPRODWATCH_PRIORS takes, and the
// median within the durations seen. It returns false for fewer than MinFit bounded durations, or
// when none of them has a lower bound: intervals that all start at 0 say only "by then", and the
// most likely lognormal for them has no median at all.
func Fit(obs []Observation) (Phase, bool) {
	var logs []float64
	lower := false
	minHigh, maxHigh := math.Inf(1), 0.0
	// Identical observations (checks on a schedule make many) are weighed once with their count.
	counts := map[Observation]float64{}
	for _, o := range obs {
		switch {
		case o.Censored && o.Low > 0 && finite(o.Low):
			o.High = 0
			maxHigh = math.Max(maxHigh, o.Low) // the median may lie beyond every end seen
		case !o.Censored && o.High > o.Low && o.Low >= 0 && finite(o.High):
		default:
			continue // no bound, or a zero-width or reversed interval: nothing to weigh
		}
		counts[o]++
		if !o.Censored {
			lo := math.Max(o.Low, o.High/4) // a start for the search only
			logs = append(logs, (math.Log(lo)+math.Log(o.High))/2)
			lower = lower || o.Low > 0
			minHigh, maxHigh = math.Min(minHigh, o.High), math.Max(maxHigh, o.High)
		}
	}
	if len(logs) < MinFit || !lower {
		return Phase{}, false
	}
	mu, sigma := meanStd(logs)
	sigma = math.Min(math.Max(sigma, 0.1), 5)
	ll := func(mu, sigma float64) float64 {
		s := 0.0
		for o, n := range counts {
			zl := math.Inf(-1)
			if o.Low > 0 {
				zl = (math.Log(o.Low) - mu) / sigma
			}
			var p float64
			switch {
			case o.Censored:
				p = 1 - normCDF(zl)
			case o.High > 0:
				p = normCDF((math.Log(o.High)-mu)/sigma) - normCDF(zl)
			default:
				continue
			}
			s += n * math.Log(math.Max(p, 1e-300))
		}
		return s
	}
	// Coordinate ascent by golden-section search: the log-likelihood of interval-censored
	// lognormal data is smooth and, in practice, unimodal in each coordinate.
	muLo, muHi := math.Log(minHigh)-3, math.Log(maxHigh)+3
	for range 30 {
		m := golden(func(m float64) float64 { return ll(m, sigma) }, muLo, muHi)
		s := golden(func(s float64) float64 { return ll(m, s) }, 0.1, 5)
		done := math.Abs(m-mu) < 1e-6 && math.Abs(s-sigma) < 1e-6
		mu, sigma = m, s
		if done {
			break
		}
	}
	return Phase{MedianSeconds: math.Exp(mu), Spread: sigma}, true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func meanStd(xs []float64) (float64, float64) {
	var sum, sq float64
	for _, x := range xs {
		sum += x
		sq += x * x
	}
	n := float64(len(xs))
	m := sum / n
	return m, math.Sqrt(math.Max(sq/n-m*m, 0))
}

// golden is the maximum of f on [a, b] by golden-section search.
func golden(f func(float64) float64, a, b float64) float64 {
	const r = 0.6180339887498949
	c, d := b-r*(b-a), a+r*(b-a)
	fc, fd := f(c), f(d)
	for range 60 {
		if fc > fd {
			b, d, fd = d, c, fc
			c = b - r*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + r*(b-a)
			fd = f(d)
		}
	}
	return (a + b) / 2
}
