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
		porttest.ThrottledUser:    {Error: mpstest.ErrThrottlingUser()},
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
// the SDK would wait (and retry) longer: a sweep stops at its budget. The context is cancelled once
// the emulator holds the call, so the test depends on no timing.
func TestReadsEndWithTheirContext(t *testing.T) {
	e := emulated(t).(*world)
	q := e.Clients(t).Queues
	for _, tt := range []struct {
		op   mnstest.Op
		call func(ctx context.Context) error
	}{
		{mnstest.OpBatchReceiveMessage, func(ctx context.Context) error { _, err := q.Receive(ctx, porttest.Queue, 16, 0); return err }},
		{mnstest.OpGetQueueAttributes, func(ctx context.Context) error { _, err := q.Limits(ctx, porttest.Queue); return err }},
	} {
		e.w.MNS.FailNext(tt.op, mnstest.Fault{Delay: 2 * time.Second})
		before := e.w.MNS.CallCount(tt.op)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for e.w.MNS.CallCount(tt.op) == before {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		err := tt.call(ctx)
		cancel()
		if !errors.Is(err, context.Canceled) || errors.Is(err, handler.ErrTransient) {
			t.Errorf("%s with a late answer = %v, want the context's error as it is", tt.op, err)
		}
	}
}
