package cloud_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
	"iprodwatch/handler/cloud"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mnstest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/handler/porttest"
)

// The SDK adapters hold to the ports' contract, over real HTTP against the emulators.

func TestJobsContract(t *testing.T)   { porttest.RunJobsTests(t, emulated) }
func TestQueuesContract(t *testing.T) { porttest.RunQueuesTests(t, emulated) }
func TestTopicsContract(t *testing.T) { porttest.RunTopicsTests(t, emulated) }

type world struct {
	w   *handlertest.World
	clk *clock.Manual
}

func emulated(t *testing.T) porttest.World {
	t.Helper()
	clk := clock.NewManual(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	w, err := handlertest.New(handlertest.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	attrs := mnstest.DefaultQueueAttributes()
	attrs.MessageRetentionPeriod = int64(porttest.Retention / time.Second)
	attrs.VisibilityTimeout = int64(porttest.Visibility / time.Second)
	if err := w.MNS.CreateQueue(porttest.Queue, attrs); err != nil {
		t.Fatal(err)
	}
	attrs.MaximumMessageSize = porttest.SmallMessage
	if err := w.MNS.CreateQueue(porttest.SmallQueue, attrs); err != nil {
		t.Fatal(err)
	}
	if err := w.MNS.CreateTopic(porttest.Topic); err != nil {
		t.Fatal(err)
	}
	return &world{w: w, clk: clk}
}

func (e *world) connect(t *testing.T, cred cloud.Credentials) *handler.Clients {
	t.Helper()
	cl, err := cloud.Connector(e.w.Config, cloud.WithCredentials(func(context.Context) (cloud.Credentials, error) { return cred, nil }))(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func (e *world) Clients(t *testing.T) *handler.Clients { return e.connect(t, e.w.Cred) }

func (e *world) Refused(t *testing.T) *handler.Clients {
	bad := e.w.Cred
	bad.AccessKeySecret = "not-the-secret"
	return e.connect(t, bad)
}

func (e *world) AddJob(t *testing.T, id, algorithm string, final bool) {
	t.Helper()
	sc := mpstest.Script{Never: true}
	if final {
		sc = mpstest.Script{}
	}
	p := mpstest.SubmitParams{FunctionName: algorithm, Input: "oss://media.oss-cn-shanghai.aliyuncs.com/in/a.mp4",
		Output: "oss://media.oss-cn-shanghai.aliyuncs.com/out/{source}.mp4"}
	if err := e.w.MPS.SeedJob(mpstest.Job{ID: id, Params: p, Script: sc}); err != nil {
		t.Fatal(err)
	}
}

func (e *world) FailNextQuery(t *testing.T, id string, f porttest.Fault) {
	fault := map[porttest.Fault]mpstest.Fault{
		porttest.Throttled:        {Error: mpstest.ErrThrottling()},
		porttest.Unavailable:      {Error: mpstest.ErrServiceUnavailable()},
		porttest.GatewayPage:      {RawStatus: 502, RawBody: []byte("<html><body><h1>502 Bad Gateway</h1></body></html>")},
		porttest.GatewayThrottled: {RawStatus: 429, RawBody: []byte("<html><body><h1>429 Too Many Requests</h1></body></html>")},
	}[f]
	e.w.MPS.FailNext(mpstest.ActionQuery, id, 1, fault)
}

func (e *world) Advance(d time.Duration) { e.clk.Advance(d) }

func (e *world) Published(t *testing.T, topic string) []porttest.Published {
	var out []porttest.Published
	for _, m := range e.w.MNS.Published(topic) {
		out = append(out, porttest.Published{Body: m.Body, Tag: m.Tag})
	}
	return out
}

// A receive or a read of a queue's attributes ends with its context, though the answer is late and
// the SDK would wait (and retry) longer: a sweep stops at its budget. (The answer comes 2 s late in
// real time; the context ends at 50 ms; the test asserts what is returned, not when.)
func TestReadsEndWithTheirContext(t *testing.T) {
	e := emulated(t).(*world)
	e.w.MNS.FailNext(mnstest.OpBatchReceiveMessage, mnstest.Fault{Delay: 2 * time.Second})
	e.w.MNS.FailNext(mnstest.OpGetQueueAttributes, mnstest.Fault{Delay: 2 * time.Second})
	q := e.Clients(t).Queues
	for name, call := range map[string]func(ctx context.Context) error{
		"Receive": func(ctx context.Context) error { _, err := q.Receive(ctx, porttest.Queue, 16, 0); return err },
		"Limits":  func(ctx context.Context) error { _, err := q.Limits(ctx, porttest.Queue); return err },
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, handler.ErrTransient) {
			t.Errorf("%s with a late answer = %v, want the context's deadline as it is", name, err)
		}
	}
}
