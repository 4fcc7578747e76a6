package clock

import (
	"testing"
	"time"
)

func TestManualMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewManual(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %v, want %v", got, start)
	}
	if got := c.Advance(7 * 24 * time.Hour); !got.Equal(start.Add(168 * time.Hour)) {
		t.Fatalf("Advance(7d) = %v", got)
	}
	c.Set(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("after Set, Now() = %v, want %v", got, start)
	}
}

func TestScaledMultipliesElapsedTime(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	origin := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	real := origin
	s := &Scaled{start: start, origin: origin, factor: 3600, real: func() time.Time { return real }}
	real = origin.Add(2 * time.Second)
	if got, want := s.Now(), start.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("Now() = %v, want %v", got, want)
	}
}
