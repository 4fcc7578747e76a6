// Package porttest is the contract of the handler's ports, as gocloud.dev's drivertest is of its
// drivers: what every Jobs, Queues and Topics must do, and which error class each failure must
// match (ErrConfig, ErrTransient, ErrThrottled, ErrNoSuchJob, ErrTooLarge; a cancelled context as
// it is). The SDK adapters (handler/cloud, over the emulators) and the in-memory fake
// (handler/memcloud) both pass it, so tests that use the fake learn what the real adapters do.
//
// Where the services' documentation leaves an answer open, the contract accepts every plausible
// one: a job MPS does not know is ErrNoSuchJob or a body with only RequestId and JobId; a receive
// may return fewer messages than asked for.
package porttest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/parse"
)

// The names and limits of a World: the queue and topic exist, the Missing ones do not.
const (
	Queue        = "porttest-queue"
	Topic        = "porttest-topic"
	MissingQueue = "porttest-no-such-queue"
	// SmallQueue is a queue whose MaximumMessageSize is SmallMessage.
	SmallQueue   = "porttest-small-queue"
	SmallMessage = 4096
	MissingTopic = "porttest-no-such-topic"
	// Retention and Visibility are the queue's attributes.
	Retention  = 4 * 24 * time.Hour
	Visibility = 30 * time.Second
)

// Fault is a failure a World injects into the next query of a job.
type Fault int

// The faults.
const (
	Throttled        Fault = iota + 1 // MPS's own flow control: Throttling (its status undocumented)
	Unavailable                       // a 5xx with an API error body
	GatewayPage                       // a gateway's HTML 502 page instead of the API's answer
	GatewayThrottled                  // a gateway's HTML 429 page
	ThrottledUser                     // the API gateway's per-user quota: 400 Throttling.User
)

// Published is one message on a topic.
type Published struct {
	Body string
	Tag  string
}

// World is a fresh service behind the ports under test: Queue (with Retention and Visibility),
// SmallQueue (with SmallMessage as its MaximumMessageSize) and Topic exist, no job does, on a clock only Advance moves.
type World interface {
	// Clients are the ports under test, with credentials the service accepts.
	Clients(t *testing.T) *handler.Clients
	// Refused are the same ports with credentials the service rejects.
	Refused(t *testing.T) *handler.Clients
	// AddJob makes a job of the algorithm, running or already succeeded.
	AddJob(t *testing.T, id, algorithm string, final bool)
	// FailNextQuery makes the next query of job id fail with f.
	FailNextQuery(t *testing.T, id string, f Fault)
	// Advance moves the service's clock.
	Advance(d time.Duration)
	// Published lists what was published to topic, in order.
	Published(t *testing.T, topic string) []Published
}

// Harness makes a fresh World for one test.
type Harness func(t *testing.T) World

const (
	jobA = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	jobB = "f9e8d7c6b5a493827160f5e4d3c2b1a0"
)

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// wantClass fails the test unless err matches class (and, for a transient class, is no
// configuration fault).
func wantClass(t *testing.T, what string, err, class error) {
	t.Helper()
	if !errors.Is(err, class) {
		t.Errorf("%s: error %v, want one matching %q", what, err, class)
	}
	if class != handler.ErrConfig && errors.Is(err, handler.ErrConfig) {
		t.Errorf("%s: error %v is also a configuration fault", what, err)
	}
	// A context error comes back as it is: in none of the handler's categories.
	if class == context.Canceled && errors.Is(err, handler.ErrTransient) {
		t.Errorf("%s: the context error %v was wrapped as transient", what, err)
	}
}

