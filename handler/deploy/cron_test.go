package deploy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // CRON_TZ zones resolve on machines without a zone database
)

// minTimerInterval is the finest interval we accept for @every: the console's finest is one
// minute, and below it FC's behaviour is not established.
const minTimerInterval = time.Minute

// cronField is one of the six fields of FC's timer syntax, seconds first.
type cronField struct {
	name     string
	lo, hi   int
	names    []string // accepted names, numbered from lo
	question bool     // ? allowed (day of month, day of week)
}

var cronFields = [6]cronField{
	{name: "second", lo: 0, hi: 59},
	{name: "minute", lo: 0, hi: 59},
	{name: "hour", lo: 0, hi: 23},
	{name: "day of month", lo: 1, hi: 31, question: true},
	{name: "month", lo: 1, hi: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day of week", lo: 0, hi: 6, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, question: true},
}

// checkCron reports why expr is not a timer expression FC accepts: an optional CRON_TZ=ZONE
// prefix, then @every DURATION or six fields (sec min hour day-of-month month day-of-week) made of
// *, ?, values, ranges a-b, steps /n and lists.
func checkCron(expr string) error {
	s := strings.TrimSpace(expr)
	if tz, ok := strings.CutPrefix(s, "CRON_TZ="); ok {
		zone, rest, _ := strings.Cut(tz, " ")
		if _, err := time.LoadLocation(zone); err != nil || zone == "" {
			return fmt.Errorf("CRON_TZ=%s is not an IANA zone", zone)
		}
		s = strings.TrimSpace(rest)
	}
	if d, ok := strings.CutPrefix(s, "@every "); ok {
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil {
			return fmt.Errorf("@every %s: not a duration such as 1m or 1h30m", d)
		}
		if dur < minTimerInterval {
			return fmt.Errorf("@every %v: finer than %v", dur, minTimerInterval)
		}
		return nil
	}
	fields := strings.Fields(s)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("%d fields; want 6 (sec min hour day-of-month month day-of-week) or @every", len(fields))
	}
	for i, f := range fields {
		if err := cronFields[i].check(f); err != nil {
			return fmt.Errorf("%s field %q: %w", cronFields[i].name, f, err)
		}
	}
	return nil
}

func (cf cronField) check(f string) error {
	if f == "?" {
		if !cf.question {
			return errors.New("? only stands for a day")
		}
		return nil
	}
	for item := range strings.SplitSeq(f, ",") {
		rng, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			n, err := strconv.Atoi(step)
			if err != nil || n < 1 || n > cf.hi-cf.lo+1 {
				return fmt.Errorf("step %q", step)
			}
		}
		if rng == "*" {
			continue
		}
		a, b, isRange := strings.Cut(rng, "-")
		lo, err := cf.value(a)
		if err != nil {
			return err
		}
		if isRange {
			hi, err := cf.value(b)
			if err != nil {
				return err
			}
			if hi < lo {
				return fmt.Errorf("range %s runs backwards", rng)
			}
		}
	}
	return nil
}

func (cf cronField) value(s string) (int, error) {
	for i, n := range cf.names {
		if strings.EqualFold(s, n) {
			return cf.lo + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < cf.lo || n > cf.hi {
		return 0, fmt.Errorf("%q is not %d..%d", s, cf.lo, cf.hi)
	}
	return n, nil
}
