package handler_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mnstest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/handler/triggertest"
	"iprodwatch/parse"
	"iprodwatch/parse/parsetest"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// env is one test's cloud: the world, the function on it, and its captured log.
type env struct {
	t     *testing.T
	w     *handlertest.World
	clk   *clock.Manual
	h     *handler.Handler
	logs  *handlertest.Buffer
	valid *parsetest.Validator

	mu   sync.Mutex
	recs []handler.Record // every decision, as the observer saw it
}

func newEnv(t *testing.T, o handlertest.Options, hopts ...handler.Option) *env {
	t.Helper()
	clk := clock.NewManual(t0)
	o.Clock = clk
	w, err := handlertest.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	v, err := parsetest.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, w: w, clk: clk, logs: &handlertest.Buffer{}, valid: v}
	e.rebuild(hopts...)
	return e
}

// rebuild makes the function again on the world as it now stands (after a test changed it).
func (e *env) rebuild(hopts ...handler.Option) {
	observe := func(r handler.Record) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.recs = append(e.recs, r)
	}
	e.h = e.w.Handler(append([]handler.Option{handler.WithLogger(slogTo(e.logs)), handler.WithSalt(1), handler.WithObserver(observe)}, hopts...)...)
}

// invoke is the function as a bridge sees it.
func (e *env) invoke(ctx context.Context, payload []byte) error {
	_, err := e.h.Handle(ctx, payload)
	return err
}

// queueTrigger is the EventBridge MNS-queue trigger on the check queue, as s.yaml configures it
// (bodies as sent, batches of up to 16).
func (e *env) queueTrigger(opts ...triggertest.Option) *triggertest.QueueSource {
	e.t.Helper()
	q := ali_mns.NewMNSQueue(handlertest.CheckQueue, e.w.MNS.NewSDKClient(handlertest.AccessKeyID, handlertest.Secret, "", 0))
	base := []triggertest.Option{triggertest.WithClock(e.clk), triggertest.WithBase64Decode(false),
		triggertest.WithBatchWindow(16, 0), triggertest.WithRegion(handlertest.Region)}
	src, err := triggertest.NewQueueSource(q, e.invoke, append(base, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return src
}

// stepper is a bridge the drive loop can run.
type stepper interface {
	RunDue(ctx context.Context) (int, error)
}

// drive runs the bridges and moves the clock to the next thing due until done says so, at most
// steps times. Nothing sleeps: a day of checks runs in milliseconds.
func (e *env) drive(done func() bool, steps int, bridges ...stepper) {
	e.t.Helper()
	ctx := context.Background()
	for range steps {
		if done() {
			return
		}
		moved := 0
		for _, b := range bridges {
			n, _ := b.RunDue(ctx)
			moved += n
		}
		if done() {
			return
		}
		if moved > 0 {
			continue
		}
		_ = e.w.MPS.DeliverDue(ctx)
		next, ok := e.w.NextVisible()
		if !ok || !next.After(e.clk.Now()) {
			next = e.clk.Now().Add(time.Second)
		}
		e.clk.AdvanceTo(next)
	}
	if !done() {
		e.t.Fatalf("not done after %d steps; log:\n%s", steps, e.logs.String())
	}
}

// events returns the published events, each checked against the schema and its MessageTag.
func (e *env) events() []parse.Event {
	e.t.Helper()
	ps, err := e.w.Events()
	if err != nil {
		e.t.Fatal(err)
	}
	var out []parse.Event
	for _, p := range ps {
		if err := e.valid.Validate([]byte(p.Body)); err != nil {
			e.t.Errorf("event %s does not follow the schema: %v", p.Event.ID, err)
		}
		if p.Tag != string(p.Event.Outcome) {
			e.t.Errorf("event %s has MessageTag %q, want its outcome %q", p.Event.ID, p.Tag, p.Event.Outcome)
		}
		out = append(out, p.Event)
	}
	return out
}

func (e *env) eventsFor(jobID string) []parse.Event {
	var out []parse.Event
	for _, ev := range e.events() {
		if ev.Subject == jobID {
			out = append(out, ev)
		}
	}
	return out
}

// seed creates a job in the MPS emulator with a lifecycle.
func (e *env) seed(id, algorithm string, sc mpstest.Script, notify bool) {
	e.t.Helper()
	p := mpstest.SubmitParams{FunctionName: algorithm,
		Input:  "oss://media.oss-cn-shanghai.aliyuncs.com/in/clip.mp4",
		Output: "oss://media.oss-cn-shanghai.aliyuncs.com/out/{source}-{sequenceId}.mp4"}
	if notify {
		p.NotifyURL = e.w.NotifyURL()
	}
	if err := e.w.MPS.SeedJob(mpstest.Job{ID: id, Params: p, Script: sc}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) send(body string) {
	e.t.Helper()
	if err := e.w.SendCheck(body); err != nil {
		e.t.Fatal(err)
	}
}

// records returns every decision made so far, in order.
func (e *env) records() []handler.Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.recs)
}

// logLines decodes the captured JSON log.
func (e *env) logLines() []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func decodeSummary(t *testing.T, out []byte) handler.Summary {
	t.Helper()
	var s handler.Summary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("answer is not a summary: %s", out)
	}
	return s
}

func mnstestCredential(id, secret, token string) mnstest.Credential {
	return mnstest.Credential{ID: id, Secret: secret, Token: token}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func slogTo(w *handlertest.Buffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
