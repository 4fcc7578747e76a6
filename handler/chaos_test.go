package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// TestChaos drives many jobs through the real handler, the real SDKs, the emulators and the trigger
// bridges, with faults injected at random (seeded), in every trigger mode at once, and checks that no
// job is lost, duplicates share ids, no chain outlives its job, and only bad input is dead-lettered.
// It runs 2,000 jobs (about 10 s), 300 under the race detector or -short, and
// IPRODWATCH_SOAK_JOBS jobs for make soak; twice, with 5 % of deliveries repeated 0-120 s later
// and with none, to show what the copies cost.
func TestChaos(t *testing.T) {
	n := 2000
	if v := os.Getenv("IPRODWATCH_SOAK_JOBS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("IPRODWATCH_SOAK_JOBS=%q: %v", v, err)
		}
	} else if testing.Short() || raceEnabled {
		n = 300
	}
	r := runChaos(t, chaosOptions{jobs: n, seed: 1, dup: 0.05})
	base := runChaos(t, chaosOptions{jobs: n, seed: 1})
	t.Logf("chaos: %s", r)
	t.Logf("the same without repeated deliveries: %s", base)
	t.Logf("queries per job: %.2f, %.2fx the run without repeated deliveries", r.perJob(), r.perJob()/base.perJob())
	// One chain per job: copies merge within a few re-queues.
	if r.chainsMean > 1.05 || r.chainsMax > 3 {
		t.Errorf("check chains per job: mean %.3f, max %.2f; want at most 1.05 and 3", r.chainsMean, r.chainsMax)
	}
}

// chaosOptions shape one run.
type chaosOptions struct {
	jobs int
	seed uint64
	dup  float64 // the share of deliveries that a trigger repeats, 0-120 s later
}

// badBodies are the bad messages a chaos run mixes in: malformed, crafted, from the future (a
// first check past year 9999 through its offset, for a job MPS does not know), and as large as the
// 8 KiB queue takes (its dead letter is cut to fit).
var badBodies = []string{`not a check`, `{"JobId":"../../x"}`, `{"v":9,"jobId":"abc"}`, `{"Type":"Transcode","JobId":"j","State":"Success"}`,
	`{"v":1,"jobId":"` + poisonJob + `","firstCheckedAt":"9999-12-31T23:00:00-05:00"}`,
	`"` + strings.Repeat("x", 8000) + `"`}

// poisonJob is a job MPS does not know.
const poisonJob = "p0000000000000000000000000000001"

// chaosJob is one job of the run.
type chaosJob struct {
	id     string
	mode   string // "queue", "topic" or "pull"
	notify bool
	at     time.Time // submitted
	body   string    // the submit message
	script mpstest.Script
}

func (j chaosJob) end() (time.Time, bool) {
	if j.script.Never {
		return time.Time{}, false
	}
	return j.at.Add(j.script.Done), true
}

// chaosReport is what a run measured.
type chaosReport struct {
	jobs, events, duplicates, lost, deadLetters, queries int
	// chainsMean and chainsMax are the check chains per job: how many check messages of the job
	// the queues held, averaged over its life (sampled every minute while it had any); the mean
	// over the jobs, and the most over the jobs watched for five samples or more (over fewer, one
	// sample of copies about to merge is the whole average). A copy merged one re-queue later
	// barely counts; a chain that runs beside another to the end doubles its job's figure.
	// chainsPeak is the most messages of one job seen at once.
	chainsMean, chainsMax float64
	chainsPeak            int
	// failedBySingle counts invocations failed by anything but a configuration fault or a send
	// that kept failing (the injected crashes): a single message, which must never fail a batch.
	failedBySingle  int
	wronglyTimedOut int // timed-out events of jobs that had ended when they were detected
	faults          map[string]int
}

func (r chaosReport) perJob() float64 { return float64(r.queries) / float64(r.jobs) }

