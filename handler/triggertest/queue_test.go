package triggertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler/mnstest"
)

// newSource builds a queue source on the test cloud's clock.
func newSource(t *testing.T, c *cloud, q ali_mns.AliMNSQueue, fn Func, opts ...Option) *QueueSource {
	t.Helper()
	src, err := NewQueueSource(q, fn, append([]Option{WithClock(c.clk), WithRegion(testRegion), WithAccount(testAccount)}, opts...)...)
	if err != nil {
		t.Fatalf("NewQueueSource: %v", err)
	}
	return src
}

// batchIDs lists the message ids of each delivery.
func batchIDs(ds []Delivery) [][]string {
	var out [][]string
	for _, d := range ds {
		out = append(out, d.MessageIDs)
	}
	return out
}

func TestQueueSourceDeletesWhatItConsumes(t *testing.T) {
	c := newCloud(t)
	q := c.queue(t, "iprod-check")
	ids := c.send(t, q, bodyJob, bodyCheck)
	s := &sink{}
	src := newSource(t, c, q, s.fn, WithBase64Decode(false), WithBatchWindow(2, 0))

	if n := mustRun(t, src); n != 1 {
		t.Fatalf("RunDue made %d invocations, want 1", n)
	}
	if left := c.srv.Messages("iprod-check"); len(left) != 0 {
		t.Errorf("queue still holds %d messages after the push: %+v", len(left), left)
	}
	var consumed []string
	for _, m := range src.ConsumedMessages() {
		consumed = append(consumed, m.MessageID)
	}
	if diff := cmp.Diff(ids, consumed); diff != "" {
		t.Errorf("consumed ids (-want +got):\n%s", diff)
	}
	if got := c.srv.CallCount(mnstest.OpBatchDeleteMessage); got != 1 {
		t.Errorf("BatchDeleteMessage calls = %d, want 1", got)
	}
	if got := src.Stats().Consumed; got != 2 {
		t.Errorf("Stats.Consumed = %d, want 2", got)
	}
}

