// Package policy decides when to check a running job next. It is a pure function of the check
// message, the time and one uniform random draw: no state, no clock, no I/O, so a benchmark can
// replay thousands of jobs and a later tuning can change the numbers without touching the handler.
//
// The model: how long a job takes is lognormal, per algorithm, in two phases (time in Queuing, time
// in Analysing), each a median and a spread. Given how long the job has already spent, the next
// check goes where the job has probably finished: the point by which StepProbability of the
// remaining probability mass has passed (a quantile of the remaining-time distribution, conditioned
// on the time already spent). Then a floor, a cap, the deadline, and full jitter.
package policy

import (
	"math"
	"time"

	"iprodwatch/parse"
)

// Phase is one lognormal phase of a job: its median duration and its spread, the standard
// deviation of the logarithm. Spread 1 means about two jobs in three take between median/e and
// median·e (0.37× to 2.7× the median).
type Phase struct {
	MedianSeconds float64 `json:"median"`
	Spread        float64 `json:"spread"`
}

// Prior is what is known of an algorithm's jobs before any of them is checked.
type Prior struct {
	Queue      Phase `json:"queue"`
	Processing Phase `json:"processing"`
}

// Policy holds the knobs. The zero value is not useful; start from Default.
type Policy struct {
	Priors       map[string]Prior // by algorithm (MPS's FunctionName)
	DefaultPrior Prior            // for an algorithm without a prior
	// HintSpread is the spread given to a submitter's expectedSeconds hint, which replaces the prior.
	HintSpread float64
	// StepProbability is how much of the remaining probability of finishing each wait covers: 0.5
	// checks at the conditional median (each check a coin toss that the job is done); lower checks
	// more often and detects sooner. The shipped 0.3 with a 5-minute cap makes about a third of the
	// checks of a 30-second poller on video jobs (BenchmarkScheduleAgainstFixedPoller).
	StepProbability float64
	Floor           time.Duration // never check sooner than this
	Cap             time.Duration // never wait longer than this between checks
	// RetryBase and RetryCap shape the backoff after a transient failure (throttling, 5xx, a
	// timeout): full jitter over RetryBase·2^(failures-1), at most RetryCap.
	RetryBase time.Duration
	RetryCap  time.Duration
	// BackstopStep and BackstopCap replace StepProbability and Cap for a check whose job was
	// submitted with a notification (parse.Check.Notified): its chain only backs up a notification
	// that is lost, so it checks far less (iprodwatch simulate -backstop measures the trade).
	BackstopStep float64
	BackstopCap  time.Duration
}

// Default is the shipped policy. The priors are working guesses from the nature of each algorithm
// (no public timing data exists for MPS intelligent production): analysis of audio and work on a
// single image take seconds; Cover, VideoClip and CaptionExtraction scan the video faster than real
// time; pixel-rewriting video jobs run about real time on minutes of video; queue time depends on the
// pipeline's load (10 concurrent jobs by default) and is given a wide spread.
func Default() Policy {
	short := Prior{Queue: Phase{5, 1.0}, Processing: Phase{15, 0.8}}
	scan := Prior{Queue: Phase{10, 1.0}, Processing: Phase{90, 1.0}}
	video := Prior{Queue: Phase{20, 1.2}, Processing: Phase{480, 1.0}}
	return Policy{
		Priors: map[string]Prior{
			parse.AlgorithmImageH2V: short, parse.AlgorithmImageDelogo: short, parse.AlgorithmImageCartoonize: short,
			parse.AlgorithmMusicSegmentDetect: short, parse.AlgorithmAudioBeatDetection: short, parse.AlgorithmAudioQualityAssessment: short,
			parse.AlgorithmAudioMixing:       {Queue: Phase{5, 1.0}, Processing: Phase{30, 0.8}},
			parse.AlgorithmCover:             scan,
			parse.AlgorithmVideoClip:         scan,
			parse.AlgorithmCaptionExtraction: scan,
			parse.AlgorithmVideoH2V:          video, parse.AlgorithmVideoDelogo: video, parse.AlgorithmVideoDetext: video, parse.AlgorithmVideoGreenScreenMatting: video,
		},
		DefaultPrior:    Prior{Queue: Phase{20, 1.2}, Processing: Phase{300, 1.2}},
		HintSpread:      0.5,
		StepProbability: 0.3,
		Floor:           5 * time.Second,
		Cap:             5 * time.Minute,
		RetryBase:       2 * time.Second,
		RetryCap:        time.Minute,
		// From iprodwatch simulate -backstop, 5 % of notifications lost: on the embedded
		// workload 2.63 queries per job against 6.51 at the polling density, lost jobs found
		// with a p95 lag of 19 minutes instead of 2, none timed out (README, Benchmarks).
		BackstopStep: 0.9,
		BackstopCap:  30 * time.Minute,
	}
}