func (r chaosReport) String() string {
	kinds := make([]string, 0, len(r.faults))
	for k, v := range r.faults {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(kinds)
	return fmt.Sprintf("%d jobs, %d queries (%.2f per job), chains per job mean %.3f max %.2f (peak %d), %d events (%d duplicates), %d dead letters, lost %d, wrongly timed out %d, invocations failed by one message %d; faults: %s",
		r.jobs, r.queries, r.perJob(), r.chainsMean, r.chainsMax, r.chainsPeak, r.events, r.duplicates, r.deadLetters, r.lost, r.wronglyTimedOut, r.failedBySingle, strings.Join(kinds, ", "))
}

// faultCounter counts what the run injected, by kind.
type faultCounter struct {
	mu sync.Mutex
	r  *rand.Rand
	n  map[string]int
}

// spread is a uniform draw in [0, d].
func (f *faultCounter) spread(d time.Duration) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Duration(f.r.Int64N(int64(d) + 1))
}

func (f *faultCounter) roll(kind string, p float64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.r.Float64() < p {
		f.n[kind]++
		return true
	}
	return false
}

// crashAfterPublish is an instance that dies after its event went out and before the trigger heard
// the invocation succeed: the invocation fails (the error is not one a retry in the invocation
// would hide), so the trigger delivers the batch again.
type crashAfterPublish struct {
	handler.Topics
	f *faultCounter
}

func (c crashAfterPublish) Publish(ctx context.Context, topic string, body []byte, tag string) error {
	if err := c.Topics.Publish(ctx, topic, body, tag); err != nil {
		return err
	}
	if c.f.roll("crash after publish", 0.02) {
		return fmt.Errorf("%w: simulated crash after publishing", handler.ErrConfig)
	}
	return nil
}

