package handler_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/parse"
)

// loadResult is what a load run measured.
type loadResult struct {
	perSecond  map[int64]int // successful queries per second of the clock
	refused    int           // queries MPS throttled
	queries    int
	waits      []time.Duration // how long after its due time each check was queried
	checked    map[string]int  // queries per job
	deadLetter int
	seconds    int // clock seconds with at least one query
}

func (r loadResult) p95() time.Duration {
	if len(r.waits) == 0 {
		return 0
	}
	s := slices.Clone(r.waits)
	slices.Sort(s)
	return s[len(s)*95/100]
}

func (r loadResult) rate() float64 {
	total := 0
	for _, n := range r.perSecond {
		total += n
	}
	return float64(total) / float64(max(r.seconds, 1))
}

// dueRecorder wraps the ports of a pull-mode instance to learn when each check was due (the
// visibility it was given) and when it was queried.
type dueRecorder struct {
	mu      sync.Mutex
	clk     clock.Clock
	job     map[string]string    // receipt -> job
	due     map[string]time.Time // job -> due
	waits   []time.Duration
	checked map[string]int
}

type recQueues struct {
	handler.Queues
	r *dueRecorder
}

func (q recQueues) Receive(ctx context.Context, queue string, n int, wait time.Duration) ([]handler.Received, error) {
	msgs, err := q.Queues.Receive(ctx, queue, n, wait)
	q.r.mu.Lock()
	defer q.r.mu.Unlock()
	for _, m := range msgs {
		if req, err := parse.DecodeCheck(m.Body); err == nil {
			q.r.job[m.Receipt] = req.Check.JobID
		}
	}
	return msgs, err
}

func (q recQueues) Defer(ctx context.Context, queue, receipt string, d time.Duration) (string, error) {
	q.r.mu.Lock()
	q.r.due[q.r.job[receipt]] = q.r.clk.Now().Add(d.Truncate(time.Second) + time.Second - 1)
	q.r.mu.Unlock()
	held, err := q.Queues.Defer(ctx, queue, receipt, d)
	q.r.mu.Lock()
	q.r.job[held] = q.r.job[receipt]
	q.r.mu.Unlock()
	return held, err
}

type recJobs struct {
	handler.Jobs
	r *dueRecorder
}

func (j recJobs) QueryJob(ctx context.Context, id string) ([]byte, error) {
	j.r.mu.Lock()
	if due, ok := j.r.due[id]; ok {
		j.r.waits = append(j.r.waits, max(j.r.clk.Now().Sub(due), 0))
		delete(j.r.due, id)
	}
	j.r.checked[id]++
	j.r.mu.Unlock()
	return j.Jobs.QueryJob(ctx, id)
}

