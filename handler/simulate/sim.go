package simulate

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"iprodwatch/handler"
	"iprodwatch/parse"
)

// Job is one simulated job: when it leaves Queuing and when it ends, after its submit.
type Job struct {
	ID         string
	Algorithm  string
	Queue, Run time.Duration // time in Queuing, then in Analysing
}

// Duration is the job's whole life, submit to end.
func (j Job) Duration() time.Duration { return j.Queue + j.Run }

// stateAt is the job's state at d after its submit.
func (j Job) stateAt(d time.Duration) parse.State {
	switch {
	case d >= j.Duration():
		return parse.StateSuccess
	case d >= j.Queue:
		return parse.StateAnalysing
	}
	return parse.StateQueuing
}

// Jobs draws n jobs of w, the same for the same seed.
func (w Workload) Jobs(n int, seed uint64) []Job {
	r := rand.New(rand.NewPCG(seed, 0x1ab5))
	algos := sortedKeys(w.Algorithms)
	jobs := make([]Job, n)
	for i := range jobs {
		u, algo := r.Float64(), algos[len(algos)-1]
		for _, a := range algos {
			if u -= w.Algorithms[a].Share; u < 0 {
				algo = a
				break
			}
		}
		m := w.Algorithms[algo]
		j := Job{ID: fmt.Sprintf("%032x", uint64(i)+seed<<32), Algorithm: algo}
		if len(m.Durations) > 0 {
			j.Run = seconds(m.Durations[r.IntN(len(m.Durations))])
		} else {
			j.Queue, j.Run = seconds(draw(r, m.Queue)), seconds(draw(r, m.Processing))
		}
		jobs[i] = j
	}
	return jobs
}

