package demo

import (
	"strings"
	"testing"
	"time"

	"iprodwatch/handler/clock"
)

// Issue 16: the live table's header read "clock ++02:03:28".
func TestTheLiveHeaderShowsTheClockOnce(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	var b strings.Builder
	p := &printer{w: &b, live: true, clk: clk, t0: clk.Now()}
	clk.Advance(2*time.Hour + 3*time.Minute + 28*time.Second)
	p.redraw()
	if !strings.Contains(b.String(), "clock +02:03:28 ") || strings.Contains(b.String(), "++") {
		t.Errorf("header %q, want \"clock +02:03:28\"", b.String())
	}
}
