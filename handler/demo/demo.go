// Package demo runs iprodwatch on its embedded default: the real handler, in process, against the
// MPS and MNS emulators and the EventBridge queue trigger, on a fast clock. It submits one job per
// algorithm through SubmitIProductionJob (durations drawn from the policy's priors, some failing,
// one stuck past its deadline, half of them announced by MPS on the check queue), shows each
// decision as it happens, and ends with a table per job and totals against a poller that checks
// every 30 seconds. It needs no network and no credentials.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/mts"
	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/handler/policy"
	"iprodwatch/handler/triggertest"
	"iprodwatch/parse"
)

// Options tune a run.
type Options struct {
	Out   io.Writer
	JSON  bool    // print every published event as one JSON line, and nothing else
	Live  bool    // redraw a table of the jobs in place (a terminal) instead of a line per decision
	Speed float64 // how much faster than the wall clock the injected clock runs (default 600)
	Seed  uint64  // durations and jitter (default 1)
}

// Deadline is the demo's IPRODWATCH_DEADLINE: long enough for every video job, short enough that the
// stuck job's timed-out event comes within the run.
const Deadline = 2 * time.Hour

// fixedInterval is the poller the demo compares with.
const fixedInterval = 30 * time.Second

// Job is one job of the run and what became of it.
type Job struct {
	ID, Algorithm string
	FastPath      bool           // submitted with a NotifyUrl naming the check queue
	Plan          mpstest.Script // its lifecycle, from submit
	Outcome       parse.Outcome
	EventID       string
	Checks        int           // QueryIProductionJob calls iprodwatch made for it
	Detect        time.Duration // from the job's end (or its deadline) to the event
	FixedChecks   int           // what a 30-second poller would have made
	FixedDetect   time.Duration
	last          string // the last decision, for the live table
}

// Report is the run's outcome.
type Report struct {
	Jobs        []*Job
	Checks      int
	FixedChecks int
	Duplicates  int // events published more than once (same id: the fast path and the chain)
	Elapsed     time.Duration
}

// Run runs the demo until every job has its event, or ctx ends.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Speed <= 0 {
		o.Speed = 600
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	start := time.Now()
	clk := clock.NewScaled(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), o.Speed)
	w, err := handlertest.New(handlertest.Options{Clock: clk, Env: map[string]string{
		"IPRODWATCH_DEADLINE": Deadline.String(), "IPRODWATCH_QPS": "20", "IPRODWATCH_CONCURRENCY": "16",
	}})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	r := rand.New(rand.NewPCG(o.Seed, 7))
	jobs := plan(r)
	byAlgorithm := map[string]*Job{}
	for _, j := range jobs {
		byAlgorithm[j.Algorithm] = j
	}
	w.MPS.SetDefaultScript(func(p mpstest.SubmitParams) mpstest.Script { return byAlgorithm[p.FunctionName].Plan })

	out := &printer{w: o.Out, json: o.JSON, live: o.Live, jobs: jobs, clk: clk, t0: clk.Now()}
	cancelPublish := w.MNS.OnPublish(handlertest.EventTopic, out.published)
	defer cancelPublish()
	sleep := func(ctx context.Context, grant func(time.Time) time.Time) error {
		now := clk.Now()
		return clock.Sleep(ctx, time.Duration(float64(grant(now).Sub(now))/o.Speed))
	}
	h := w.Handler(handler.WithSleep(sleep), handler.WithSalt(o.Seed), handler.WithLogger(slog.New(slog.DiscardHandler)), handler.WithObserver(out.decision))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := ali_mns.NewMNSQueue(handlertest.CheckQueue, w.MNS.NewSDKClient(handlertest.AccessKeyID, handlertest.Secret, "", 0))
	trigger, err := triggertest.NewQueueSource(q, func(ctx context.Context, payload []byte) error {
		_, err := h.Handle(ctx, payload)
		return err
	}, triggertest.WithClock(clk), triggertest.WithBase64Decode(false), triggertest.WithBatchWindow(16, 0),
		triggertest.WithRegion(handlertest.Region), triggertest.WithTick(5*time.Millisecond))
	if err != nil {
		return nil, err
	}
	out.header() // before anything can decide: a decision line must not come first
	var bg sync.WaitGroup
	bg.Add(2)
	go func() { defer bg.Done(); _ = trigger.Run(ctx) }()
	go func() { defer bg.Done(); _ = w.MPS.RunDelivery(ctx, 5*time.Millisecond) }()
	defer bg.Wait()
	defer cancel()

	if err := submit(w, jobs); err != nil {
		return nil, err
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !out.done() {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("demo stopped before every job had its event: %w", ctx.Err())
		case <-tick.C:
			out.redraw()
		}
	}
	cancel()
	rep := report(w, jobs, out)
	rep.Elapsed = time.Since(start)
	out.summary(rep)
	return rep, nil
}

