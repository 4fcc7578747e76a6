package mnstest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler/clock"
)

// pushWorld is a topic with one SIMPLIFIED subscription to queue "sink", which exists unless
// missing.
func pushWorld(t *testing.T, strategy string, missing bool, opts ...Option) *Server {
	t.Helper()
	s := NewServer(append([]Option{WithClock(clock.NewManual(t0)), WithCredential(testID, testSecret)}, opts...)...)
	t.Cleanup(s.Close)
	if err := s.CreateTopic("events"); err != nil {
		t.Fatal(err)
	}
	if !missing {
		if err := s.CreateQueue("sink", QueueAttributes{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Subscribe("events", "sub", Subscription{Endpoint: s.QueueEndpoint("sink"), NotifyStrategy: strategy, NotifyContentFormat: FormatSimplified}); err != nil {
		t.Fatal(err)
	}
	return s
}

// Issue 15: topic push happened inside PublishMessage. It is carried out after the answer, on
// the injected clock.
func TestTopicPushIsDueAfterItsLatency(t *testing.T) {
	s := pushWorld(t, "", false, WithPushLatency(2*time.Second))
	if _, err := s.Publish("events", "hello", ""); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Messages("sink")); n != 0 || s.PendingPushes() != 1 {
		t.Errorf("%d messages and %d pending pushes right after the publish, want 0 and 1", n, s.PendingPushes())
	}
	s.Advance(2 * time.Second)
	if m := s.Messages("sink"); len(m) != 1 || m[0].Body != "hello" || !m[0].EnqueueTime.Equal(t0.Add(2*time.Second)) {
		t.Errorf("messages %+v after the latency, want the notification enqueued then", m)
	}
}

// A push to a queue that does not exist (yet) is retried by the subscription's NotifyStrategy and
// arrives once the queue is there; past the strategy's retries it is dropped.
func TestAFailedPushIsRetriedByItsNotifyStrategy(t *testing.T) {
	tests := []struct {
		name         string
		strategy     string
		createAfter  time.Duration // 0: never
		run          time.Duration // of clock, in 1 s steps
		wantMessages int
		wantDropped  []int // the failures of each dropped push
	}{
		{"BACKOFF_RETRY delivers to a queue created 25 s later", "BACKOFF_RETRY", 25 * time.Second, 90 * time.Second, 1, nil},
		{"BACKOFF_RETRY drops after 3 retries", "BACKOFF_RETRY", 0, 90 * time.Second, 0, []int{4}},
		{"EXPONENTIAL_DECAY_RETRY still retries after 3 minutes", "EXPONENTIAL_DECAY_RETRY", 5 * time.Minute, 20 * time.Minute, 1, nil},
		{"EXPONENTIAL_DECAY_RETRY drops after 176 retries, a day", "EXPONENTIAL_DECAY_RETRY", 0, 25 * time.Hour, 0, []int{177}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := pushWorld(t, tt.strategy, true)
			if _, err := s.Publish("events", "hello", ""); err != nil {
				t.Fatal(err)
			}
			step := time.Second
			if tt.run > time.Hour {
				step = time.Minute
			}
			for at := time.Duration(0); at < tt.run; at += step {
				s.Advance(step)
				if tt.createAfter != 0 && at+step >= tt.createAfter && s.Messages("sink") == nil {
					if err := s.CreateQueue("sink", QueueAttributes{}); err != nil {
						t.Fatal(err)
					}
				}
				s.PendingPushes() // a look, as any request is
			}
			var dropped []int
			for _, d := range s.DroppedPushes() {
				dropped = append(dropped, d.Failures)
			}
			if diff := cmp.Diff(tt.wantDropped, dropped); diff != "" {
				t.Errorf("dropped pushes' failures (-want +got):\n%s", diff)
			}
			if n := len(s.Messages("sink")); n != tt.wantMessages {
				t.Errorf("%d messages in the queue, want %d", n, tt.wantMessages)
			}
		})
	}
}

// A push carried out late (nobody looked at a queue for a while) is enqueued when it was due, so
// its EnqueueTime and visibility do not depend on when the server was next asked (found by the
// review of the push).
func TestALatePushIsEnqueuedWhenItWasDue(t *testing.T) {
	s := pushWorld(t, "", false, WithPushLatency(2*time.Second))
	if _, err := s.Publish("events", "hello", ""); err != nil {
		t.Fatal(err)
	}
	clk := s.clock.(*clock.Manual)
	clk.Advance(time.Hour) // no Wake: the server does not look until Messages
	if m := s.Messages("sink"); len(m) != 1 || !m[0].EnqueueTime.Equal(t0.Add(2*time.Second)) {
		t.Errorf("messages %+v, want the notification enqueued at its due time, %s", m, t0.Add(2*time.Second))
	}
}
