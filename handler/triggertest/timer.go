package triggertest

import (
	"context"
	"fmt"
	"time"
)

// maxTimerPayload is the timer trigger's payload limit (the async invocation limit, 128 KB).
const maxTimerPayload = 128 << 10

// Timer is a timer trigger: it invokes the function at every tick of its schedule on the
// injected clock, asynchronously: a failed invocation is retried up to maxAsyncRetryAttempts
// times (1, 2, 4 … s apart; FC documents only the count), then dropped.
type Timer struct {
	pendingQueue
	sched   Schedule
	payload string
	next    time.Time // guarded by mu: NextTick may be called from inside the function
	seq     int       // guarded by step
}

// timerEvent is the documented timer event, fields in order, all strings.
type timerEvent struct {
	TriggerTime string `json:"triggerTime"`
	TriggerName string `json:"triggerName"`
	Payload     string `json:"payload"`
}

// NewTimer starts a timer whose first tick is the first one of cronExpression (see
// ParseSchedule) strictly after the injected now. payload is the trigger's configured message
// (at most 128 KB). Options: WithTriggerName, WithMaxAsyncRetryAttempts, WithClock, WithSeed,
// WithTick, WithConcurrency.
func NewTimer(cronExpression, payload string, fn Func, opts ...Option) (*Timer, error) {
	cfg := defaultConfig("timerTrigger")
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxAsyncRetry < 0 || cfg.maxAsyncRetry > 8 {
		return nil, fmt.Errorf("%w: maxAsyncRetryAttempts %d outside 0-8", ErrInvalidConfig, cfg.maxAsyncRetry)
	}
	if len(payload) > maxTimerPayload {
		return nil, fmt.Errorf("%w: payload of %d bytes over %d", ErrInvalidConfig, len(payload), maxTimerPayload)
	}
	sched, err := ParseSchedule(cronExpression)
	if err != nil {
		return nil, err
	}
	t := &Timer{
		pendingQueue: pendingQueue{retries: cfg.maxAsyncRetry, delay: asyncRetryDelay},
		sched:        sched, payload: payload,
	}
	if err := t.init(cfg, KindTimer, fn); err != nil {
		return nil, err
	}
	t.next = sched.Next(cfg.clock.Now())
	return t, nil
}

// RunDue fires every tick due at the injected now (each missed tick once, in order, when the
// clock jumped), delivers due retries, and returns the invocations made.
func (t *Timer) RunDue(ctx context.Context) (int, error) {
	t.step.Lock()
	defer t.step.Unlock()
	now := t.cfg.clock.Now()
	for {
		t.mu.Lock()
		tick := t.next
		if tick.IsZero() || tick.After(now) {
			t.mu.Unlock()
			break
		}
		t.next = t.sched.Next(tick)
		t.mu.Unlock()
		t.seq++
		t.add(&pending{seq: t.seq, payload: t.event(tick), due: tick})
	}
	return t.deliverDue(ctx), nil
}

func (t *Timer) event(tick time.Time) []byte {
	return marshalCompact(timerEvent{
		TriggerTime: tick.UTC().Format(time.RFC3339), TriggerName: t.cfg.triggerName, Payload: t.payload,
	})
}

// NextTick is the next scheduled tick (zero when the schedule has none left).
func (t *Timer) NextTick() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next
}

// Run calls RunDue on every real tick until ctx ends and returns ctx.Err().
func (t *Timer) Run(ctx context.Context) error { return t.run(ctx, t.RunDue) }
