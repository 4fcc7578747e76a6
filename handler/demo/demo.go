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
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/mts"
	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
	"iprodwatch/handler/cloud"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mnstest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/handler/policy"
	"iprodwatch/handler/triggertest"
	"iprodwatch/parse"
)

// Options tune a run.
type Options struct {
	Out  io.Writer
	JSON bool // print every published event as one JSON line, and nothing else
	Live bool // redraw a table of the jobs in place (a terminal) instead of a line per decision
	// Speed is how much faster than the wall clock the injected clock may run (default 600). The
	// clock waits for the in-process work (see drive), so every speed gives the same run.
	Speed float64
	// Seed fixes the run (default 1): the jobs' durations, the policy's jitter, the job and event
	// ids, the emulators' and the trigger's id sources and the MNS delivery order. The lines of one
	// simulated instant are printed by job (the handler works them at once), so two runs print the
	// same but for the wall time.
	Seed uint64
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
	Ended         time.Duration // when it ended (or its deadline passed), from the run's start
	Steps         []Step        // every decision about it, in order
	submitted     time.Time     // on the demo's clock
	last          string        // the last decision, for the live table
}

// Step is one decision about a job, at its simulated time.
type Step struct {
	At       time.Duration // from the run's start
	Decision handler.Decision
	Delay    time.Duration // requeued, retried: until the next check
	Outcome  string        // published
}

// Report is the run's outcome.
type Report struct {
	Jobs        []*Job
	Checks      int
	FixedChecks int
	Duplicates  int // events published more than once (same id: the fast path and the chain)
	Elapsed     time.Duration
	// Policy holds every call the function made to the policy iprodwatch policy prints for it.
	Policy handlertest.PolicyCheck
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
	// The clock moves only when drive moves it, never while a request is on its way. A clock that
	// runs by itself (clock.Scaled) charges every real millisecond of HTTP, polling and scheduling
	// as Speed milliseconds of job time: at 40000 a 5 ms poll of the trigger is over three minutes
	// of detection lag the policy does not cause, and at 100000 the check queue's 30-second
	// visibility timeout is 0.3 ms, shorter than a receive and its delete, so the trigger's every
	// delete found its handle expired and the demo never ended.
	clk := clock.NewManual(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	seed := int64(o.Seed) // a seed above MaxInt64 wraps: still one run per seed
	w, err := handlertest.New(handlertest.Options{Clock: clk, Env: map[string]string{
		"IPRODWATCH_DEADLINE": Deadline.String(), "IPRODWATCH_QPS": "20", "IPRODWATCH_CONCURRENCY": "16",
	},
		MPS: []mpstest.Option{mpstest.WithSeed(seed)},
		// Strict order: the service's looser order draws each message's storage stripe as it is
		// sent, and the handler sends from several goroutines at once, so which check came back in
		// which batch would follow goroutine scheduling, not the seed.
		MNS: []mnstest.Option{mnstest.WithSeed(seed), mnstest.WithStrictOrder()},
	})
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
	// On the manual clock the world's handler waits for its query budget on the world's virtual
	// scheduler, which moves the clock to each grant.
	h := w.Handler(handler.WithSalt(o.Seed), handler.WithLogger(slog.New(slog.DiscardHandler)), handler.WithObserver(out.decision))

	// EventBridge signs as itself (its service-linked role), the submitter as the workflow: not as
	// the function, whose calls Report.Policy holds to its policy.
	q := ali_mns.NewMNSQueue(handlertest.CheckQueue, w.MNS.NewSDKClient(handlertest.ServiceKeyID, handlertest.ServiceSecret, "", 0))
	trigger, err := triggertest.NewQueueSource(q, func(ctx context.Context, payload []byte) error {
		_, err := h.Handle(ctx, payload)
		return err
	}, triggertest.WithClock(clk), triggertest.WithBase64Decode(false), triggertest.WithBatchWindow(16, 0),
		triggertest.WithRegion(handlertest.Region), triggertest.WithSeed(seed))
	if err != nil {
		return nil, err
	}
	out.header() // before anything can decide: a decision line must not come first
	if err := submit(w, jobs); err != nil {
		return nil, err
	}
	if err := drive(ctx, clk, w, trigger, out, o.Speed); err != nil {
		return nil, err
	}
	rep := report(w, jobs, out)
	rep.Elapsed = time.Since(start)
	out.summary(rep)
	return rep, nil
}

// drive does everything due at the clock's now, then moves the clock to the next instant something
// is due, until every job has its event. It never moves the clock past the wall clock times speed,
// so a run takes about the simulated time over speed, or longer when the work itself takes longer:
// then the clock waits for the work rather than racing ahead of it, and the checks happen at the
// instants the policy chose at every speed.
func drive(ctx context.Context, clk *clock.Manual, w *handlertest.World, trigger *triggertest.QueueSource, out *printer, speed float64) error {
	origin, t0 := time.Now(), clk.Now()
	paced := func() time.Time { return t0.Add(time.Duration(float64(time.Since(origin)) * speed)) }
	redrawn := time.Now()
	redraw := func() {
		if time.Since(redrawn) >= 20*time.Millisecond {
			out.redraw()
			redrawn = time.Now()
		}
	}
	for !out.done() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("demo stopped before every job had its event: %w", err)
		}
		redraw()
		_ = w.MPS.DeliverDue(ctx) // a failed notification is recorded and retried by the next call
		n, err := trigger.RunDue(ctx)
		out.flush()
		if err != nil {
			return fmt.Errorf("demo: the queue trigger: %w", err)
		}
		if n > 0 {
			continue // what those invocations sent may be due now too
		}
		next := nextDue(clk.Now(), w, trigger, out.jobs)
		for target := paced(); target.Before(next); target = paced() {
			clk.AdvanceTo(target) // nothing is due before next: the live clock may run on to it
			redraw()
			wait := min(20*time.Millisecond, time.Duration(float64(next.Sub(target))/speed)+time.Microsecond)
			if err := clock.Sleep(ctx, wait); err != nil {
				return fmt.Errorf("demo stopped before every job had its event: %w", err)
			}
		}
		clk.AdvanceTo(next)
	}
	return nil
}

