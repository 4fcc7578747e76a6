package simulate

import (
	"math"

	"iprodwatch/handler/policy"
)

// The spreads a fitted phase gets: IPRODWATCH_PRIORS takes one above 0 and at most 5, and a
// workload whose durations are all alike says nothing of how they vary tomorrow.
const minSpread, maxSpread = 0.1, 5.0

func spread(s float64) float64 { return math.Min(math.Max(s, minSpread), maxSpread) }

// Priors fits the policy's priors to w: lognormal phases are taken as they are; observed durations
// are fitted as one lognormal of processing (the mean and standard deviation of their logarithms,
// by maximum likelihood) after a short queue, since they do not tell the two apart.
func (w Workload) Priors() map[string]policy.Prior {
	out := map[string]policy.Prior{}
	for name, m := range w.Algorithms {
		if len(m.Durations) == 0 {
			out[name] = policy.Prior{
				Queue:      policy.Phase{MedianSeconds: m.Queue.Median, Spread: spread(m.Queue.Sigma)},
				Processing: policy.Phase{MedianSeconds: m.Processing.Median, Spread: spread(m.Processing.Sigma)},
			}
			continue
		}
		var sum, sq float64
		for _, d := range m.Durations {
			l := math.Log(d)
			sum, sq = sum+l, sq+l*l
		}
		n := float64(len(m.Durations))
		mu := sum / n
		sigma := math.Sqrt(math.Max(sq/n-mu*mu, 0))
		out[name] = policy.Prior{
			Queue:      policy.Phase{MedianSeconds: 1, Spread: minSpread},
			Processing: policy.Phase{MedianSeconds: math.Exp(mu), Spread: spread(sigma)},
		}
	}
	return out
}

// Fitted is p with w's fitted priors laid over its own.
func Fitted(p policy.Policy, w Workload) policy.Policy {
	priors := make(map[string]policy.Prior, len(p.Priors)+len(w.Algorithms))
	for k, v := range p.Priors {
		priors[k] = v
	}
	for k, v := range w.Priors() {
		priors[k] = v
	}
	p.Priors = priors
	return p
}