// Backoff is the wait before retrying a check that failed transiently for the failures-th time in
// a row (1 for the first), with u a uniform draw in [0, 1): full jitter over an exponential ceiling,
// not past the deadline while it is ahead (the last query goes at the deadline; after it, retries
// go on backing off). Throttling answers come back here, so callers slow down as they pile up.
func (p Policy) Backoff(c parse.Check, now time.Time, failures int, u float64) time.Duration {
	ceiling := p.RetryCap
	if failures < 32 {
		ceiling = min(p.RetryCap, p.RetryBase<<max(failures-1, 0))
	}
	d := time.Second + time.Duration(clamp01(u)*float64(max(ceiling-time.Second, 0)))
	if !c.Deadline.IsZero() && now.Before(c.Deadline) {
		d = min(d, c.Deadline.Sub(now))
	}
	return d
}

// Delay is how long to wait before checking the job of c again, at now, with u a uniform draw in
// [0, 1). c holds what the latest check saw: LastState, StateSince (when that state was first seen),
// FirstCheckedAt (the start of the chain, taken as the submit time), the algorithm, the hint and the
// deadline. The result is at least Floor, at most Cap, and never past the deadline (a last check
// goes exactly at the deadline); 0 means the deadline has come.
func (p Policy) Delay(c parse.Check, now time.Time, u float64) time.Duration {
	untilDeadline := time.Duration(math.MaxInt64)
	if !c.Deadline.IsZero() {
		untilDeadline = c.Deadline.Sub(now)
		if untilDeadline <= 0 {
			return 0
		}
	}
	d := p.planned(c, now)
	limit := p.Cap
	if c.Notified && p.BackstopCap > 0 {
		limit = p.BackstopCap
	}
	d = min(max(d, p.Floor), limit)
	// Full jitter, above the floor: jobs submitted together spread their checks out instead of
	// querying in step, at the price of checking a little earlier than planned on average.
	d = p.Floor + time.Duration(clamp01(u)*float64(d-p.Floor))
	return min(d, untilDeadline)
}

// planned is the wait to the next quantile of the remaining time, before floor, cap and jitter.
func (p Policy) planned(c parse.Check, now time.Time) time.Duration {
	prior := p.prior(c.Algorithm)
	elapsed := seconds(now.Sub(c.FirstCheckedAt))
	phase, spent := total(prior), elapsed
	switch {
	case c.ExpectedSeconds > 0:
		phase = Phase{c.ExpectedSeconds, p.HintSpread}
	case c.LastState == parse.StateAnalysing && !c.StateSince.IsZero():
		// The job is processing: what remains is processing time, at least the time since
		// Analysing was first seen.
		phase, spent = prior.Processing, seconds(now.Sub(c.StateSince))
	}
	step := p.StepProbability
	if c.Notified && p.BackstopStep > 0 {
		step = p.BackstopStep
	}
	next := conditionalQuantile(phase, spent, step)
	// In seconds until here: a wait past what a Duration holds (a hint of 1e11 s) would wrap
	// negative and come out as the floor. No wait exceeds MNS's longest delay, a week.
	return time.Duration(math.Min(next-spent, 7*24*3600) * float64(time.Second))
}

func (p Policy) prior(algorithm string) Prior {
	if pr, ok := p.Priors[algorithm]; ok {
		return pr
	}
	return p.DefaultPrior
}

// total approximates queue plus processing time as one lognormal: the medians add, and the spread is
// that of the sum's logarithm by the usual moment match (Fenton–Wilkinson).
func total(pr Prior) Phase {
	m1, v1 := lognormalMoments(pr.Queue)
	m2, v2 := lognormalMoments(pr.Processing)
	mean, variance := m1+m2, v1+v2
	s2 := math.Log1p(variance / (mean * mean))
	mu := math.Log(mean) - s2/2
	return Phase{MedianSeconds: math.Exp(mu), Spread: math.Sqrt(s2)}
}

func lognormalMoments(ph Phase) (mean, variance float64) {
	mu, s2 := math.Log(ph.MedianSeconds), ph.Spread*ph.Spread
	mean = math.Exp(mu + s2/2)
	return mean, (math.Exp(s2) - 1) * mean * mean
}

// conditionalQuantile is the time t > spent by which the fraction step of the probability that
// remains after spent has passed: S(t) = (1-step)·S(spent), S the lognormal survival function.
func conditionalQuantile(ph Phase, spent, step float64) float64 {
	mu, sigma := math.Log(ph.MedianSeconds), ph.Spread
	surv := 1.0
	if spent > 0 {
		surv = 1 - normCDF((math.Log(spent)-mu)/sigma)
	}
	target := 1 - (1-step)*surv // the CDF value to reach
	if target >= 1-1e-12 {
		// Far in the tail the model has nothing left to say: wait as long as the job has run.
		return 2 * math.Max(spent, ph.MedianSeconds)
	}
	return math.Exp(mu + sigma*normQuantile(target))
}

func normCDF(z float64) float64      { return 0.5 * math.Erfc(-z/math.Sqrt2) }
func normQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

func seconds(d time.Duration) float64 { return math.Max(d.Seconds(), 0) }

func clamp01(u float64) float64 { return math.Min(math.Max(u, 0), 1) }
