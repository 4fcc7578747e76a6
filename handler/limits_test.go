package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/memcloud"
	"iprodwatch/parse"
)

// The queues' and the topic's own message limits (limits.go): read once per instance, never
// trusted beyond what the service says, never a reason for one message to fail a batch.

// limitsQueues is the fake's Queues with Limits replaced by fn (which falls back to the fake when
// it returns ok false).
type limitsQueues struct {
	handler.Queues
	fn func(ctx context.Context, queue string) (l handler.Limits, err error, ok bool)
}

func (q limitsQueues) Limits(ctx context.Context, queue string) (handler.Limits, error) {
	if l, err, ok := q.fn(ctx, queue); ok {
		return l, err
	}
	return q.Queues.Limits(ctx, queue)
}

// withLimits has every invocation's Queues.Limits go through fn.
func withLimits(fn func(ctx context.Context, queue string) (handler.Limits, error, bool)) func(*core, *handler.Clients) {
	return func(_ *core, cl *handler.Clients) { cl.Queues = limitsQueues{Queues: cl.Queues, fn: fn} }
}

const sweep = `{"triggerTime":"2026-11-25T12:00:00Z","triggerName":"sweep","payload":"{}"}`

// A dead-letter queue whose limit could not be read (a timeout once, or a RAM policy without
// GetQueueAttributes on it) is not taken to hold 64 KiB: an 8 KiB bad message beside a healthy
// check, on a 4 KiB dead-letter queue, is dead-lettered cut to fit, and the batch succeeds.
func TestAnUnreadDeadLetterLimitFailsNoBatch(t *testing.T) {
	for name, fault := range map[string]error{
		"timed out":     fmt.Errorf("%w: GetQueueAttributes timed out", handler.ErrTransient),
		"access denied": fmt.Errorf("%w: GetQueueAttributes: AccessDenied", handler.ErrConfig),
	} {
		t.Run(name, func(t *testing.T) {
			c := newCoreWith(t, nil, withLimits(func(_ context.Context, q string) (handler.Limits, error, bool) {
				return handler.Limits{}, fault, q == "dlq"
			}))
			c.cloud.SetJob(job1, "ImageH2V", parse.StateSuccess)
			payload := `[{"JobId":"` + job1 + `"},"` + strings.Repeat("x", 8000) + `"]`
			for i := 1; i <= 2; i++ {
				if _, err := c.h.Handle(context.Background(), []byte(payload)); err != nil {
					t.Fatalf("delivery %d: Handle = %v: one bad message failed its batch", i, err)
				}
			}
			dls := c.cloud.Messages("dlq")
			if len(dls) != 2 {
				t.Fatalf("%d dead letters, want the bad message's, once per delivery", len(dls))
			}
			var dl struct {
				Reason        string
				BodyTruncated bool
			}
			if err := json.Unmarshal(dls[0].Body, &dl); err != nil || dl.Reason == "" || !dl.BodyTruncated {
				t.Errorf("dead letter %.200s (%v): want its reason and the body cut", dls[0].Body, err)
			}
			if ev := c.cloud.Published("events"); len(ev) != 2 {
				t.Errorf("%d events, want the healthy job's, once per delivery", len(ev))
			}
		})
	}
}

// A check queue whose limit could not be read and is smaller than the next check message: the
// send is refused, and the next check is sent again without its userData copy (the event takes
// userData from MPS's answer) instead of the job going to the dead-letter queue.
func TestARefusedRequeueIsRefittedNotDeadLettered(t *testing.T) {
	c := newCoreWith(t, nil, withLimits(func(_ context.Context, q string) (handler.Limits, error, bool) {
		return handler.Limits{}, fmt.Errorf("%w: GetQueueAttributes timed out", handler.ErrTransient), q == "check"
	}))
	c.cloud.CreateQueue("check", memcloudQueue(2048))
	c.cloud.SetJob(job1, "ImageH2V", parse.StateAnalysing)
	body := `{"v":1,"jobId":"` + job1 + `","userData":"` + strings.Repeat("u", 3000) + `"}`
	got := c.invoke(body)
	if len(got) != 1 || got[0].Decision != handler.DecisionRequeued {
		t.Fatalf("records %+v, want the running job requeued", got)
	}
	checks := c.cloud.Messages("check")
	if len(checks) != 1 {
		t.Fatalf("%d next checks, want 1", len(checks))
	}
	req, err := parse.DecodeCheck(checks[0].Body)
	if err != nil || !req.Check.UserDataOmitted || len(checks[0].Body) > 1024 {
		t.Errorf("next check %d bytes %s (%v): want it refitted to 1,024 bytes, its userData omitted", len(checks[0].Body), checks[0].Body, err)
	}
	if n := len(c.cloud.Messages("dlq")); n != 0 {
		t.Errorf("%d dead letters, want none", n)
	}
}