func TestQueueSourceBatchWindows(t *testing.T) {
	tests := []struct {
		name      string
		opts      []Option
		send      int
		steps     []time.Duration // advance before each RunDue after the first
		wantSizes [][]int         // batch sizes delivered by the first RunDue, then after each step
	}{
		{
			name: "count window reached first pushes at once",
			opts: []Option{WithBatchWindow(3, 10*time.Second)}, send: 3,
			wantSizes: [][]int{{3}},
		},
		{
			name: "time window reached first pushes what was buffered",
			opts: []Option{WithBatchWindow(10, 5*time.Second)}, send: 2,
			steps:     []time.Duration{4 * time.Second, time.Second},
			wantSizes: [][]int{nil, nil, {2}},
		},
		{
			name: "zero time window splits a backlog into count-sized batches",
			opts: []Option{WithBatchWindow(2, 0)}, send: 5,
			wantSizes: [][]int{{2, 2, 1}},
		},
		{
			name: "a window larger than one receive gathers several receives",
			opts: []Option{WithBatchWindow(40, 15*time.Second)}, send: 40,
			wantSizes: [][]int{{40}},
		},
		{
			name: "event-driven mode pushes every message alone whatever the window",
			opts: []Option{WithMode(EventDriven), WithBatchWindow(10, 15*time.Second)}, send: 3,
			wantSizes: [][]int{{1, 1, 1}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud(t)
			q := c.queue(t, "iprod-check")
			var bodies []string
			for range tc.send {
				bodies = append(bodies, bodyCheck)
			}
			c.send(t, q, bodies...)
			s := &sink{}
			src := newSource(t, c, q, s.fn, append([]Option{WithBase64Decode(false)}, tc.opts...)...)
			var got [][]int
			seen := 0
			for i := 0; i <= len(tc.steps); i++ {
				if i > 0 {
					c.advance(tc.steps[i-1])
				}
				mustRun(t, src)
				ds := src.Deliveries()
				var sizes []int
				for _, d := range ds[seen:] {
					sizes = append(sizes, len(d.MessageIDs))
				}
				seen = len(ds)
				got = append(got, sizes)
			}
			if diff := cmp.Diff(tc.wantSizes, got); diff != "" {
				t.Errorf("batch sizes per step (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueueSourceEventDrivenSendsObjectsAndStreamingSendsArrays(t *testing.T) {
	tests := []struct {
		name      string
		mode      Mode
		wantArray bool
	}{
		{"event-streaming sends an array even for one message", EventStreaming, true},
		{"event-driven sends a bare object", EventDriven, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud(t)
			q := c.queue(t, "iprod-check")
			c.send(t, q, bodyJob)
			s := &sink{}
			mustRun(t, newSource(t, c, q, s.fn, WithMode(tc.mode), WithBase64Decode(false)))
			p := only(t, s.got())
			if isArray := p[0] == '['; isArray != tc.wantArray {
				t.Errorf("payload %s: array = %v, want %v", p, isArray, tc.wantArray)
			}
		})
	}
}

func TestQueueSourceBase64Decode(t *testing.T) {
	encoded := base64.StdEncoding.EncodeToString([]byte(bodyJob))
	tests := []struct {
		name           string
		opts           []Option
		sent           string
		wantBody       string
		wantDecodeFail int
	}{
		{"decoding is on by default and yields the original body", nil, encoded, bodyJob, 0},
		{"decoding on passes a body that is not base64 unchanged and counts it", nil, bodyJob, bodyJob, 1},
		{"decoding off delivers a base64 body exactly as sent", []Option{WithBase64Decode(false)}, encoded, encoded, 0},
		{"decoding off delivers a JSON body exactly as sent", []Option{WithBase64Decode(false)}, bodyCheck, bodyCheck, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud(t)
			q := c.queue(t, "iprod-check")
			c.send(t, q, tc.sent)
			s := &sink{}
			src := newSource(t, c, q, s.fn, tc.opts...)
			mustRun(t, src)
			var evs []struct {
				Data struct{ MessageBody string } `json:"data"`
			}
			if err := json.Unmarshal(only(t, s.got()), &evs); err != nil || len(evs) != 1 {
				t.Fatalf("payload is not a one-event array: %v", err)
			}
			if evs[0].Data.MessageBody != tc.wantBody {
				t.Errorf("messageBody = %q, want %q", evs[0].Data.MessageBody, tc.wantBody)
			}
			if got := src.Stats().DecodeFailures; got != tc.wantDecodeFail {
				t.Errorf("DecodeFailures = %d, want %d", got, tc.wantDecodeFail)
			}
			if got := src.ConsumedMessages()[0].Body; got != tc.sent {
				t.Errorf("Consumed body = %q, want the body as sent %q", got, tc.sent)
			}
		})
	}
}

func TestQueueSourceRetriesThenAppliesErrorsTolerance(t *testing.T) {
	backoff := func(t *testing.T, g []time.Duration) {
		t.Helper()
		for _, d := range g {
			if d < 10*time.Second || d > 20*time.Second {
				t.Errorf("BACKOFF_RETRY gap %v outside 10-20s", d)
			}
		}
	}
	tests := []struct {
		name         string
		opts         []Option
		withDLQ      bool
		fail         func(int) error
		wantRetries  []int
		wantGaps     func(t *testing.T, g []time.Duration)
		wantDead     int // events dead-lettered
		wantDropped  int
		wantConsumed int
	}{
		{
			name: "ALL with a dead-letter queue sends the batch's events there after 3 retries",
			opts: []Option{WithErrorsTolerance(ToleranceAll), WithBatchWindow(2, 0)}, withDLQ: true, fail: alwaysFail,
			wantRetries: []int{0, 1, 2, 3}, wantGaps: backoff, wantDead: 2, wantConsumed: 2,
		},
		{
			name: "ALL without a dead-letter queue drops the batch after 3 retries",
			opts: []Option{WithErrorsTolerance(ToleranceAll), WithBatchWindow(2, 0)}, fail: alwaysFail,
			wantRetries: []int{0, 1, 2, 3}, wantGaps: backoff, wantDropped: 1, wantConsumed: 2,
		},
		{
			name: "a retry that succeeds ends the batch with nothing lost",
			opts: []Option{WithErrorsTolerance(ToleranceAll), WithBatchWindow(2, 0)}, withDLQ: true, fail: failFirst(2),
			wantRetries: []int{0, 1, 2}, wantGaps: backoff, wantConsumed: 2,
		},
		{
			name: "EXPONENTIAL_DECAY_RETRY retries 176 times 1s to 512s apart, then drops",
			opts: []Option{WithErrorsTolerance(ToleranceAll), WithBatchWindow(2, 0), WithRetryStrategy(ExponentialDecayRetry)},
			fail: alwaysFail, wantDropped: 1, wantConsumed: 2,
			wantRetries: seq(0, 176),
			wantGaps: func(t *testing.T, g []time.Duration) {
				t.Helper()
				want := []time.Duration{}
				for i := range 176 {
					want = append(want, time.Duration(1<<min(i, 9))*time.Second) // 1, 2, 4 … 256, then 512
				}
				if diff := cmp.Diff(want, g); diff != "" {
					t.Errorf("gaps (-want +got):\n%s", diff)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud(t)
			q := c.queue(t, "iprod-check")
			ids := c.send(t, q, bodyJob, bodyCheck)
			opts := append([]Option{WithBase64Decode(false)}, tc.opts...)
			if tc.withDLQ {
				opts = append(opts, WithDeadLetterQueue(c.queue(t, "iprod-check-dlq")))
			}
			s := &sink{fail: tc.fail}
			src := newSource(t, c, q, s.fn, opts...)
			mustRun(t, src)
			drainRetries(t, c, src, 500)

			ds := src.Deliveries()
			if diff := cmp.Diff(tc.wantRetries, retryCounts(ds)); diff != "" {
				t.Errorf("RetryCount per delivery (-want +got):\n%s", diff)
			}
			for _, d := range ds {
				if diff := cmp.Diff(ids, d.MessageIDs); diff != "" {
					t.Errorf("every attempt carries the same batch (-want +got):\n%s", diff)
				}
			}
			tc.wantGaps(t, gaps(ds))
			if got := len(src.DeadLetters()); got != tc.wantDead {
				t.Errorf("dead-lettered %d events, want %d", got, tc.wantDead)
			}
			if got := len(src.DroppedEvents()); got != tc.wantDropped {
				t.Errorf("dropped %d batches, want %d", got, tc.wantDropped)
			}
			if got := len(src.ConsumedMessages()); got != tc.wantConsumed {
				t.Errorf("consumed %d messages, want %d", got, tc.wantConsumed)
			}
			if tc.withDLQ {
				checkDeadLetterQueue(t, c, src, ids[:tc.wantDead])
			}
			if src.Blocked() {
				t.Error("stream blocked under ToleranceAll")
			}
		})
	}
}

// checkDeadLetterQueue asserts the DLQ holds one CloudEvent per dead-lettered message.
func checkDeadLetterQueue(t *testing.T, c *cloud, src *QueueSource, wantIDs []string) {
	t.Helper()
	var gotIDs, recorded []string
	for _, m := range c.srv.Messages("iprod-check-dlq") {
		var ev struct {
			Type string `json:"type"`
			Data struct {
				MessageID string `json:"messageId"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(m.Body), &ev); err != nil || ev.Type != "mns:Queue:SendMessage" {
			t.Errorf("dead letter %q is not a CloudEvent (err %v)", m.Body, err)
		}
		gotIDs = append(gotIDs, ev.Data.MessageID)
	}
	for _, d := range src.DeadLetters() {
		recorded = append(recorded, d.MessageID)
	}
	if diff := cmp.Diff(wantIDs, gotIDs, cmpEmptyNil); diff != "" {
		t.Errorf("message ids in the dead-letter queue (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantIDs, recorded, cmpEmptyNil); diff != "" {
		t.Errorf("recorded dead letters (-want +got):\n%s", diff)
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestQueueSourceToleranceNoneBlocksTheStream(t *testing.T) {
	c := newCloud(t)
	q := c.queue(t, "iprod-check")
	first := c.send(t, q, bodyJob)
	healthy := false
	s := &sink{fail: func(int) error {
		if healthy {
			return nil
		}
		return errHandler
	}}
	src := newSource(t, c, q, s.fn, WithBase64Decode(false), WithErrorsTolerance(ToleranceNone))
	mustRun(t, src)
	drainRetriesN(t, c, src, 3)
	if !src.Blocked() {
		t.Fatal("stream not blocked after the retries were used up")
	}

	later := c.send(t, q, bodyCheck)
	drainRetriesN(t, c, src, 5)
	for _, d := range src.Deliveries() {
		if diff := cmp.Diff(first, d.MessageIDs); diff != "" {
			t.Fatalf("a blocked stream delivered another batch (-want +got):\n%s", diff)
		}
	}
	if got := len(src.Deliveries()); got != 9 {
		t.Errorf("blocked batch attempted %d times, want 9 (it keeps retrying)", got)
	}
	if m := c.srv.Messages("iprod-check"); len(m) != 1 || m[0].DequeueCount != 0 {
		t.Errorf("the later message was touched while blocked: %+v", m)
	}
	if n := len(src.DroppedEvents()) + len(src.DeadLetters()); n != 0 {
		t.Errorf("NONE gave up %d events, want none", n)
	}

	healthy = true
	drainRetriesN(t, c, src, 1)
	if src.Blocked() {
		t.Error("still blocked after the batch went through")
	}
	ds := src.Deliveries()
	if diff := cmp.Diff(later, ds[len(ds)-1].MessageIDs); diff != "" {
		t.Errorf("after unblocking, the next push (-want +got):\n%s", diff)
	}
}

// drainRetriesN advances to the next due time and runs, n times.
func drainRetriesN(t *testing.T, c *cloud, src *QueueSource, n int) {
	t.Helper()
	for range n {
		due, ok := src.NextDue()
		if !ok {
			t.Fatal("nothing due")
		}
		c.advance(due.Sub(c.clk.Now()))
		mustRun(t, src)
	}
}

func TestQueueSourceConcurrency(t *testing.T) {
	tests := []struct {
		name        string
		concurrency int
		wantPeak    int
	}{
		{"one invocation at a time by default", 1, 1},
		{"up to n batches at once with WithConcurrency", 3, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud(t)
			q := c.queue(t, "iprod-check")
			c.send(t, q, bodyJob, bodyCheck, bodyCheckB)
			g := &gauge{want: tc.concurrency}
			src := newSource(t, c, q, g.fn, WithBase64Decode(false), WithConcurrency(tc.concurrency))
			mustRun(t, src)
			if g.peak != tc.wantPeak {
				t.Errorf("peak concurrent invocations = %d, want %d", g.peak, tc.wantPeak)
			}
			if got := len(src.Deliveries()); got != 3 {
				t.Errorf("deliveries = %d, want 3", got)
			}
		})
	}
}

func TestNewQueueSourceRefusesWhatTheCloudRefuses(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
	}{
		{"CountBasedWindow 0", WithBatchWindow(0, 0)},
		{"CountBasedWindow 10001", WithBatchWindow(10001, 0)},
		{"TimeBasedWindow 16s", WithBatchWindow(1, 16*time.Second)},
		{"TimeBasedWindow of a fraction of a second", WithBatchWindow(1, 1500*time.Millisecond)},
		{"an unknown mode", WithMode("streaming")},
		{"an unknown schema", WithEventSchema("Raw")},
		{"an unknown tolerance", WithErrorsTolerance("SOME")},
		{"an unknown retry strategy", WithRetryStrategy("LINEAR")},
		{"zero concurrency", WithConcurrency(0)},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			c := newCloud(t)
			_, err := NewQueueSource(c.queue(t, "q"), (&sink{}).fn, tc.opt)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestQueueSourceSurfacesMNSErrors(t *testing.T) {
	c := newCloud(t)
	q := ali_mns.NewMNSQueue("no-such-queue", c.client)
	src := newSource(t, c, q, (&sink{}).fn)
	_, err := src.RunDue(t.Context())
	if err == nil || !ali_mns.ERR_MNS_QUEUE_NOT_EXIST.IsEqual(errors.Unwrap(err)) {
		t.Errorf("RunDue on a missing queue: err = %v, want the SDK's ERR_MNS_QUEUE_NOT_EXIST wrapped", err)
	}
}

func TestInvocationFromCarriesTheRetryCount(t *testing.T) {
	c := newCloud(t)
	q := c.queue(t, "iprod-check")
	c.send(t, q, bodyJob)
	var seen []int
	fn := func(ctx context.Context, _ []byte) error {
		inv, ok := InvocationFrom(ctx)
		if !ok {
			t.Error("no Invocation in ctx")
		}
		seen = append(seen, inv.RetryCount)
		if inv.RetryCount < 2 {
			return errHandler
		}
		return nil
	}
	src := newSource(t, c, q, fn, WithBase64Decode(false))
	mustRun(t, src)
	drainRetries(t, c, src, 10)
	if diff := cmp.Diff([]int{0, 1, 2}, seen); diff != "" {
		t.Errorf("RetryCount seen by the function (-want +got):\n%s", diff)
	}
}

// A BatchDeleteMessage that fails for some handles only (the SDK reports ERR_MNS_BATCH_OP_FAIL with
// the failed ones) keeps the ones it deleted: they are gone from the queue and must be delivered;
// the failed one stays and comes back after its visibility timeout, as from the cloud's consumer.
func TestQueueSourceDeliversWhatAPartlyFailedDeleteDeleted(t *testing.T) {
	c := newCloud(t)
	q := c.queue(t, "iprod-check")
	c.send(t, q, bodyJob, bodyCheck)
	other := ali_mns.NewMNSQueue("iprod-check", c.client)
	respCh, errCh := make(chan ali_mns.BatchMessageReceiveResponse, 1), make(chan error, 1)
	other.BatchReceiveMessage(respCh, errCh, 2)
	var msgs []ali_mns.MessageReceiveResponse
	select {
	case r := <-respCh:
		msgs = r.Messages
	case err := <-errCh:
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("received %d messages, want 2", len(msgs))
	}
	// The first message's handle is replaced: deleting with the old one fails.
	if _, err := other.ChangeMessageVisibility(msgs[0].ReceiptHandle, 60); err != nil {
		t.Fatal(err)
	}
	src := newSource(t, c, q, (&sink{}).fn, WithBase64Decode(false))
	kept, err := src.delete(msgs)
	if err != nil {
		t.Fatalf("delete = %v: a partly failed delete dropped the batch, the deleted message with it", err)
	}
	if len(kept) != 1 || kept[0].MessageId != msgs[1].MessageId {
		t.Errorf("kept %d messages, want the one deleted (%s)", len(kept), msgs[1].MessageId)
	}
	if left := c.srv.Messages("iprod-check"); len(left) != 1 || left[0].ID != msgs[0].MessageId {
		t.Errorf("queue holds %+v, want the message whose delete failed", left)
	}
}
