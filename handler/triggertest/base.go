package triggertest

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"time"
)

// base is what every bridge shares: the function, the records, and the Run loop.
type base struct {
	cfg  config
	kind Kind
	fn   Func

	step sync.Mutex // serialises RunDue; held while the function runs
	rng  *rand.Rand // guarded by step

	mu         sync.Mutex // guards the records below; never held while the function runs
	deliveries []Delivery
	dropped    []Dropped
	stats      Stats

	wake chan struct{} // buffered 1: something became due outside the clock's ticking
}

// init sets up b in place (it holds locks, so it is never copied).
func (b *base) init(cfg config, kind Kind, fn Func) error {
	if fn == nil {
		return fmt.Errorf("%w: nil function", ErrInvalidConfig)
	}
	if err := cfg.validateCommon(); err != nil {
		return err
	}
	b.cfg, b.kind, b.fn = cfg, kind, fn
	b.rng = rand.New(rand.NewSource(cfg.seed))
	b.wake = make(chan struct{}, 1)
	return nil
}

// call is one invocation to make.
type call struct {
	seq, retry int
	payload    []byte
	ids        []string
}

// invoke runs the calls (in parallel when more than one: the caller bounds them by
// concurrency), then records them in call order so records do not depend on scheduling.
func (b *base) invoke(ctx context.Context, calls []call) []error {
	now := b.cfg.clock.Now()
	errs := make([]error, len(calls))
	if len(calls) == 1 {
		errs[0] = b.call1(ctx, calls[0])
	} else {
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() { errs[i] = b.call1(ctx, calls[i]) })
		}
		wg.Wait()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, c := range calls {
		b.deliveries = append(b.deliveries, Delivery{
			Seq: c.seq, RetryCount: c.retry, Time: now, Payload: c.payload, MessageIDs: c.ids, Err: errs[i],
		})
		b.stats.Invocations++
		if errs[i] != nil {
			b.stats.Failures++
		}
		if c.retry > 0 {
			b.stats.Retries++
		}
	}
	return errs
}

// call1 runs the function once, turning a panic into an error as the FC runtime does.
func (b *base) call1(ctx context.Context, c call) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %v", ErrPanic, v)
		}
	}()
	ctx = context.WithValue(ctx, invocationKey{}, Invocation{Kind: b.kind, Trigger: b.cfg.triggerName, Seq: c.seq, RetryCount: c.retry})
	return b.fn(ctx, c.payload)
}

func (b *base) drop(d Dropped) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dropped = append(b.dropped, d)
	b.stats.Dropped++
}

func (b *base) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// run calls due on every real tick and wake-up until ctx ends, and returns ctx.Err(). Errors of
// due are counted in Stats (a demo keeps running through a failing MNS call, as the cloud does).
func (b *base) run(ctx context.Context, due func(context.Context) (int, error)) error {
	t := time.NewTicker(b.cfg.tick)
	defer t.Stop()
	for {
		if _, err := due(ctx); err != nil && ctx.Err() == nil {
			b.mu.Lock()
			b.stats.Errors++
			b.stats.LastError = err
			b.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-b.wake:
		}
	}
}

// Deliveries returns every invocation so far, oldest first.
func (b *base) Deliveries() []Delivery {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Delivery(nil), b.deliveries...)
}

// DroppedEvents returns the events given up after their retries, oldest first.
func (b *base) DroppedEvents() []Dropped {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Dropped(nil), b.dropped...)
}

// Stats returns the counters.
func (b *base) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// maxRounds bounds one RunDue: a function that keeps making new work due at the same instant
// (publishing to its own topic, say) cannot spin it forever; the next RunDue goes on.
const maxRounds = 1000
