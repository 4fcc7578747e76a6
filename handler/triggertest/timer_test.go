package triggertest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseScheduleTicks(t *testing.T) {
	from := start() // Friday 2026-05-01 04:00:00 UTC
	tests := []struct {
		name string
		expr string
		want []string // the first ticks after from
	}{
		{"@every ticks a fixed interval from the start", "@every 5m",
			[]string{"04:05:00", "04:10:00", "04:15:00"}},
		{"@every takes compound durations", "@every 1h30m",
			[]string{"05:30:00", "07:00:00"}},
		{"a step in the minute field", "0 */15 * * * *",
			[]string{"04:15:00", "04:30:00", "04:45:00", "05:00:00"}},
		{"a step in the second field", "*/20 * * * * *",
			[]string{"04:00:20", "04:00:40", "04:01:00"}},
		{"a list of hours", "0 0 4,16 * * *",
			[]string{"16:00:00", "Sat 04:00:00", "Sat 16:00:00"}},
		{"a range of minutes", "30 1-3 * * * *",
			[]string{"04:01:30", "04:02:30", "04:03:30", "05:01:30"}},
		{"a range with a step", "0 10-50/20 * * * *",
			[]string{"04:10:00", "04:30:00", "04:50:00", "05:10:00"}},
		{"weekdays only, ? for day-of-month", "0 0 9 ? * 1-5",
			[]string{"09:00:00", "Mon 09:00:00", "Tue 09:00:00"}},
		{"day-of-week 7 is Sunday", "0 0 0 * * 7",
			[]string{"Sun 00:00:00", "Sun 00:00:00"}},
		{"both day fields restricted fire on either", "0 0 0 15 * 0",
			[]string{"Sun 00:00:00", "Sun 00:00:00", "Fri 00:00:00"}},
		{"the first of each month", "0 0 0 1 * *",
			[]string{"Mon 00:00:00", "Wed 00:00:00"}},
		{"a/n runs from a to the end", "5/30 * * * * *",
			[]string{"04:00:05", "04:00:35", "04:01:05"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSchedule(tc.expr)
			if err != nil {
				t.Fatalf("ParseSchedule(%q): %v", tc.expr, err)
			}
			var got []string
			at := from
			for range tc.want {
				at = s.Next(at)
				got = append(got, clockOf(at, from))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ticks (-want +got):\n%s", diff)
			}
		})
	}
}

// clockOf prints a tick as hh:mm:ss, prefixed by its weekday when it is not on from's day.
func clockOf(t, from time.Time) string {
	if t.YearDay() == from.YearDay() && t.Year() == from.Year() {
		return t.Format("15:04:05")
	}
	return t.Format("Mon 15:04:05")
}

func TestParseScheduleFullDates(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want time.Time
	}{
		{"a yearly date", "0 0 0 29 2 *", time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"CRON_TZ shifts the schedule to the zone", "CRON_TZ=Asia/Shanghai 0 0 4 * * *", time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC)},
		{"an impossible date never fires", "0 0 0 30 2 *", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasPrefix(tc.expr, "CRON_TZ=") {
				if _, err := time.LoadLocation("Asia/Shanghai"); err != nil {
					t.Skipf("no tz database here: %v", err)
				}
			}
			s, err := ParseSchedule(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(start()); !got.Equal(tc.want) {
				t.Errorf("Next = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseScheduleRefusesBadExpressions(t *testing.T) {
	for _, expr := range []string{
		"", "0 0 4 * *", "0 0 4 * * * *", "60 * * * * *", "* 60 * * * *", "* * 24 * * *", "* * * 0 * *",
		"* * * * 13 *", "* * * * * 8", "*/0 * * * * *", "5-1 * * * * *", "a * * * * *", "@every", "@every 500ms",
		"@every 1.5s", "@every -1m", "@hourly", "CRON_TZ=Not/AZone 0 0 4 * * *",
	} {
		t.Run("refuses "+expr, func(t *testing.T) {
			if _, err := ParseSchedule(expr); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("ParseSchedule(%q) err = %v, want ErrInvalidConfig", expr, err)
			}
		})
	}
}

func TestTimerFiresEveryMissedTickInOrder(t *testing.T) {
	c := newCloud(t)
	s := &sink{}
	tm, err := NewTimer("@every 5m", sweepConfig, s.fn, WithClock(c.clk), WithTriggerName("iprodwatch-sweep"))
	if err != nil {
		t.Fatal(err)
	}
	if n := mustRun(t, tm); n != 0 {
		t.Fatalf("fired %d times before the first tick", n)
	}
	c.advance(16 * time.Minute)
	if n := mustRun(t, tm); n != 3 {
		t.Errorf("fired %d times over 16 minutes, want 3", n)
	}
	var got []string
	for _, p := range s.got() {
		var ev timerEvent
		if err := json.Unmarshal(p, &ev); err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.TriggerTime)
	}
	want := []string{"2026-05-01T04:05:00Z", "2026-05-01T04:10:00Z", "2026-05-01T04:15:00Z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("triggerTime of each invocation (-want +got):\n%s", diff)
	}
	if got, want := tm.NextTick(), time.Date(2026, 5, 1, 4, 20, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("NextTick = %v, want %v", got, want)
	}
}

func TestTimerAsyncRetries(t *testing.T) {
	tests := []struct {
		name        string
		opts        []Option
		fail        func(int) error
		wantRetries []int
		wantDropped int
	}{
		{"a failing tick is retried 3 times by default, then dropped", nil, alwaysFail, []int{0, 1, 2, 3}, 1},
		{"maxAsyncRetryAttempts 0 drops at the first failure", []Option{WithMaxAsyncRetryAttempts(0)}, alwaysFail, []int{0}, 1},
		{"maxAsyncRetryAttempts 8 retries 8 times", []Option{WithMaxAsyncRetryAttempts(8)}, alwaysFail, seq(0, 8), 1},
		{"a retry that succeeds is not dropped", nil, failFirst(1), []int{0, 1}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud(t)
			s := &sink{fail: tc.fail}
			// A tick a day, so retries never meet the next tick.
			tm, err := NewTimer("0 0 4 * * *", sweepConfig, s.fn, append([]Option{WithClock(c.clk)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			c.advance(24 * time.Hour)
			mustRun(t, tm)
			drainRetries(t, c, tm, 20)
			ds := tm.Deliveries()
			if diff := cmp.Diff(tc.wantRetries, retryCounts(ds)); diff != "" {
				t.Errorf("RetryCount per delivery (-want +got):\n%s", diff)
			}
			for _, d := range ds {
				if string(d.Payload) != string(ds[0].Payload) {
					t.Errorf("a retry changed the payload: %s vs %s", d.Payload, ds[0].Payload)
				}
			}
			if got := len(tm.DroppedEvents()); got != tc.wantDropped {
				t.Errorf("dropped %d ticks, want %d", got, tc.wantDropped)
			}
		})
	}
}

func TestNewTimerRefusesWhatTheCloudRefuses(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		payload string
		opt     Option
	}{
		{"maxAsyncRetryAttempts 9", "@every 1m", "", WithMaxAsyncRetryAttempts(9)},
		{"a payload over 128 KB", "@every 1m", strings.Repeat("x", 128<<10+1), nil},
		{"a five-field cron", "0 4 * * *", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			var opts []Option
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			if _, err := NewTimer(tc.expr, tc.payload, (&sink{}).fn, opts...); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
}