func runChaos(t *testing.T, o chaosOptions) chaosReport {
	t.Helper()
	n, seed := o.jobs, o.seed
	const deadline = 2 * time.Hour
	const pullQueue, triggerDLQ = "iprod-pull", "iprod-trigger-dlq"
	clk := clock.NewManual(t0)
	f := &faultCounter{r: rand.New(rand.NewPCG(seed, 99)), n: map[string]int{}}
	w, err := handlertest.New(handlertest.Options{
		Clock:      clk,
		MaxMessage: 8 << 10, // the check and dead-letter queues hold 8 KiB
		Env: map[string]string{"IPRODWATCH_DEADLINE": deadline.String(), "IPRODWATCH_QPS": "30",
			"IPRODWATCH_CONCURRENCY": "16", "IPRODWATCH_PULL_BATCH": "10000", "IPRODWATCH_PULL_BUDGET": "1h"},
		MPS: []mpstest.Option{mpstest.WithSeed(int64(seed))},
		Notify: func([]byte) int {
			switch {
			case f.roll("notification lost", 0.10):
				return 0
			case f.roll("notification twice", 0.05):
				return 2
			}
			return 1
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	attrs := mnstest.DefaultQueueAttributes()
	attrs.MessageRetentionPeriod = 7 * 24 * 3600
	if err := w.MNS.CreateQueue(triggerDLQ, attrs); err != nil {
		t.Fatal(err)
	}
	attrs.MaximumMessageSize = 8 << 10
	if err := w.MNS.CreateQueue(pullQueue, attrs); err != nil {
		t.Fatal(err)
	}
	// Faults: MPS 13% together (throttling, 5xx, dropped connections, slow answers, a gateway's 429
	// and 408 pages, a 200 cut short); MNS sends, publishes, deletes and visibility changes 5% each.
	for _, rule := range []mpstest.FaultRule{
		{Action: mpstest.ActionQuery, Probability: 0.01, Fault: mpstest.Fault{RawStatus: 429, RawBody: []byte("<html><body><h1>429 Too Many Requests</h1></body></html>")}},
		{Action: mpstest.ActionQuery, Probability: 0.01, Fault: mpstest.Fault{RawStatus: 408, RawBody: []byte("<html><body><h1>408 Request Time-out</h1></body></html>")}},
		{Action: mpstest.ActionQuery, Probability: 0.01, Fault: mpstest.Fault{RawStatus: 200, RawBody: []byte(`{"RequestId":"cut","JobId":"`)}},
		// Throttling in both forms: MPS's own (503 here; its status is undocumented) and the API
		// gateway's per-user quota (400 Throttling.User).
		{Action: mpstest.ActionQuery, Probability: 0.015, Fault: mpstest.Fault{Error: mpstest.ErrThrottling()}},
		{Action: mpstest.ActionQuery, Probability: 0.015, Fault: mpstest.Fault{Error: mpstest.ErrThrottlingUser()}},
		{Action: mpstest.ActionQuery, Probability: 0.03, Fault: mpstest.Fault{Error: mpstest.ErrInternalError()}},
		{Action: mpstest.ActionQuery, Probability: 0.02, Fault: mpstest.Fault{Drop: true}},
		{Action: mpstest.ActionQuery, Probability: 0.02, Fault: mpstest.Fault{Delay: time.Millisecond}},
	} {
		w.MPS.AddFault(rule)
	}
	for _, op := range []mnstest.Op{mnstest.OpSendMessage, mnstest.OpPublishMessage, mnstest.OpDeleteMessage, mnstest.OpChangeMessageVisibility} {
		w.MNS.AddFault(mnstest.FaultRule{Op: op, Probability: 0.05, Fault: mnstest.Fault{Status: 500}})
	}
	w.Wrap = func(cl *handler.Clients) *handler.Clients {
		cl.Topics = crashAfterPublish{cl.Topics, f}
		return cl
	}
	logs := &handlertest.Buffer{}
	hopt := []handler.Option{handler.WithLogger(slogTo(logs)), handler.WithSalt(seed)}
	// Two instances behind the queue trigger, one behind the topic, one sweeping in pull mode.
	queueFns := []*handler.Handler{w.Handler(hopt...), w.Handler(hopt...)}
	topicFn := w.Handler(hopt...)
	pullCfg := w.Config
	pullCfg.CheckQueue = pullQueue
	pullFn := w.HandlerFor(pullCfg, hopt...)
	// Triggers deliver a payload again now and then, as at-least-once delivery does: o.dup of
	// deliveries are repeated 0-120 s later, to any instance behind the trigger.
	var turn atomic.Int64
	var failedBySingle atomic.Int64
	handle := func(ctx context.Context, h *handler.Handler, payload []byte) error {
		_, err := h.Handle(ctx, payload)
		if err != nil && !strings.Contains(err.Error(), "simulated crash") && !strings.Contains(err.Error(), "failed 5 times") {
			failedBySingle.Add(1)
			t.Errorf("an invocation failed for something other than a kept-failing send: %v", err)
		}
		return err
	}
	type redelivery struct {
		at      time.Time
		hs      []*handler.Handler
		payload []byte
	}
	var pendingMu sync.Mutex
	var pending []redelivery
	deliver := func(hs ...*handler.Handler) triggertest.Func {
		return func(ctx context.Context, payload []byte) error {
			err := handle(ctx, hs[int(turn.Add(1))%len(hs)], payload)
			if f.roll("duplicate delivery", o.dup) {
				pendingMu.Lock()
				pending = append(pending, redelivery{clk.Now().Add(f.spread(2 * time.Minute)), hs, slices.Clone(payload)})
				pendingMu.Unlock()
			}
			return err
		}
	}
	redeliverDue := func(ctx context.Context) int {
		pendingMu.Lock()
		var due []redelivery
		pending = slices.DeleteFunc(pending, func(r redelivery) bool {
			if r.at.After(clk.Now()) {
				return false
			}
			due = append(due, r)
			return true
		})
		left := len(pending)
		pendingMu.Unlock()
		for _, r := range due {
			_ = handle(ctx, r.hs[int(turn.Add(1))%len(r.hs)], r.payload)
		}
		return left
	}
	// EventBridge signs as itself (its service-linked role), not as the function.
	client := w.MNS.NewSDKClient(handlertest.ServiceKeyID, handlertest.ServiceSecret, "", 0)
	// The queue trigger as s.yaml configures it: batches of 16, a day of exponential retries, then
	// the dead-letter queue.
	src, err := triggertest.NewQueueSource(ali_mns.NewMNSQueue(handlertest.CheckQueue, client), deliver(queueFns...),
		triggertest.WithClock(clk), triggertest.WithBase64Decode(false), triggertest.WithBatchWindow(16, 0),
		triggertest.WithConcurrency(len(queueFns)), triggertest.WithRetryStrategy(triggertest.ExponentialDecayRetry),
		triggertest.WithErrorsTolerance(triggertest.ToleranceAll),
		triggertest.WithDeadLetterQueue(ali_mns.NewMNSQueue(triggerDLQ, client)), triggertest.WithSeed(int64(seed)))
	if err != nil {
		t.Fatal(err)
	}
	// The topic trigger as s.yaml configures it: JSON.
	push, err := triggertest.NewTopicPush(w.MNS, handlertest.IntakeTopic, deliver(topicFn), triggertest.WithClock(clk), triggertest.WithSeed(int64(seed)),
		triggertest.WithNotifyContentFormat(triggertest.FormatJSON))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(push.Close)
	timer, err := triggertest.NewTimer("@every 60s", `{"mode":"sweep"}`, deliver(pullFn), triggertest.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}

	// Jobs of every algorithm, submitted over the first hour: 10% fail, 3% never end, half
	// announced by MPS; half followed by the queue trigger, a quarter each by the intake topic and
	// by pull mode. Twenty bad messages among them.
	jr := rand.New(rand.NewPCG(seed, 5))
	priors := policy.Default()
	algorithms := parse.Algorithms()
	jobs := map[string]*chaosJob{}
	var topicDue []*chaosJob
	for i := range n {
		a := algorithms[i%len(algorithms)]
		pr := priors.Priors[a]
		draw := func(ph policy.Phase, cap time.Duration) time.Duration {
			return min(time.Duration(ph.MedianSeconds*math.Exp(ph.Spread*jr.NormFloat64())*float64(time.Second)), cap)
		}
		q := draw(pr.Queue, 10*time.Minute)
		j := &chaosJob{id: fmt.Sprintf("c%031x", i+1), at: t0.Add(time.Duration(jr.Int64N(int64(time.Hour)))),
			script: mpstest.Script{Analysing: q, Done: q + draw(pr.Processing, 80*time.Minute)}}
		switch x := jr.Float64(); {
		case x < 0.03:
			j.script.Never = true
		case x < 0.13:
			j.script.Final = mpstest.StateFail
		}
		j.notify = jr.Float64() < 0.5
		j.mode = []string{"queue", "queue", "topic", "pull"}[jr.IntN(4)]
		queue := handlertest.CheckQueue
		if j.mode == "pull" {
			queue = pullQueue
		}
		p := mpstest.SubmitParams{FunctionName: a, Input: "oss://media.oss-cn-shanghai.aliyuncs.com/in/a.mp4",
			Output: "oss://media.oss-cn-shanghai.aliyuncs.com/out/{source}-{sequenceId}.mp4"}
		if j.notify {
			p.NotifyURL = "mns://" + handlertest.Account + ".mns." + handlertest.Region + ".aliyuncs.com/queues/" + queue
		}
		if err := w.MPS.SeedJob(mpstest.Job{ID: j.id, Params: p, Script: j.script, SubmittedAt: j.at}); err != nil {
			t.Fatal(err)
		}
		// Producers' clocks: a fifth of the submitters write a first check up to 10 minutes off;
		// one in twenty sends as much userData as the 8 KiB queue takes, which a re-queue outgrows.
		j.body = `{"JobId":"` + j.id + `"}`
		switch x := jr.Float64(); {
		case x < 0.20:
			skew := time.Duration(jr.Int64N(int64(20*time.Minute))) - 10*time.Minute
			j.body = `{"v":1,"jobId":"` + j.id + `","firstCheckedAt":"` + j.at.Add(skew).Format(time.RFC3339) + `"}`
		case x < 0.25:
			j.body = `{"JobId":"` + j.id + `","UserData":"` + strings.Repeat("u", 8090) + `"}`
		case x < 0.60:
			// As iprodwatch submit writes it: the algorithm (so the first query waits for the
			// prior, handler.Plan) and, with a NotifyUrl, notified (a sparse backstop chain).
			j.body = fmt.Sprintf(`{"v":1,"jobId":"%s","attempt":1,"algorithm":"%s","notified":%t}`, j.id, a, j.notify)
		}
		jobs[j.id] = j
		if j.mode == "topic" {
			topicDue = append(topicDue, j)
			continue
		}
		if _, err := w.MNS.Send(queue, j.body, j.at.Sub(t0), 8); err != nil {
			t.Fatal(err)
		}
	}
	sort.Slice(topicDue, func(a, b int) bool { return topicDue[a].at.Before(topicDue[b].at) })
	bad := 20
	for i := range bad {
		body := badBodies[i%len(badBodies)]
		queue := []string{handlertest.CheckQueue, pullQueue}[i%2]
		if _, err := w.MNS.Send(queue, body, time.Duration(i)*3*time.Minute, 8); err != nil {
			t.Fatal(err)
		}
	}

	// Run: every bridge does what is due, the clock moves on in 5-second steps (the policy's
	// floor), until every job has its event and every queue is empty.
	ctx := context.Background()
	var seenMu sync.Mutex
	seen := map[string]bool{}
	stop := w.MNS.OnPublish(handlertest.EventTopic, func(m mnstest.PublishedMessage) {
		var e struct{ Subject string }
		_ = json.Unmarshal([]byte(m.Body), &e)
		seenMu.Lock()
		seen[e.Subject] = true
		seenMu.Unlock()
	})
	defer stop()
	waiting := 0 // repeated deliveries not yet made
	done := func() bool {
		seenMu.Lock()
		all := len(seen) >= n
		seenMu.Unlock()
		return all && waiting == 0 && len(w.MNS.Messages(handlertest.CheckQueue)) == 0 && len(w.MNS.Messages(pullQueue)) == 0
	}
	// chains sums, per job, the check messages of it the queues held at each sample, samples the
	// samples that held any, and peak the most at once.
	chains, samples, peak := map[string]int{}, map[string]int{}, map[string]int{}
	sample := func() {
		now := map[string]int{}
		for _, q := range []string{handlertest.CheckQueue, pullQueue} {
			for _, m := range w.MNS.Messages(q) {
				if req, err := parse.DecodeCheck([]byte(m.Body)); err == nil && req.Origin != parse.OriginNotification {
					now[req.Check.JobID]++
				}
			}
		}
		for id, c := range now {
			chains[id] += c
			samples[id]++
			peak[id] = max(peak[id], c)
		}
	}
	for step := 0; !(step%60 == 0 && done()); step++ {
		if step%12 == 0 {
			sample()
		}
		if clk.Now().After(t0.Add(12 * time.Hour)) {
			seenMu.Lock()
			var missing []string
			for id := range jobs {
				if !seen[id] {
					missing = append(missing, id)
				}
			}
			seenMu.Unlock()
			slices.Sort(missing)
			t.Fatalf("the run has not settled after 12 hours of clock: %d jobs without an event %.3q, %d repeated deliveries waiting, %d check messages, %d in pull mode; last log lines:\n%s",
				len(missing), missing, waiting, len(w.MNS.Messages(handlertest.CheckQueue)), len(w.MNS.Messages(pullQueue)), tail(logs.String(), 20))
		}
		for len(topicDue) > 0 && !topicDue[0].at.After(clk.Now()) {
			if _, err := w.MNS.Publish(handlertest.IntakeTopic, topicDue[0].body, ""); err != nil {
				t.Fatal(err)
			}
			topicDue = topicDue[1:]
		}
		_ = w.MPS.DeliverDue(ctx)
		for _, b := range []stepper{src, push, timer} {
			_, _ = b.RunDue(ctx)
		}
		waiting = redeliverDue(ctx)
		clk.AdvanceTo(clk.Now().Add(5 * time.Second))
	}
	rep := checkChaos(t, w, jobs, bad, deadline, triggerDLQ, f, logs)
	// The role iprodwatch policy prints allows every call the function made, and nothing the run
	// did not use: the pull instance's queue is the check queue of a deployment.
	pc := w.CheckPolicy(cloud.FunctionPolicy(w.Config, cloud.LogStore{}), w.Config, map[string]string{pullQueue: handlertest.CheckQueue})
	if len(pc.Denied) > 0 || len(pc.Unused) > 0 {
		t.Errorf("the function's policy denies %q and allows, unused, %q", pc.Denied, pc.Unused)
	}
	rep.failedBySingle = int(failedBySingle.Load())
	had := 0
	for id := range jobs {
		if samples[id] > 0 {
			c := float64(chains[id]) / float64(samples[id])
			had++
			rep.chainsMean += c
			if samples[id] >= 5 {
				rep.chainsMax = max(rep.chainsMax, c)
			}
			rep.chainsPeak = max(rep.chainsPeak, peak[id])
		}
	}
	if had > 0 {
		rep.chainsMean /= float64(had)
	}
	return rep
}

// checkChaos checks the run's invariants and measures it.
func checkChaos(t *testing.T, w *handlertest.World, jobs map[string]*chaosJob, bad int, deadline time.Duration, triggerDLQ string, f *faultCounter, logs *handlertest.Buffer) chaosReport {
	t.Helper()
	published, err := w.Events()
	if err != nil {
		t.Fatal(err)
	}
	rep := chaosReport{jobs: len(jobs), events: len(published), faults: f.n}
	for _, c := range w.MPS.Calls() {
		switch {
		case c.Dropped:
			f.n["MPS connection dropped"]++
		case strings.HasPrefix(c.Code, "Throttling"):
			f.n["MPS throttling"]++
		case c.Status >= 500:
			f.n["MPS 5xx"]++
		}
	}
	for _, r := range w.MNS.Calls() {
		switch {
		case r.Status >= 500:
			f.n["MNS 5xx"]++
		case r.Code == "TooManyRequests": // over the service's thresholds, not injected
			f.n["MNS throttled"]++
		}
	}
	byJob := map[string][]parse.Event{}
	idOf := map[string]string{} // job/outcome -> id
	for _, p := range published {
		e := p.Event
		byJob[e.Subject] = append(byJob[e.Subject], e)
		key := e.Subject + "/" + string(e.Outcome)
		if id, ok := idOf[key]; ok {
			rep.duplicates++
			if id != e.ID {
				t.Errorf("job %s outcome %s carries two ids: %s and %s", e.Subject, e.Outcome, id, e.ID)
			}
		}
		idOf[key] = e.ID
	}
	lastQuery := map[string]time.Time{}
	for _, c := range w.MPS.Calls() {
		if c.Action != mpstest.ActionQuery {
			continue
		}
		rep.queries++
		if c.At.After(lastQuery[c.JobID]) {
			lastQuery[c.JobID] = c.At
		}
	}
	for id, j := range jobs {
		evs := byJob[id]
		if len(evs) == 0 {
			rep.lost++
			t.Errorf("job %s (%s, %s) has no event", id, j.mode, describe(j))
			continue
		}
		end, ends := j.end()
		for _, e := range evs {
			switch {
			case e.Outcome == parse.OutcomeTimedOut && ends && !end.After(e.Data.Checks.DetectedAt):
				rep.wronglyTimedOut++
				t.Errorf("job %s ended at %v but was reported timed out at %v", id, end, e.Data.Checks.DetectedAt)
			case e.Outcome != parse.OutcomeTimedOut && !ends:
				t.Errorf("job %s never ends but got a %s event", id, e.Outcome)
			}
		}
		if !ends {
			// No chain outlives the job: every query at or after the deadline is some chain's
			// last one (retried for LastQueryGrace if it fails), made as soon as the trigger
			// delivered the check (its retries included).
			if last := lastQuery[id]; last.After(j.at.Add(deadline + handler.LastQueryGrace + 5*time.Minute)) {
				t.Errorf("job %s never ends: queried at %v, past its deadline %v", id, last, j.at.Add(deadline))
			}
		}
	}
	// The query count stays within what the policy plans for these jobs, with room for the
	// duplicates and retries the faults cause.
	bound := 0
	for _, j := range jobs {
		bound += plannedChecks(j, deadline)
	}
	bound = 3*bound + 2*f.total()
	if rep.queries > bound {
		t.Errorf("%d queries, over the bound of %d derived from the policy", rep.queries, bound)
	}
	// Only bad input is dead-lettered: each bad body at least once (a repeated delivery repeats
	// its dead letter), and nothing else.
	dls := w.DeadLetters()
	rep.deadLetters = len(dls)
	found := map[string]bool{}
	for _, dl := range dls {
		var m struct {
			Body          string
			BodyTruncated bool
		}
		_ = json.Unmarshal([]byte(dl), &m)
		i := slices.IndexFunc(badBodies, func(b string) bool {
			return b == m.Body || (m.BodyTruncated && strings.HasPrefix(b, m.Body)) ||
				// a job MPS does not know is asked again for NewJobGrace: its retried check is
				// what is dead-lettered
				(strings.Contains(b, poisonJob) && strings.Contains(m.Body, poisonJob))
		})
		if i < 0 {
			t.Errorf("dead letter of something that was not bad input: %.300s", dl)
			continue
		}
		found[badBodies[i]] = true
	}
	if len(found) != min(bad, len(badBodies)) {
		t.Errorf("dead letters hold %d of the %d kinds of bad message", len(found), len(badBodies))
	}
	if left := w.MNS.Messages(triggerDLQ); len(left) != 0 {
		t.Errorf("the queue trigger gave up on %d events", len(left))
	}
	// Every log line of the run, transport faults included (the SDKs' errors carry signed URLs),
	// is one JSON object without the secret or any part of a signed request.
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if !json.Valid([]byte(l)) {
			t.Fatalf("a log line is not one JSON object: %s", l)
		}
		for _, secret := range []string{handlertest.Secret, "Signature=", "SignatureNonce=", "AccessKeyId="} {
			if strings.Contains(l, secret) {
				t.Fatalf("a log line shows %q: %s", secret, l)
			}
		}
	}
	return rep
}

// plannedChecks is how many checks the policy plans for a job without faults, at the median draw.
func plannedChecks(j *chaosJob, deadline time.Duration) int {
	p := policy.Default()
	c := parse.Check{JobID: j.id, Algorithm: "", FirstCheckedAt: j.at, Deadline: j.at.Add(deadline)}
	end, ends := j.end()
	now, n := j.at, 1
	for ; (!ends || now.Before(end)) && now.Before(c.Deadline); n++ {
		d := p.Delay(c, now, 0.5)
		if d <= 0 {
			break
		}
		now = now.Add(d)
	}
	return n + 1
}

func describe(j *chaosJob) string {
	if j.script.Never {
		return "never ends"
	}
	return fmt.Sprintf("ends after %v, %s", j.script.Done, map[bool]string{true: "fails", false: "succeeds"}[j.script.Final == mpstest.StateFail])
}

func (f *faultCounter) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.n {
		n += v
	}
	return n
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