// A sweep's reads of the limits end with its budget: every Limits call gets a context that ends
// no later than the budget does, whatever the SDK underneath retries.
func TestASweepReadsTheLimitsWithinItsBudget(t *testing.T) {
	var mu sync.Mutex
	var late []string
	c := newCoreWith(t, map[string]string{"IPRODWATCH_PULL_BUDGET": "2s"}, withLimits(func(ctx context.Context, q string) (handler.Limits, error, bool) {
		d, ok := ctx.Deadline()
		if !ok || d.After(time.Now().Add(2*time.Second)) {
			mu.Lock()
			late = append(late, fmt.Sprintf("%s (deadline %v, %v)", q, ok, time.Until(d).Round(time.Second)))
			mu.Unlock()
		}
		return handler.Limits{}, nil, false
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := c.h.Handle(ctx, []byte(sweep)); err != nil {
		t.Fatal(err)
	}
	if len(late) > 0 {
		t.Errorf("limits read with a context outliving the sweep's 2s budget: %v", late)
	}
}

// An instance reads its limits once for all its invocations, and a read in flight holds no other
// invocation: the second one goes on with what is known while the first one's read hangs.
func TestALimitsReadInFlightHoldsNoOtherInvocation(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	var firstReturned atomic.Bool
	c := newCoreWith(t, nil, withLimits(func(ctx context.Context, q string) (handler.Limits, error, bool) {
		if q != "check" || calls.Add(1) != 1 {
			return handler.Limits{}, nil, false
		}
		close(started)
		defer firstReturned.Store(true)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return handler.Limits{}, fmt.Errorf("%w: GetQueueAttributes hung", handler.ErrTransient), true
	}))
	defer close(release)
	c.cloud.SetJob(job1, "ImageH2V", parse.StateSuccess)
	first, cancel := context.WithTimeout(context.Background(), 30*time.Second) // ends a read a regression would wait on
	defer cancel()
	go c.h.Handle(first, []byte(`{"JobId":"`+job1+`"}`))
	<-started
	if _, err := c.h.Handle(context.Background(), []byte(`{"JobId":"`+job1+`"}`)); err != nil {
		t.Fatal(err)
	}
	if firstReturned.Load() {
		t.Error("the second invocation waited for the first one's read of the limits")
	}
}

// A failed read is not repeated by every invocation: the fallbacks stand for a while.
func TestAFailedLimitsReadIsNotRepeatedAtOnce(t *testing.T) {
	var calls atomic.Int32
	c := newCoreWith(t, nil, withLimits(func(_ context.Context, q string) (handler.Limits, error, bool) {
		if q == "check" {
			calls.Add(1)
		}
		return handler.Limits{}, fmt.Errorf("%w: GetQueueAttributes: AccessDenied", handler.ErrConfig), true
	}))
	c.cloud.SetJob(job1, "ImageH2V", parse.StateSuccess)
	for range 3 {
		c.invoke(`{"JobId":"` + job1 + `"}`)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the check queue's limits were read %d times by 3 invocations in a row after a failure, want 1", n)
	}
}

// memcloudQueue is a check or dead-letter queue's configuration with a message limit of its own.
func memcloudQueue(maxMessage int) memcloud.QueueConfig {
	return memcloud.QueueConfig{Retention: 7 * 24 * time.Hour, Visibility: 30 * time.Second, MaxMessage: maxMessage}
}

// A read of the limits that panics (contained by Handle) does not leave the instance on the
// fallbacks for good: the next invocation reads them again.
func TestAPanickingLimitsReadIsReadAgain(t *testing.T) {
	var calls atomic.Int32
	c := newCoreWith(t, nil, withLimits(func(_ context.Context, q string) (handler.Limits, error, bool) {
		if q == "check" && calls.Add(1) == 1 {
			panic("SDK bug")
		}
		return handler.Limits{}, nil, false
	}))
	c.cloud.SetJob(job1, "ImageH2V", parse.StateSuccess)
	c.h.Handle(context.Background(), []byte(`{"JobId":"`+job1+`"}`)) // fails, contained
	// The next bad message should be dead-lettered against the 4 KiB queue read now.
	payload := `"` + strings.Repeat("x", 3000) + `"`
	if _, err := c.h.Handle(context.Background(), []byte(payload)); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n < 2 {
		t.Errorf("limits read %d times: after the panicking read no invocation reads them again", n)
	}
	if dls := c.cloud.Messages("dlq"); len(dls) != 1 || len(dls[0].Body) <= 1024 {
		t.Errorf("dead letters %d: want one fitted to the 4 KiB queue, not to 1,024 bytes", len(dls))
	}
}

// smallTopic refuses what is over max and cannot report its limit (RAM policy without
// GetTopicAttributes): the fallback 64 KiB stands.
type smallTopic struct {
	handler.Topics
	max int
}

func (s smallTopic) Publish(ctx context.Context, topic string, body []byte, tag string) error {
	if len(body) > s.max {
		return fmt.Errorf("%w: MessageTooLarge %d", handler.ErrTooLarge, len(body))
	}
	return s.Topics.Publish(ctx, topic, body, tag)
}

func (s smallTopic) Limits(context.Context, string) (handler.Limits, error) {
	return handler.Limits{}, fmt.Errorf("%w: GetTopicAttributes: AccessDenied", handler.ErrConfig)
}

// An event refused by a 4 KiB topic whose limit could not be read is refitted in steps (half the
// size each time), not straight to 1,024 bytes: a failed job's compact event of some 2 KiB fits the
// topic, though not 1,024 bytes, and is published rather than dead-lettered. Where the limit is
// read, the event is fitted to it at once.
func TestAnEventIsFittedToASmallTopic(t *testing.T) {
	for name, topic := range map[string]func(handler.Topics) handler.Topics{
		"limit not read, refitted in steps": func(tp handler.Topics) handler.Topics { return smallTopic{Topics: tp, max: 4096} },
		"limit read":                        func(tp handler.Topics) handler.Topics { return readTopic{smallTopic{Topics: tp, max: 4096}} },
	} {
		t.Run(name, func(t *testing.T) {
			c := newCoreWith(t, nil, func(c *core, cl *handler.Clients) { cl.Topics = topic(cl.Topics) })
			ans := `{"RequestId":"r","JobId":"` + job1 + `","FunctionName":"ImageH2V","State":"Fail",` +
				`"Input":"oss://bucket.oss-cn-shanghai.aliyuncs.com/in.mp4","Output":"oss://bucket.oss-cn-shanghai.aliyuncs.com/out.mp4",` +
				`"UserData":null,"JobParams":"","Result":"{\"Code\":\"InternalError\",\"Message\":\"` + strings.Repeat("e", 6000) + `\"}"}`
			c.cloud.SetAnswer(job1, []byte(ans))
			got := c.invoke(`{"JobId":"` + job1 + `"}`)
			if len(got) != 1 || got[0].Decision != handler.DecisionPublished {
				t.Errorf("records %+v, want the failed job's event published (compact) on the 4 KiB topic", got)
			}
			if ev := c.cloud.Published("events"); len(ev) != 1 {
				t.Errorf("%d events published, want 1", len(ev))
			}
		})
	}
}

type readTopic struct{ smallTopic }

func (r readTopic) Limits(context.Context, string) (handler.Limits, error) {
	return handler.Limits{MaxMessage: r.max}, nil
}

// A failed re-read keeps the limits already read: a dead-letter queue known to hold 4 KiB is not
// taken at 1,024 bytes again (dead letters would lose their bodies for a minute).
func TestAFailedReReadKeepsWhatWasRead(t *testing.T) {
	var dlqReads atomic.Int32
	c := newCoreWith(t, nil, withLimits(func(_ context.Context, q string) (handler.Limits, error, bool) {
		if q == "dlq" && dlqReads.Add(1) > 1 {
			return handler.Limits{}, fmt.Errorf("%w: GetQueueAttributes timed out", handler.ErrTransient), true
		}
		return handler.Limits{}, nil, false
	}))
	c.cloud.SetJob(job1, "ImageH2V", parse.StateAnalysing)
	c.cloud.SetJob(job2, "ImageH2V", parse.StateAnalysing)
	c.invoke(`{"JobId":"` + job1 + `"}`)                                                      // reads: dlq 4 KiB
	c.cloud.CreateQueue("check", memcloudQueue(2048))                                         // the check queue's limit lowered
	c.invoke(`{"v":1,"jobId":"` + job2 + `","userData":"` + strings.Repeat("u", 3000) + `"}`) // refused, refitted, forget()
	payload := `"` + strings.Repeat("x", 3000) + `"`
	if _, err := c.h.Handle(context.Background(), []byte(payload)); err != nil { // re-read; the dlq's fails
		t.Fatal(err)
	}
	if dlqReads.Load() < 2 {
		t.Fatalf("dlq read %d times", dlqReads.Load())
	}
	if dls := c.cloud.Messages("dlq"); len(dls) != 1 || len(dls[0].Body) <= 1024 {
		t.Errorf("dead letter of %d bytes: the 4 KiB already read was replaced by the 1,024 fallback", len(dls[0].Body))
	}
}
