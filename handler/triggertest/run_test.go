package triggertest

import (
	"context"
	"errors"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
)

// runner is a bridge's Run loop.
type runner interface {
	Run(ctx context.Context) error
}

func TestRunDeliversUntilTheContextEnds(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, c *cloud, fn Func) (runner, func()) // the bridge, and what makes one event due
	}{
		{
			name: "the queue source consumes messages sent while it runs",
			setup: func(t *testing.T, c *cloud, fn Func) (runner, func()) {
				q := c.queue(t, "iprod-check")
				src := newSource(t, c, q, fn, WithBase64Decode(false), WithTick(time.Millisecond))
				return src, func() { c.send(t, q, bodyJob) }
			},
		},
		{
			name: "the topic push delivers a message published while it runs",
			setup: func(t *testing.T, c *cloud, fn Func) (runner, func()) {
				p := newTopicPush(t, c, "iprod-intake", fn, WithTick(time.Hour)) // the publish wakes it
				return p, func() { publish(t, c, "iprod-intake", bodyJob, "") }
			},
		},
		{
			name: "the timer fires when the injected clock passes a tick",
			setup: func(t *testing.T, c *cloud, fn Func) (runner, func()) {
				tm, err := NewTimer("@every 1m", "", fn, WithClock(c.clk), WithTick(time.Millisecond))
				if err != nil {
					t.Fatal(err)
				}
				return tm, func() { c.advance(time.Minute) }
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud(t)
			called := make(chan struct{}, 10)
			fn := func(context.Context, []byte) error { called <- struct{}{}; return nil }
			r, trigger := tc.setup(t, c, fn)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			trigger()
			// The guard only keeps a broken bridge from hanging the suite.
			guard := time.NewTimer(30 * time.Second)
			defer guard.Stop()
			select {
			case <-called:
			case <-guard.C:
				t.Fatal("Run never delivered")
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		})
	}
}

func TestRunCountsMNSErrorsAndKeepsGoing(t *testing.T) {
	c := newCloud(t)
	src := newSource(t, c, ali_mns.NewMNSQueue("no-such-queue", c.client), (&sink{}).fn, WithTick(time.Millisecond))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	guard := time.NewTimer(30 * time.Second)
	defer guard.Stop()
	for src.Stats().Errors < 2 {
		select {
		case <-guard.C:
			t.Fatal("Run recorded fewer than 2 errors")
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	<-done
	if err := src.Stats().LastError; !ali_mns.ERR_MNS_QUEUE_NOT_EXIST.IsEqual(errors.Unwrap(err)) {
		t.Errorf("LastError = %v, want the SDK's ERR_MNS_QUEUE_NOT_EXIST", err)
	}
}
