package handler

import (
	"context"
	"math"
	"sync"
	"time"

	"iprodwatch/handler/clock"
)

// budget holds one instance under its share of the account's QueryIProductionJob quota, which is
// counted per second. It is a sliding window on the injected clock: at most floor(qps) queries in
// any second (one every 1/qps seconds below one a second). A token bucket would
// either space a batch's queries out one by one (burst 1: a batch of 16 waits 1.5 s at 10 QPS) or
// let one second see up to twice the budget (burst = qps); the window lets a batch go at once and
// never lets any second see more. Each Throttling answer halves the rate (down to a tenth) and each
// success restores a twentieth, so throttled instances back off together.
type budget struct {
	mu     sync.Mutex
	max    float64
	qps    float64
	grants []time.Time // instants granted, in order; only the last window's are kept
	clock  clock.Clock
	sleep  Sleeper
}

func newBudget(qps float64, c clock.Clock, sleep Sleeper) *budget {
	return &budget{max: qps, qps: qps, clock: c, sleep: sleep}
}

// window is how many queries the current rate allows in how long: floor(qps) a second, or one
// every 1/qps seconds below one a second.
func (b *budget) window() (int, time.Duration) {
	if b.qps >= 1 {
		return int(math.Floor(b.qps)), time.Second
	}
	return 1, time.Duration(float64(time.Second) / b.qps)
}

// reserve grants the next query an instant, now or later, and records it.
func (b *budget) reserve(now time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, w := b.window()
	at := now
	if len(b.grants) >= n {
		// The n-th latest grant must have left the window before this one enters it.
		at = maxTime(now, b.grants[len(b.grants)-n].Add(w))
	}
	b.grants = append(b.grants, at)
	// Forget what can no longer matter: grants older than a window before now, beyond the last n.
	drop := 0
	for drop < len(b.grants)-n && b.grants[drop].Before(now.Add(-w)) {
		drop++
	}
	b.grants = b.grants[drop:]
	return at
}

// wait blocks until this instance may make one more query. It goes through the sleeper even when
// the query may go at once, so that a virtual clock in tests sees every grant, in order.
func (b *budget) wait(ctx context.Context) error {
	return b.sleep(ctx, b.reserve)
}

// throttled halves the rate, down to a tenth of the budget.
func (b *budget) throttled() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.qps = max(b.qps/2, b.max/10)
}

// succeeded restores a twentieth of the budget, up to the whole.
func (b *budget) succeeded() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.qps = min(b.max, b.qps+b.max/20)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
