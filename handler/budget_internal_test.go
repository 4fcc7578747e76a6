package handler

import (
	"testing"
	"time"

	"iprodwatch/handler/clock"
)

func TestBudgetNeverGrantsMoreThanItsRateInAnySecond(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, qps := range []float64{1, 2.5, 10, 100, 0.5} {
		b := newBudget(qps, clock.NewManual(t0), nil)
		var grants []time.Time
		now := t0
		for i := range 400 {
			g := b.reserve(now)
			if g.Before(now) {
				t.Fatalf("qps %v: grant %v before now %v", qps, g, now)
			}
			grants = append(grants, g)
			if i%7 == 0 { // callers arrive at irregular instants
				now = now.Add(time.Duration(i%5) * 100 * time.Millisecond)
			}
		}
		// Any window of one second holds at most floor(qps) grants, and one below one a second.
		limit := max(1, int(qps))
		for i := range grants {
			in := 0
			for _, g := range grants[i:] {
				if g.Sub(grants[i]) < time.Second {
					in++
				}
			}
			if in > limit {
				t.Fatalf("qps %v: %d grants in the second from %v", qps, in, grants[i])
			}
		}
	}
}

func TestBudgetLetsABatchGoAtOnce(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	b := newBudget(20, clock.NewManual(t0), nil)
	for i := range 16 {
		if g := b.reserve(t0); !g.Equal(t0) {
			t.Fatalf("query %d of a batch of 16 under a budget of 20 waits until %v", i, g)
		}
	}
}

func TestBudgetHalvesOnThrottlingAndRecovers(t *testing.T) {
	b := newBudget(10, clock.NewManual(time.Time{}), nil)
	b.throttled()
	b.throttled()
	if b.qps != 2.5 {
		t.Errorf("after two throttled answers qps = %v, want 2.5", b.qps)
	}
	for range 5 {
		b.throttled()
	}
	if b.qps != 1 {
		t.Errorf("qps fell to %v, want the floor of a tenth (1)", b.qps)
	}
	for range 100 {
		b.succeeded()
	}
	if b.qps != 10 {
		t.Errorf("qps recovered to %v, want 10", b.qps)
	}
}