// RunJobsTests runs the contract of Jobs.
func RunJobsTests(t *testing.T, h Harness) {
	ctx := context.Background()
	t.Run("a job's answer is its QueryIProductionJob body", func(t *testing.T) {
		w := h(t)
		w.AddJob(t, jobA, "VideoH2V", false)
		w.AddJob(t, jobB, "Cover", true)
		for _, tt := range []struct {
			id    string
			final bool
		}{{jobA, false}, {jobB, true}} {
			body, err := w.Clients(t).Jobs.QueryJob(ctx, tt.id)
			if err != nil {
				t.Fatalf("QueryJob(%s): %v", tt.id, err)
			}
			job, err := parse.DecodeJob(body)
			if err != nil {
				t.Fatalf("the answer does not decode: %v\n%s", err, body)
			}
			if !strings.EqualFold(job.JobID, tt.id) || job.State.Final() != tt.final {
				t.Errorf("answer about %s in state %s, want %s final=%v", job.JobID, job.State, tt.id, tt.final)
			}
		}
	})
	t.Run("a job the service does not know is ErrNoSuchJob, or a body that says so", func(t *testing.T) {
		w := h(t)
		body, err := w.Clients(t).Jobs.QueryJob(ctx, jobA)
		if err != nil {
			wantClass(t, "QueryJob of an unknown job", err, handler.ErrNoSuchJob)
			return
		}
		var none *parse.NoSuchJobError
		if _, derr := parse.DecodeJob(body); !errors.As(derr, &none) {
			t.Errorf("QueryJob of an unknown job answered %s (%v), want ErrNoSuchJob or a no-such-job body", body, derr)
		}
	})
	faults := []struct {
		name  string
		f     Fault
		class error
	}{
		{"throttling is ErrThrottled, which is transient", Throttled, handler.ErrThrottled},
		{"a 5xx is transient, not throttled", Unavailable, handler.ErrTransient},
		{"a gateway's HTML page is ErrGarbled, which is transient", GatewayPage, handler.ErrGarbled},
		{"a gateway's 429 page is ErrThrottled", GatewayThrottled, handler.ErrThrottled},
		{"the gateway's 400 Throttling.User is ErrThrottled", ThrottledUser, handler.ErrThrottled},
	}
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			w := h(t)
			w.AddJob(t, jobA, "VideoH2V", false)
			w.FailNextQuery(t, jobA, tt.f)
			_, err := w.Clients(t).Jobs.QueryJob(ctx, jobA)
			wantClass(t, "QueryJob", err, tt.class)
			if !errors.Is(err, handler.ErrTransient) {
				t.Errorf("QueryJob: %v is not transient", err)
			}
			if tt.class != handler.ErrThrottled && errors.Is(err, handler.ErrThrottled) {
				t.Errorf("QueryJob: %v is throttled", err)
			}
			if _, err := w.Clients(t).Jobs.QueryJob(ctx, jobA); err != nil {
				t.Errorf("the query after the fault: %v", err)
			}
		})
	}
	t.Run("rejected credentials are ErrConfig", func(t *testing.T) {
		w := h(t)
		w.AddJob(t, jobA, "VideoH2V", false)
		_, err := w.Refused(t).Jobs.QueryJob(ctx, jobA)
		wantClass(t, "QueryJob with rejected credentials", err, handler.ErrConfig)
	})
	t.Run("a cancelled context is returned as it is", func(t *testing.T) {
		w := h(t)
		w.AddJob(t, jobA, "VideoH2V", false)
		_, err := w.Clients(t).Jobs.QueryJob(cancelled(), jobA)
		wantClass(t, "QueryJob with a cancelled context", err, context.Canceled)
	})
}