func draw(r *rand.Rand, l Lognormal) float64 {
	return math.Min(l.Median*math.Exp(l.Sigma*r.NormFloat64()), maxDuration)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Trace is how one poller found one job.
type Trace struct {
	Queries    int
	DetectedAt time.Duration // after the submit; the deadline when TimedOut
	TimedOut   bool
}

// Poller finds the end of a job.
type Poller interface {
	Name() string
	Find(j Job) Trace
}

// t0 is the simulated submit time of every job: the simulation only uses durations.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Iprodwatch is the function's own check path: each check message, as the handler writes it, is
// worked by handler.Work (Normalize, Plan, Decide) on an answer shaped as MPS's, the delay rounded
// up to whole seconds as MNS takes it. The first check message is the one iprodwatch submit
// writes (the algorithm given, so its first query waits for the prior's first slot). With
// Notify, the job's end is also announced on the check queue (the fast path), unless it is lost,
// and the chain is marked notified: a sparse backstop.
type Iprodwatch struct {
	Label string
	Rules handler.Rules
	// Notify, when set, gives the delay from a job's end to its notification's check, and false
	// when the notification is lost.
	Notify func(j Job) (time.Duration, bool)
}

// Name implements Poller.
func (p Iprodwatch) Name() string { return p.Label }

// Find implements Poller.
func (p Iprodwatch) Find(j Job) Trace {
	queries, detected, timedOut := p.walk(j)
	tr := Trace{Queries: len(queries), DetectedAt: detected, TimedOut: timedOut}
	if p.Notify == nil {
		return tr
	}
	late, ok := p.Notify(j)
	if !ok {
		return tr
	}
	at := j.Duration() + late
	if tr.TimedOut || at >= tr.DetectedAt {
		// The chain saw the end first, or reported the job timed out at the deadline and
		// stopped; the notification still costs its query.
		tr.Queries++
		return tr
	}
	// The notification's query publishes; the polling chain queries once more, finds the job
	// final and publishes the same event again, then stops.
	polled := 0
	for polled < len(queries) && queries[polled] < at {
		polled++
	}
	return Trace{Queries: polled + 1 + 1, DetectedAt: at}
}

// first is the job's first check message as iprodwatch submit writes it: the algorithm, and
// notified when the job was submitted with a notification.
func (p Iprodwatch) first(j Job) []byte {
	b, err := parse.EncodeCheck(parse.Check{JobID: j.ID, Attempt: 1, Algorithm: j.Algorithm, Notified: p.Notify != nil})
	if err != nil {
		panic("simulate: " + err.Error())
	}
	return b
}

// walk runs the chain of j from its first check message through handler.Work, as the handler
// works each check, and returns when each query was made, when it published and whether that was
// a time-out. The chain does not depend on the notification: the fast path's polling chain is the
// same walk.
func (p Iprodwatch) walk(j Job) (queries []time.Duration, detected time.Duration, timedOut bool) {
	now, sent, body := time.Duration(0), time.Duration(0), p.first(j)
	for range 1 << 20 {
		req, err := parse.DecodeCheck(body)
		if err != nil {
			panic("simulate: the handler wrote a check message it cannot read: " + err.Error())
		}
		v := handler.Work(p.Rules, req, handler.Delivery{SentAt: t0.Add(sent)}, func() time.Time { return t0.Add(now) },
			func(string) handler.Answer {
				queries = append(queries, now)
				return handler.Answer{Body: answer(j, now)}
			})
		switch v.Decision {
		case handler.DecisionPublished:
			return queries, now, v.Event.Outcome == parse.OutcomeTimedOut
		case handler.DecisionRequeued, handler.DecisionRetried:
			sent, body = now, v.Body
			now += (v.Delay + time.Second - 1) / time.Second * time.Second
		default:
			panic(fmt.Sprintf("simulate: job %s decided %s: %s", j.ID, v.Decision, v.Reason))
		}
	}
	panic("simulate: a chain of over a million checks")
}

// answer is QueryIProductionJob's body for j at d after its submit, as MPS writes it (the Result a
// JSON string).
func answer(j Job, d time.Duration) []byte {
	st := j.stateAt(d)
	result := ""
	if st.Final() {
		result = `{"Code":"Success","Message":"","Data":"{}"}`
	}
	b, err := json.Marshal(struct {
		RequestID    string `json:"RequestId"`
		JobID        string `json:"JobId"`
		FunctionName string
		State        parse.State
		Input        string
		Output       string
		PipelineID   string `json:"PipelineId"`
		UserData     *string
		JobParams    string
		Result       string
	}{"R", j.ID, j.Algorithm, st, "oss://b/in", "oss://b/out/{fileName}", "", nil, "", result})
	if err != nil {
		panic("simulate: " + err.Error()) // plain strings always encode
	}
	return b
}

// Schedule is a poller of people's: its first query at the submit, each next one a delay after the
// last, until the job is seen final or the deadline passes.
type Schedule struct {
	Label    string
	Deadline time.Duration
	// Next is the wait after the n-th query (0 for the first), with r for jitter.
	Next func(n int, r *rand.Rand) time.Duration
	Seed uint64
}

// Name implements Poller.
func (s Schedule) Name() string { return s.Label }

// Find implements Poller.
func (s Schedule) Find(j Job) Trace {
	r := rand.New(rand.NewPCG(s.Seed, uint64(len(j.ID))^hash(j.ID)))
	var now time.Duration
	for n := 0; ; n++ {
		if now >= j.Duration() {
			return Trace{Queries: n + 1, DetectedAt: now}
		}
		if now >= s.Deadline {
			return Trace{Queries: n + 1, DetectedAt: s.Deadline, TimedOut: true}
		}
		now = min(now+max(s.Next(n, r), time.Second), s.Deadline)
	}
}

func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

// Fixed queries every d.
func Fixed(d, deadline time.Duration) Schedule {
	return Schedule{Label: fmt.Sprintf("fixed %gs", d.Seconds()), Deadline: deadline, Next: func(int, *rand.Rand) time.Duration { return d }}
}

// Exponential waits base, then each wait factor times the last, up to limit (0: none), with full
// jitter (a uniform draw up to the wait) when jitter is set.
func Exponential(label string, base time.Duration, factor float64, limit time.Duration, jitter bool, deadline time.Duration, seed uint64) Schedule {
	return Schedule{Label: label, Deadline: deadline, Seed: seed, Next: func(n int, r *rand.Rand) time.Duration {
		d := float64(base) * math.Pow(factor, float64(n))
		if limit > 0 {
			d = math.Min(d, float64(limit))
		}
		d = math.Min(d, float64(deadline))
		if jitter {
			d *= r.Float64()
		}
		return time.Duration(d)
	}}
}

// Oracle knows when each job ends: one query, no lag.
type Oracle struct{}

// Name implements Poller.
func (Oracle) Name() string { return "oracle" }

// Find implements Poller.
func (Oracle) Find(j Job) Trace { return Trace{Queries: 1, DetectedAt: j.Duration()} }

// Row is one poller's results on a workload.
type Row struct {
	Policy        string  `json:"policy"`
	QueriesPerJob MeanP95 `json:"queriesPerJob"`
	LagSeconds    P50P95  `json:"lagSeconds"`
	RelativeLag   P95     `json:"relativeLag"`
	TimedOut      int     `json:"timedOut"`
	InFlight      float64 `json:"jobsInFlightPer100QPS"`
}

// MeanP95, P50P95 and P95 are summaries of a distribution.
type (
	MeanP95 struct {
		Mean float64 `json:"mean"`
		P95  float64 `json:"p95"`
	}
	P50P95 struct {
		P50 float64 `json:"p50"`
		P95 float64 `json:"p95"`
	}
	P95 struct {
		P95 float64 `json:"p95"`
	}
)

// Measure runs every job through p. Lag is from a job's end to the query that saw it (timed-out
// jobs count from their end too, when it came within the run); a job in flight is one from its
// submit to its detection, and jobs in flight per 100 QPS is how many a steady 100 queries a
// second sustains: 100 times the mean life over the mean queries.
func Measure(p Poller, jobs []Job) Row {
	row := Row{Policy: p.Name()}
	qs := make([]float64, 0, len(jobs))
	lags := make([]float64, 0, len(jobs))
	rel := make([]float64, 0, len(jobs))
	var life, queries float64
	for _, j := range jobs {
		tr := p.Find(j)
		if tr.TimedOut {
			row.TimedOut++
		}
		lag := max(tr.DetectedAt-j.Duration(), 0).Seconds()
		qs, lags = append(qs, float64(tr.Queries)), append(lags, lag)
		rel = append(rel, lag/math.Max(j.Duration().Seconds(), 1))
		life += tr.DetectedAt.Seconds()
		queries += float64(tr.Queries)
	}
	row.QueriesPerJob = MeanP95{mean(qs), quantile(qs, 0.95)}
	row.LagSeconds = P50P95{quantile(lags, 0.5), quantile(lags, 0.95)}
	row.RelativeLag = P95{quantile(rel, 0.95)}
	if queries > 0 {
		row.InFlight = 100 * life / queries
	}
	return row
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(max(len(xs), 1))
}

// quantile is the q-quantile of xs by the nearest rank.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}
