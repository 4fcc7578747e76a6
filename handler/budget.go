package handler

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"iprodwatch/handler/clock"
)

// budget holds one instance under its share of the account's QueryIProductionJob quota: a token
// bucket of burst 1 on the injected clock (so no clock second sees more than the budget), halved on
// each Throttling answer and restored gently by successes, so that throttled instances back off
// together.
type budget struct {
	mu    sync.Mutex
	lim   *rate.Limiter
	max   rate.Limit
	clock clock.Clock
	sleep func(ctx context.Context, until time.Time) error
}

func newBudget(qps float64, c clock.Clock, sleep func(context.Context, time.Time) error) *budget {
	return &budget{lim: rate.NewLimiter(rate.Limit(qps), 1), max: rate.Limit(qps), clock: c, sleep: sleep}
}

// wait blocks until this instance may make one more query. It goes through sleep even when the
// token is there already, so that a virtual clock in tests sees every grant in order.
func (b *budget) wait(ctx context.Context) error {
	now := b.clock.Now()
	r := b.lim.ReserveN(now, 1)
	if err := b.sleep(ctx, now.Add(max(r.DelayFrom(now), 0))); err != nil {
		r.CancelAt(b.clock.Now())
		return err
	}
	return nil
}

// throttled halves the rate, down to a tenth of the budget.
func (b *budget) throttled() {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	b.lim.SetLimitAt(now, max(b.lim.Limit()/2, b.max/10))
}

// succeeded restores a twentieth of the budget, up to the whole.
func (b *budget) succeeded() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l := b.lim.Limit(); l < b.max {
		b.lim.SetLimitAt(b.clock.Now(), min(b.max, l+b.max/20))
	}
}

// rate reports the current rate, for logs and tests.
func (b *budget) rate() float64 { return float64(b.lim.Limit()) }
