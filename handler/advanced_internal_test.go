package handler

import (
	"fmt"
	"testing"
	"time"

	"iprodwatch/parse"
)

func TestBehindDropsOnlyACopyOfASlotAlreadyWorked(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	deadline := at.Add(24 * time.Hour)
	worked := advance{slot: at, attempt: 5, deadline: deadline, failures: 1, at: at}
	check := func(due time.Time, edit func(*parse.Check)) parse.Check {
		c := parse.Check{JobID: "j", Attempt: 5, DueAt: due, Deadline: deadline, Failures: 1}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	later := at.Add(30 * time.Second)
	tests := []struct {
		name   string
		a      advance
		c      parse.Check
		origin parse.Origin
		now    time.Time
		want   bool
	}{
		{"a copy of the check worked is behind", worked, check(at, nil), parse.OriginCheck, later, true},
		{"a copy of an earlier check of the chain is behind", worked, check(at.Add(-time.Minute), func(c *parse.Check) { c.Attempt = 4 }), parse.OriginCheck, later, true},
		{"the chain's own next check is not", worked, check(at.Add(2*time.Minute), func(c *parse.Check) { c.Attempt = 6 }), parse.OriginCheck, later, false},
		{"the chain's own retry (same slot, one failure more) is not", worked, check(at, func(c *parse.Check) { c.Attempt, c.Failures = 6, 2 }), parse.OriginCheck, later, false},
		{"the next check with its slot written to the second is not", worked, check(at.Add(2*time.Minute-time.Millisecond), func(c *parse.Check) { c.Attempt = 6 }), parse.OriginCheck, later, false},
		{"a check of a later slot is not", worked, check(at.Add(time.Second), nil), parse.OriginCheck, later, false},
		{"a copy further along its chain is not", worked, check(at, func(c *parse.Check) { c.Attempt = 9 }), parse.OriginCheck, later, false},
		{"nothing remembered: not behind", advance{}, check(at, nil), parse.OriginCheck, later, false},
		{"a notification never is", worked, check(at, nil), parse.OriginNotification, later, false},
		{"a memory older than advancedFor is not trusted", worked, check(at, nil), parse.OriginCheck, at.Add(advancedFor + time.Second), false},
		{"a memory from the future (a clock set back) is not trusted", worked, check(at, nil), parse.OriginCheck, at.Add(-time.Second), false},
		{"a copy with a later deadline is not", worked, check(at, func(c *parse.Check) { c.Deadline = deadline.Add(time.Hour) }), parse.OriginCheck, later, false},
		{"a copy with fewer failures is not", worked, check(at, func(c *parse.Check) { c.Failures = 0 }), parse.OriginCheck, later, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Behind(tt.c, tt.origin, tt.now); got != tt.want {
				t.Errorf("Behind = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestAdvancedForgetsTheOldestPastItsBound(t *testing.T) {
	var m advanced
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for i := range advancedMax + 1 {
		m.note(parse.Check{JobID: fmt.Sprint(i)}, now)
	}
	if len(m.by) != advancedMax || len(m.order) != advancedMax {
		t.Errorf("%d entries, %d in order; want %d", len(m.by), len(m.order), advancedMax)
	}
	if !m.get(chainKey{job: "0"}).at.IsZero() || m.get(chainKey{job: fmt.Sprint(advancedMax)}).at.IsZero() {
		t.Error("want the first chain forgotten and the last one kept")
	}
	m.note(parse.Check{JobID: "5"}, now) // known: no new entry
	if len(m.order) != advancedMax {
		t.Errorf("noting a known chain again added an entry: %d", len(m.order))
	}
}