// RunQueuesTests runs the contract of Queues.
func RunQueuesTests(t *testing.T, h Harness) {
	ctx := context.Background()
	receiveOne := func(t *testing.T, q handler.Queues) handler.Received {
		t.Helper()
		got, err := q.Receive(ctx, Queue, 16, 0)
		if err != nil || len(got) != 1 {
			t.Fatalf("Receive = %d messages, %v; want 1", len(got), err)
		}
		return got[0]
	}
	receiveNone := func(t *testing.T, q handler.Queues, why string) {
		t.Helper()
		got, err := q.Receive(ctx, Queue, 16, 0)
		if err != nil || len(got) != 0 {
			t.Fatalf("Receive %s = %d messages, %v; want none and no error", why, len(got), err)
		}
	}
	t.Run("a message sent is received with its body, counts and times, and deleted", func(t *testing.T) {
		w := h(t)
		q := w.Clients(t).Queues
		body := []byte(`{"v":1,"jobId":"` + jobA + `","attempt":2,"userData":"<&>"}`)
		if err := q.Send(ctx, Queue, body, 0); err != nil {
			t.Fatal(err)
		}
		m := receiveOne(t, q)
		if string(m.Body) != string(body) || m.DequeueCount != 1 || m.EnqueuedAt.IsZero() || m.Receipt == "" || m.ID == "" {
			t.Errorf("received %+v, want the body as sent, dequeue count 1, an enqueue time, a receipt and an id", m)
		}
		receiveNone(t, q, "while the message is invisible")
		if err := q.Delete(ctx, Queue, m.Receipt); err != nil {
			t.Fatal(err)
		}
		w.Advance(Visibility + time.Second)
		receiveNone(t, q, "after the delete")
	})
	t.Run("an empty queue is no error", func(t *testing.T) {
		receiveNone(t, h(t).Clients(t).Queues, "from an empty queue")
	})
	t.Run("a delayed message is hidden until its delay passes", func(t *testing.T) {
		w := h(t)
		q := w.Clients(t).Queues
		if err := q.Send(ctx, Queue, []byte("later"), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		receiveNone(t, q, "before the delay")
		w.Advance(11 * time.Second)
		receiveOne(t, q)
	})
	t.Run("a deferred message comes back after the deferral, its dequeue count grown", func(t *testing.T) {
		w := h(t)
		q := w.Clients(t).Queues
		if err := q.Send(ctx, Queue, []byte("again"), 0); err != nil {
			t.Fatal(err)
		}
		m := receiveOne(t, q)
		held, err := q.Defer(ctx, Queue, m.Receipt, 2*Visibility)
		if err != nil || held == "" || held == m.Receipt {
			t.Fatalf("Defer = %q, %v; want a new receipt", held, err)
		}
		w.Advance(Visibility + time.Second)
		receiveNone(t, q, "during the deferral")
		w.Advance(Visibility)
		if again := receiveOne(t, q); again.DequeueCount != 2 || string(again.Body) != "again" {
			t.Errorf("came back as %+v, want dequeue count 2 and the same body", again)
		}
	})
	t.Run("a deferred message is deleted with its new receipt, not the old one", func(t *testing.T) {
		w := h(t)
		q := w.Clients(t).Queues
		if err := q.Send(ctx, Queue, []byte("moved"), 0); err != nil {
			t.Fatal(err)
		}
		m := receiveOne(t, q)
		held, err := q.Defer(ctx, Queue, m.Receipt, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Delete(ctx, Queue, m.Receipt); err != nil {
			t.Errorf("Delete with the receipt Defer replaced: %v, want no error", err)
		}
		if again, err := q.Defer(ctx, Queue, held, time.Second); err != nil || again == "" {
			t.Fatalf("Defer with the new receipt after a Delete with the old = %q, %v: the old one deleted it", again, err)
		} else if err := q.Delete(ctx, Queue, again); err != nil {
			t.Fatal(err)
		}
		w.Advance(time.Minute + Visibility)
		receiveNone(t, q, "after the delete with the latest receipt")
	})
	t.Run("a receive takes at most what it asks for", func(t *testing.T) {
		w := h(t)
		q := w.Clients(t).Queues
		for i := range 3 {
			if err := q.Send(ctx, Queue, []byte{'a' + byte(i)}, 0); err != nil {
				t.Fatal(err)
			}
		}
		got, err := q.Receive(ctx, Queue, 2, 0)
		if err != nil || len(got) < 1 || len(got) > 2 {
			t.Errorf("Receive(2) = %d messages, %v; want 1 or 2 (the service may return fewer than asked)", len(got), err)
		}
	})
	t.Run("a receipt that is no longer valid is no error to delete, and defers nothing", func(t *testing.T) {
		w := h(t)
		q := w.Clients(t).Queues
		if err := q.Send(ctx, Queue, []byte("stale"), 0); err != nil {
			t.Fatal(err)
		}
		old := receiveOne(t, q)
		w.Advance(Visibility + time.Second)
		fresh := receiveOne(t, q)
		if err := q.Delete(ctx, Queue, old.Receipt); err != nil {
			t.Errorf("Delete with a stale receipt: %v", err)
		}
		if held, err := q.Defer(ctx, Queue, old.Receipt, time.Minute); err != nil || held != "" {
			t.Errorf("Defer with a stale receipt = %q, %v; want no receipt and no error", held, err)
		}
		if err := q.Delete(ctx, Queue, fresh.Receipt); err != nil {
			t.Errorf("Delete with the fresh receipt: %v", err)
		}
	})
	t.Run("the limits are the queue's", func(t *testing.T) {
		w := h(t)
		got, err := w.Clients(t).Queues.Limits(ctx, Queue)
		if want := (handler.Limits{MaxMessage: handler.MaxMessage, Retention: Retention}); err != nil || got != want {
			t.Errorf("Limits(%s) = %+v, %v; want %+v", Queue, got, err, want)
		}
		got, err = w.Clients(t).Queues.Limits(ctx, SmallQueue)
		if err != nil || got.MaxMessage != SmallMessage {
			t.Errorf("Limits(%s) = %+v, %v; want MaxMessage %d", SmallQueue, got, err, SmallMessage)
		}
	})
	t.Run("a message over the queue's own limit is ErrTooLarge; a delay out of range is not", func(t *testing.T) {
		q := h(t).Clients(t).Queues
		wantClass(t, "Send over SmallMessage", q.Send(ctx, SmallQueue, []byte(strings.Repeat("x", SmallMessage+1)), 0), handler.ErrTooLarge)
		if err := q.Send(ctx, SmallQueue, []byte(strings.Repeat("x", SmallMessage)), 0); err != nil {
			t.Errorf("Send of SmallMessage bytes: %v", err)
		}
		if err := q.Send(ctx, Queue, []byte("x"), 8*24*time.Hour); err != nil && errors.Is(err, handler.ErrTooLarge) {
			t.Errorf("Send with a delay past 7 days: %v is not about the size", err)
		}
	})
	t.Run("a message over 64 KiB is ErrTooLarge", func(t *testing.T) {
		err := h(t).Clients(t).Queues.Send(ctx, Queue, []byte(strings.Repeat("x", handler.MaxMessage+1)), 0)
		wantClass(t, "Send of 64 KiB + 1", err, handler.ErrTooLarge)
	})
	t.Run("a message of exactly 64 KiB is sent", func(t *testing.T) {
		if err := h(t).Clients(t).Queues.Send(ctx, Queue, []byte(strings.Repeat("x", handler.MaxMessage)), 0); err != nil {
			t.Errorf("Send of 64 KiB: %v", err)
		}
	})
	t.Run("a missing queue is ErrConfig", func(t *testing.T) {
		q := h(t).Clients(t).Queues
		wantClass(t, "Send", q.Send(ctx, MissingQueue, []byte("x"), 0), handler.ErrConfig)
		_, err := q.Receive(ctx, MissingQueue, 1, 0)
		wantClass(t, "Receive", err, handler.ErrConfig)
		_, err = q.Limits(ctx, MissingQueue)
		wantClass(t, "Limits", err, handler.ErrConfig)
	})
	t.Run("rejected credentials are ErrConfig", func(t *testing.T) {
		q := h(t).Refused(t).Queues
		wantClass(t, "Send", q.Send(ctx, Queue, []byte("x"), 0), handler.ErrConfig)
		_, err := q.Receive(ctx, Queue, 1, 0)
		wantClass(t, "Receive", err, handler.ErrConfig)
	})
	t.Run("a cancelled context is returned as it is", func(t *testing.T) {
		q := h(t).Clients(t).Queues
		wantClass(t, "Send", q.Send(cancelled(), Queue, []byte("x"), 0), context.Canceled)
		_, err := q.Receive(cancelled(), Queue, 1, 0)
		wantClass(t, "Receive", err, context.Canceled)
		wantClass(t, "Delete", q.Delete(cancelled(), Queue, "r"), context.Canceled)
		_, err = q.Defer(cancelled(), Queue, "r", time.Second)
		wantClass(t, "Defer", err, context.Canceled)
		_, err = q.Limits(cancelled(), Queue)
		wantClass(t, "Limits", err, context.Canceled)
	})
}

// RunTopicsTests runs the contract of Topics.
func RunTopicsTests(t *testing.T, h Harness) {
	ctx := context.Background()
	t.Run("a published message arrives with its body and tag", func(t *testing.T) {
		w := h(t)
		body := `{"specversion":"1.0","data":{"userData":"<&>"}}`
		if err := w.Clients(t).Topics.Publish(ctx, Topic, []byte(body), "succeeded"); err != nil {
			t.Fatal(err)
		}
		got := w.Published(t, Topic)
		if len(got) != 1 || got[0].Body != body || got[0].Tag != "succeeded" {
			t.Errorf("published %+v, want the body and the tag succeeded", got)
		}
	})
	t.Run("a message over 64 KiB is ErrTooLarge", func(t *testing.T) {
		err := h(t).Clients(t).Topics.Publish(ctx, Topic, []byte(strings.Repeat("x", handler.MaxMessage+1)), "failed")
		wantClass(t, "Publish of 64 KiB + 1", err, handler.ErrTooLarge)
	})
	t.Run("a missing topic is ErrConfig", func(t *testing.T) {
		err := h(t).Clients(t).Topics.Publish(ctx, MissingTopic, []byte("x"), "failed")
		wantClass(t, "Publish", err, handler.ErrConfig)
		_, err = h(t).Clients(t).Topics.Limits(ctx, MissingTopic)
		wantClass(t, "Limits", err, handler.ErrConfig)
	})
	t.Run("the limits are the topic's", func(t *testing.T) {
		got, err := h(t).Clients(t).Topics.Limits(ctx, Topic)
		if err != nil || got.MaxMessage != handler.MaxMessage {
			t.Errorf("Limits(%s) = %+v, %v; want MaxMessage %d", Topic, got, err, handler.MaxMessage)
		}
	})
	t.Run("rejected credentials are ErrConfig", func(t *testing.T) {
		err := h(t).Refused(t).Topics.Publish(ctx, Topic, []byte("x"), "failed")
		wantClass(t, "Publish", err, handler.ErrConfig)
	})
	t.Run("a cancelled context is returned as it is", func(t *testing.T) {
		err := h(t).Clients(t).Topics.Publish(cancelled(), Topic, []byte("x"), "failed")
		wantClass(t, "Publish", err, context.Canceled)
	})
}
