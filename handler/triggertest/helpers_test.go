package triggertest

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"iprodwatch/handler/clock"
	"iprodwatch/handler/mnstest"
)

var update = flag.Bool("update", false, "rewrite the golden payloads in testdata/triggers")

const (
	testID      = "testid"
	testSecret  = "testsecret"
	testAccount = "1234567890123456"
	testRegion  = "cn-shanghai"
)

// Realistic bodies: what iprodwatch's producers and its own re-queue write.
const (
	bodyJob     = `{"JobId":"88c6ca184c0e432bbf5b665e2a15abcd"}`
	bodyCheck   = `{"v":1,"jobId":"88c6ca184c0e432bbf5b665e2a15abcd","attempt":2}`
	bodyCheckB  = `{"v":1,"jobId":"5d0f2b7a9e1c4f3a8b6d2e4f6a8c0e12","attempt":1}`
	sweepConfig = `{"mode":"sweep"}`
)

// start is the injected time every test begins at.
func start() time.Time { return time.Date(2026, 5, 1, 4, 0, 0, 0, time.UTC) }

// cloud is an MNS emulator on a manual clock with a real SDK client.
type cloud struct {
	srv    *mnstest.Server
	clk    *clock.Manual
	client ali_mns.MNSClient
}

func newCloud(t *testing.T) *cloud {
	t.Helper()
	clk := clock.NewManual(start())
	srv := mnstest.NewServer(mnstest.WithClock(clk), mnstest.WithCredential(testID, testSecret),
		mnstest.WithRegion(testRegion), mnstest.WithAccount(testAccount), mnstest.WithMaxRealWait(10*time.Second),
		// The bridge's own batching is under test: MNS hands it whole batches in order.
		mnstest.WithStrictOrder())
	t.Cleanup(srv.Close)
	return &cloud{srv: srv, clk: clk, client: srv.NewSDKClient(testID, testSecret, "", 0)}
}

// queue creates a queue in the emulator and returns an SDK handle on it.
func (c *cloud) queue(t *testing.T, name string) ali_mns.AliMNSQueue {
	t.Helper()
	if err := c.srv.CreateQueue(name, mnstest.QueueAttributes{}); err != nil {
		t.Fatalf("CreateQueue(%q): %v", name, err)
	}
	return ali_mns.NewMNSQueue(name, c.client)
}

// send sends bodies through the SDK, as a producer would (on its own queue handle: SDK handles
// are not safe to share between goroutines), moving the clock 123ms before each so enqueue times
// differ; it returns the message ids.
func (c *cloud) send(t *testing.T, bridgeQ ali_mns.AliMNSQueue, bodies ...string) []string {
	t.Helper()
	q := ali_mns.NewMNSQueue(bridgeQ.Name(), c.client)
	var ids []string
	for _, b := range bodies {
		c.clk.Advance(123 * time.Millisecond)
		resp, err := q.SendMessage(ali_mns.MessageSendRequest{MessageBody: b, Priority: 8})
		if err != nil {
			t.Fatalf("SendMessage(%q): %v", b, err)
		}
		ids = append(ids, resp.MessageId)
	}
	return ids
}

// advance moves the clock and wakes the emulator's long polls.
func (c *cloud) advance(d time.Duration) { c.srv.Advance(d) }

// sink is a Func that records payloads and fails as scripted.
type sink struct {
	mu       sync.Mutex
	payloads [][]byte
	fail     func(n int) error // n counts calls from 0; nil error means success
}

func (s *sink) fn(ctx context.Context, payload []byte) error {
	s.mu.Lock()
	n := len(s.payloads)
	s.payloads = append(s.payloads, append([]byte(nil), payload...))
	fail := s.fail
	s.mu.Unlock()
	if fail == nil {
		return nil
	}
	return fail(n)
}

func (s *sink) got() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.payloads...)
}

var errHandler = errors.New("handler failed")

func alwaysFail(int) error { return errHandler }

// failFirst fails the first k calls.
func failFirst(k int) func(int) error {
	return func(n int) error {
		if n < k {
			return errHandler
		}
		return nil
	}
}

// mustRun calls RunDue and fails the test on an error.
func mustRun(t *testing.T, r interface {
	RunDue(context.Context) (int, error)
}) int {
	t.Helper()
	n, err := r.RunDue(t.Context())
	if err != nil {
		t.Fatalf("RunDue: %v", err)
	}
	return n
}

// golden compares got with testdata/triggers/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "triggers", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("payload differs from %s (-want +got):\n%s", path, diff)
	}
}

// gaps returns the intervals between consecutive delivery times.
func gaps(ds []Delivery) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(ds); i++ {
		out = append(out, ds[i].Time.Sub(ds[i-1].Time))
	}
	return out
}

// retryCounts lists the RetryCount of each delivery.
func retryCounts(ds []Delivery) []int {
	var out []int
	for _, d := range ds {
		out = append(out, d.RetryCount)
	}
	return out
}

// nextDuer is a bridge that can tell when its next retry falls.
type nextDuer interface {
	RunDue(context.Context) (int, error)
	NextDue() (time.Time, bool)
}

// drainRetries advances the clock to each next due time and runs, until nothing is pending or
// limit rounds have passed.
func drainRetries(t *testing.T, c *cloud, b nextDuer, limit int) {
	t.Helper()
	for range limit {
		due, ok := b.NextDue()
		if !ok {
			return
		}
		if d := due.Sub(c.clk.Now()); d > 0 {
			c.advance(d)
		}
		mustRun(t, b)
	}
}

// publish publishes through the SDK, as a producer would.
func publish(t *testing.T, c *cloud, topic, body, tag string) string {
	t.Helper()
	resp, err := ali_mns.NewMNSTopic(topic, c.client).PublishMessage(ali_mns.MessagePublishRequest{MessageBody: body, MessageTag: tag})
	if err != nil {
		t.Fatalf("PublishMessage(%q): %v", body, err)
	}
	return resp.MessageId
}

// cmpEmptyNil treats nil and empty slices alike.
var cmpEmptyNil = cmpopts.EquateEmpty()

// gauge is a Func that measures how many invocations run at once: each call waits (bounded by a
// guard, never asserted on) until want calls are inside together, so a bridge that serialises
// calls shows a peak of 1 and one that runs n in parallel shows n.
type gauge struct {
	mu      sync.Mutex
	want    int
	cur     int
	peak    int
	arrived chan struct{}
}

func (g *gauge) fn(ctx context.Context, _ []byte) error {
	g.mu.Lock()
	if g.arrived == nil {
		g.arrived = make(chan struct{})
	}
	g.cur++
	g.peak = max(g.peak, g.cur)
	if g.cur == g.want {
		close(g.arrived)
	}
	ch := g.arrived
	g.mu.Unlock()
	guard, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	select {
	case <-ch:
	case <-guard.Done():
	}
	g.mu.Lock()
	g.cur--
	if g.cur == 0 {
		g.arrived = nil
	}
	g.mu.Unlock()
	return nil
}