// runLoad puts n running jobs' checks on the check queue and lets `instances` pull-mode instances,
// each with its own budget of qps, sweep it every minute, concurrently, for `span` of clock, with the
// account's quota at `quota` queries a second.
func runLoad(t testing.TB, n, instances int, qps float64, quota int, span time.Duration) loadResult {
	clk := clock.NewManual(t0)
	w, err := handlertest.New(handlertest.Options{
		Clock: clk,
		Env: map[string]string{"IPRODWATCH_QPS": strconv.FormatFloat(qps, 'f', -1, 64), "IPRODWATCH_CONCURRENCY": "16",
			"IPRODWATCH_PULL_BATCH": strconv.Itoa(n), "IPRODWATCH_PULL_BUDGET": "24h", "IPRODWATCH_DEADLINE": "24h"},
		MPS: []mpstest.Option{mpstest.WithQPS(mpstest.ActionQuery, quota)},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rec := &dueRecorder{clk: clk, job: map[string]string{}, due: map[string]time.Time{}, checked: map[string]int{}}
	w.Wrap = func(cl *handler.Clients) *handler.Clients {
		cl.Queues, cl.Jobs = recQueues{cl.Queues, rec}, recJobs{cl.Jobs, rec}
		return cl
	}
	for i := range n {
		id := fmt.Sprintf("l%031x", i+1)
		p := mpstest.SubmitParams{FunctionName: "VideoH2V", Input: "oss://b/in.mp4", Output: "oss://b/out/{source}.mp4"}
		if err := w.MPS.SeedJob(mpstest.Job{ID: id, Params: p, Script: mpstest.Script{Analysing: time.Second, Never: true}}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.MNS.Send(handlertest.CheckQueue, `{"JobId":"`+id+`"}`, 0, 8); err != nil {
			t.Fatal(err)
		}
	}
	var hs []*handler.Handler
	for range instances {
		hs = append(hs, w.Handler(handler.WithLogger(discardLogger())))
	}
	timer := []byte(`{"triggerTime":"2026-11-25T12:00:00Z","triggerName":"sweep","payload":""}`)
	for clk.Now().Before(t0.Add(span)) {
		tick := clk.Now()
		var wg sync.WaitGroup
		for _, h := range hs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := h.Handle(context.Background(), timer); err != nil {
					t.Errorf("sweep: %v", err)
				}
			}()
		}
		wg.Wait()
		clk.AdvanceTo(tick.Add(time.Minute))
	}
	res := loadResult{perSecond: map[int64]int{}, checked: rec.checked, waits: rec.waits, deadLetter: len(w.DeadLetters())}
	for _, c := range w.MPS.Calls() {
		if c.Action != mpstest.ActionQuery {
			continue
		}
		res.queries++
		if c.Code != "" {
			res.refused++
			continue
		}
		res.perSecond[c.At.Unix()]++
	}
	res.seconds = len(res.perSecond)
	return res
}

// TestQPSUnderLoad: several pull-mode instances sweep many pending jobs at once. The rate MPS sees
// stays under the instances' combined budget in every second of the clock; when the account's
// quota is lower than that, Throttling answers slow the instances down and no job fails; every job
// keeps being checked. 1,000 jobs in make test; IPRODWATCH_SOAK_JOBS (make soak) for 10,000.
func TestQPSUnderLoad(t *testing.T) {
	n := 1000
	if os.Getenv("IPRODWATCH_SOAK_JOBS") != "" {
		n = 10000
	}
	const instances, qps = 4, 20.0
	span := 40 * time.Minute
	t.Run("under the quota", func(t *testing.T) {
		r := runLoad(t, n, instances, qps, 100, span)
		for sec, c := range r.perSecond {
			if c > instances*int(qps) {
				t.Errorf("second %d saw %d queries, over the combined budget of %d", sec, c, instances*int(qps))
			}
		}
		checkNoStarvation(t, r, n, instances*qps)
		t.Logf("%d jobs: %d queries, %.1f/s in busy seconds, p95 wait beyond due %v, none refused: %v", n, r.queries, r.rate(), r.p95(), r.refused == 0)
	})
	t.Run("over the quota", func(t *testing.T) {
		const quota = 40 // the account's quota is half what the instances may use
		r := runLoad(t, n, instances, qps, quota, span)
		for sec, c := range r.perSecond {
			if c > quota {
				t.Errorf("second %d: MPS answered %d queries, over its quota of %d", sec, c, quota)
			}
		}
		if r.refused == 0 || r.refused > r.queries/4 {
			t.Errorf("%d of %d queries throttled: want some, and the instances slowing down so that few are", r.refused, r.queries)
		}
		if r.deadLetter != 0 {
			t.Errorf("%d dead letters: throttling must never fail a job", r.deadLetter)
		}
		checkNoStarvation(t, r, n, quota)
		t.Logf("%d jobs: %d queries (%d throttled), %.1f/s answered in busy seconds, p95 wait beyond due %v", n, r.queries, r.refused, r.rate(), r.p95())
	})
}

// checkNoStarvation: every job was checked several times in the run, and no check waited longer
// after it was due than the sweep period plus three times what it takes to query every job once at
// the rate MPS allows (overloaded instances make checks wait their turn; none may be left behind).
func checkNoStarvation(t *testing.T, r loadResult, n int, rate float64) {
	t.Helper()
	if len(r.checked) != n {
		t.Errorf("%d of %d jobs were checked at all", len(r.checked), n)
	}
	for id, c := range r.checked {
		if c < 3 {
			t.Errorf("job %s was checked %d times in the run", id, c)
			break
		}
	}
	bound := max(10*time.Minute, time.Minute+time.Duration(3*float64(n)/rate*float64(time.Second)))
	if len(r.waits) > 0 && slices.Max(r.waits) > bound {
		t.Errorf("a check waited %v beyond its due time, over %v", slices.Max(r.waits), bound)
	}
}

// BenchmarkQPSUnderLoad reports the achieved query rate and the p95 wait of a check beyond its due
// time with 10,000 pending jobs, four pull-mode instances of 20 QPS each, and the account's quota at
// 100 (the rate and the wait are on the injected clock: ns/op measures the emulated run, not MPS).
func BenchmarkQPSUnderLoad(b *testing.B) {
	var r loadResult
	for b.Loop() {
		r = runLoad(b, 10000, 4, 20, 100, 40*time.Minute)
	}
	b.ReportMetric(r.rate(), "queries/s")
	b.ReportMetric(r.p95().Seconds(), "s-p95-wait-beyond-due")
	b.ReportMetric(float64(r.refused), "throttled")
}
