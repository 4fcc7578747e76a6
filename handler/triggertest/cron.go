package triggertest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule yields a timer's ticks.
type Schedule interface {
	// Next is the first tick strictly after t, in UTC; the zero time when there is none within
	// five years (an impossible date such as 30 February).
	Next(t time.Time) time.Time
}

// ParseSchedule parses a timer trigger's cronExpression: "@every <duration>" (a Go duration of
// at least 1s, whole seconds; ticks every duration from the timer's start), or six fields
// "sec min hour day-of-month month day-of-week" with *, ?, numbers, lists a,b, ranges a-b and
// steps */n, a-b/n, a/n; day-of-week 0–7 with 0 and 7 Sunday. When both day fields are
// restricted a day matching either fires, as in cron. The expression is in UTC unless prefixed
// "CRON_TZ=<IANA zone> " (the zone must be in the system's tz database). Month and weekday names
// are not accepted.
func ParseSchedule(expr string) (Schedule, error) {
	expr = strings.TrimSpace(expr)
	loc := time.UTC
	if rest, ok := strings.CutPrefix(expr, "CRON_TZ="); ok {
		zone, fields, _ := strings.Cut(rest, " ")
		l, err := time.LoadLocation(zone)
		if err != nil {
			return nil, fmt.Errorf("%w: CRON_TZ %q: %w", ErrInvalidConfig, zone, err)
		}
		loc, expr = l, strings.TrimSpace(fields)
	}
	if rest, ok := strings.CutPrefix(expr, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrInvalidConfig, expr, err)
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, fmt.Errorf("%w: %q: the interval must be whole seconds, at least 1s", ErrInvalidConfig, expr)
		}
		return every(d), nil
	}
	f := strings.Fields(expr)
	if len(f) != 6 {
		return nil, fmt.Errorf("%w: cron expression %q has %d fields, want 6 (sec min hour dom month dow)", ErrInvalidConfig, expr, len(f))
	}
	c := &cronSchedule{loc: loc}
	specs := []struct {
		dst      *uint64
		lo, hi   int
		star     *bool
		name     string
		sundayIs int
	}{
		{&c.sec, 0, 59, nil, "second", -1},
		{&c.min, 0, 59, nil, "minute", -1},
		{&c.hour, 0, 23, nil, "hour", -1},
		{&c.dom, 1, 31, &c.domStar, "day-of-month", -1},
		{&c.month, 1, 12, nil, "month", -1},
		{&c.dow, 0, 7, &c.dowStar, "day-of-week", 7},
	}
	for i, s := range specs {
		bits, star, err := parseField(f[i], s.lo, s.hi)
		if err != nil {
			return nil, fmt.Errorf("%w: %s field %q: %w", ErrInvalidConfig, s.name, f[i], err)
		}
		if s.sundayIs >= 0 && bits&(1<<uint(s.sundayIs)) != 0 {
			bits |= 1 // 7 is Sunday too
		}
		*s.dst = bits
		if s.star != nil {
			*s.star = star
		}
	}
	return c, nil
}

// every ticks a fixed interval after the previous tick.
type every time.Duration

func (e every) Next(t time.Time) time.Time {
	return t.UTC().Truncate(time.Second).Add(time.Duration(e))
}

type cronSchedule struct {
	sec, min, hour, dom, month, dow uint64 // bit n set: value n matches
	domStar, dowStar                bool
	loc                             *time.Location
}

func has(bits uint64, v int) bool { return bits&(1<<uint(v)) != 0 }

func (c *cronSchedule) dayMatches(t time.Time) bool {
	d, w := has(c.dom, t.Day()), has(c.dow, int(t.Weekday()))
	if c.domStar || c.dowStar {
		return d && w
	}
	return d || w
}

// Next walks forward field by field (month, day, hour, minute, second), jumping to the start of
// the next unit on a miss, so a yearly schedule costs a few hundred steps, not seconds.
func (c *cronSchedule) Next(after time.Time) time.Time {
	t := after.In(c.loc).Truncate(time.Second).Add(time.Second)
	limit := t.Year() + 5
	for t.Year() <= limit {
		y, mo, d := t.Date()
		h, mi, s := t.Clock()
		switch {
		case !has(c.month, int(mo)):
			t = time.Date(y, mo+1, 1, 0, 0, 0, 0, c.loc)
		case !c.dayMatches(t):
			t = time.Date(y, mo, d+1, 0, 0, 0, 0, c.loc)
		case !has(c.hour, h):
			t = time.Date(y, mo, d, h+1, 0, 0, 0, c.loc)
		case !has(c.min, mi):
			t = time.Date(y, mo, d, h, mi+1, 0, 0, c.loc)
		case !has(c.sec, s):
			t = t.Add(time.Second)
		case !t.After(after):
			// A repeated wall-clock hour (daylight saving ending) can step back; move on.
			t = t.Add(time.Second)
		default:
			return t.UTC()
		}
	}
	return time.Time{}
}

// parseField reads one cron field into a bit set; star reports an unrestricted field.
func parseField(f string, lo, hi int) (bits uint64, star bool, err error) {
	if f == "*" || f == "?" {
		star = true
	}
	for part := range strings.SplitSeq(f, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			if step, err = strconv.Atoi(stepText); err != nil || step < 1 {
				return 0, false, fmt.Errorf("bad step %q", stepText)
			}
		}
		var a, b int
		switch {
		case rng == "*" || rng == "?":
			a, b = lo, hi
		case strings.Contains(rng, "-"):
			x, y, _ := strings.Cut(rng, "-")
			if a, err = bound(x, lo, hi); err != nil {
				return 0, false, err
			}
			if b, err = bound(y, lo, hi); err != nil {
				return 0, false, err
			}
			if b < a {
				return 0, false, fmt.Errorf("range %q runs backwards", rng)
			}
		default:
			if a, err = bound(rng, lo, hi); err != nil {
				return 0, false, err
			}
			b = a
			if hasStep {
				b = hi // "a/n": from a to the end, every n
			}
		}
		for v := a; v <= b; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, star, nil
}

func bound(s string, lo, hi int) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%d is outside %d-%d", v, lo, hi)
	}
	return v, nil
}
