// Package clock is the one notion of time shared by the handler and the emulators, so a test or
// the demo can run days of job lifecycles, delays and rate windows in seconds.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time. Everything that schedules, expires or rate-limits reads it; nothing in
// those paths calls time.Now directly.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Manual is a clock that moves only when told to. The zero value is not usable; use NewManual.
type Manual struct {
	mu  sync.Mutex
	now time.Time
}

// NewManual returns a clock stopped at start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

// Now returns the current manual time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Advance moves the clock forward by d and returns the new time.
func (m *Manual) Advance(d time.Duration) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
	return m.now
}

// Set moves the clock to t (backwards too: tests of skew need it).
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = t
}

// Scaled runs factor times faster than the wall clock from start: with factor 3600 an hour of
// injected time passes each real second.
type Scaled struct {
	start  time.Time
	origin time.Time
	factor float64
	real   func() time.Time
}

// NewScaled returns a clock that reads start now and advances factor times the wall clock.
func NewScaled(start time.Time, factor float64) *Scaled {
	return &Scaled{start: start, origin: time.Now(), factor: factor, real: time.Now}
}

// Now returns start plus factor times the real time elapsed since NewScaled.
func (s *Scaled) Now() time.Time {
	elapsed := s.real().Sub(s.origin)
	return s.start.Add(time.Duration(float64(elapsed) * s.factor))
}

// AdvanceTo moves the clock forward to t; a t in the past leaves it where it is. Concurrent
// sleepers on one manual clock then wake in order without pushing time further than the latest.
func (m *Manual) AdvanceTo(t time.Time) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.After(m.now) {
		m.now = t
	}
	return m.now
}

// Sleep waits d of real time, or until ctx ends (then it returns ctx.Err()).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