// plan draws one job per algorithm: durations from the priors (capped so the run stays short), two
// failing, one that never ends, every other one announced by MPS.
func plan(r *rand.Rand) []*Job {
	priors := policy.Default()
	var jobs []*Job
	for i, a := range parse.Algorithms() {
		pr := priors.Priors[a]
		draw := func(ph policy.Phase, max time.Duration) time.Duration {
			s := ph.MedianSeconds * math.Exp(ph.Spread*r.NormFloat64())
			return min(time.Duration(s*float64(time.Second)), max)
		}
		queue := draw(pr.Queue, 10*time.Minute)
		j := &Job{Algorithm: a, FastPath: i%2 == 0,
			Plan: mpstest.Script{Analysing: queue, Done: queue + draw(pr.Processing, 80*time.Minute)}}
		switch a {
		case "VideoDelogo", "AudioMixing":
			j.Plan.Final = mpstest.StateFail
		case "VideoGreenScreenMatting":
			j.Plan.Never = true
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// submit creates the jobs through the MPS SDK, as a media workflow does, and puts a check request for
// each on the check queue through the MNS SDK.
func submit(w *handlertest.World, jobs []*Job) error {
	c, err := mts.NewClientWithAccessKey(handlertest.Region, handlertest.AccessKeyID, handlertest.Secret)
	if err != nil {
		return err
	}
	c.Domain = strings.TrimPrefix(w.MPS.URL, "http://")
	q := ali_mns.NewMNSQueue(handlertest.CheckQueue, w.MNS.NewSDKClient(handlertest.AccessKeyID, handlertest.Secret, "", 0))
	for _, j := range jobs {
		req := mts.CreateSubmitIProductionJobRequest()
		req.FunctionName = j.Algorithm
		req.Input = "oss://media-demo.oss-cn-shanghai.aliyuncs.com/in/launch.mp4"
		req.Output = "oss://media-demo.oss-cn-shanghai.aliyuncs.com/out/{source}-{sequenceId}.mp4"
		req.UserData = `{"workflow":"demo"}`
		if j.FastPath {
			req.NotifyUrl = w.NotifyURL()
		}
		resp, err := c.SubmitIProductionJob(req)
		if err != nil {
			return fmt.Errorf("submitting %s: %w", j.Algorithm, err)
		}
		j.ID = resp.JobId
		if _, err := q.SendMessage(ali_mns.MessageSendRequest{MessageBody: `{"JobId":"` + j.ID + `"}`, Priority: 8}); err != nil {
			return fmt.Errorf("sending the check request of %s: %w", j.Algorithm, err)
		}
	}
	return nil
}

// report fills in what each job cost, beside a 30-second poller that checks at submit and every 30 s.
func report(w *handlertest.World, jobs []*Job, p *printer) *Report {
	rep := &Report{Jobs: jobs}
	published, _ := w.Events()
	seen := map[string]int{}
	for _, ev := range published {
		seen[ev.Event.ID]++
	}
	for _, n := range seen {
		rep.Duplicates += n - 1
	}
	for _, j := range jobs {
		ev := p.event(j.ID)
		j.Outcome, j.EventID = ev.Outcome, ev.ID
		j.Checks = w.MPS.CallCount(mpstest.ActionQuery, j.ID)
		end := j.Plan.Done
		if j.Plan.Never {
			end = Deadline
		}
		submitted := ev.Data.Checks.FirstCheckedAt
		j.Detect = max(ev.Data.Checks.DetectedAt.Sub(submitted)-end, 0)
		n := int(math.Ceil(float64(end) / float64(fixedInterval)))
		j.FixedChecks, j.FixedDetect = n+1, time.Duration(n)*fixedInterval-end
		rep.Checks += j.Checks
		rep.FixedChecks += j.FixedChecks
	}
	return rep
}