// nextDue is the next instant after now at which something happens without being asked: a check
// becomes visible, a fast-path job ends (MPS notifies the check queue), a batch's retry is due.
// With nothing known it is a second on, so a run never stalls.
func nextDue(now time.Time, w *handlertest.World, trigger *triggertest.QueueSource, jobs []*Job) time.Time {
	var next time.Time
	consider := func(t time.Time, ok bool) {
		if ok && t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	consider(w.NextVisible())
	consider(trigger.NextDue())
	for _, j := range jobs {
		consider(j.submitted.Add(j.Plan.Done), j.FastPath && !j.Plan.Never)
	}
	if next.IsZero() {
		return now.Add(time.Second)
	}
	return next
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
	c, err := mts.NewClientWithAccessKey(handlertest.Region, handlertest.ServiceKeyID, handlertest.ServiceSecret)
	if err != nil {
		return err
	}
	c.Domain = strings.TrimPrefix(w.MPS.URL, "http://")
	q := ali_mns.NewMNSQueue(handlertest.CheckQueue, w.MNS.NewSDKClient(handlertest.ServiceKeyID, handlertest.ServiceSecret, "", 0))
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
		j.ID, j.submitted = resp.JobId, w.Clock.Now()
		if _, err := q.SendMessage(ali_mns.MessageSendRequest{MessageBody: `{"JobId":"` + j.ID + `"}`, Priority: 8}); err != nil {
			return fmt.Errorf("sending the check request of %s: %w", j.Algorithm, err)
		}
	}
	return nil
}

// report fills in what each job cost, beside a 30-second poller that checks at submit and every 30 s.
func report(w *handlertest.World, jobs []*Job, p *printer) *Report {
	rep := &Report{Jobs: jobs, Policy: w.CheckPolicy(cloud.FunctionPolicy(w.Config, cloud.LogStore{}), w.Config, nil)}
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
		// A job ends its Plan.Done after its submit; a job that never ends is timed out its deadline
		// after its first check, as the handler counts it.
		end, ended := j.Plan.Done, j.submitted.Add(j.Plan.Done)
		if j.Plan.Never {
			end, ended = Deadline, ev.Data.Checks.FirstCheckedAt.Add(Deadline)
		}
		j.Ended = ended.Sub(p.t0)
		j.Detect = max(ev.Data.Checks.DetectedAt.Sub(ended), 0)
		n := int(math.Ceil(float64(end) / float64(fixedInterval)))
		j.FixedChecks, j.FixedDetect = n+1, time.Duration(n)*fixedInterval-end
		rep.Checks += j.Checks
		rep.FixedChecks += j.FixedChecks
	}
	return rep
}
