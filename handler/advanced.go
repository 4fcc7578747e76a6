package handler

import (
	"sync"
	"time"

	"iprodwatch/parse"
)

// An instance remembers how far it has taken each chain, so a copy that reaches it in another
// delivery is merged as a copy in the same delivery is (Merge). Copies rarely share a delivery
// in the cloud: MNS stores a queue on many nodes and a receive returns what one node holds, so
// two copies due at the same slot are usually received apart, and each would go on as a chain of
// its own. The memory is per instance (no state is shared between instances), bounded, and only
// ever drops a copy of a check that this instance has already worked. Push mode only: in pull
// mode a chain's next check is the same message deferred, body and all, so it cannot be told from
// a copy by its content; pull mode merges the copies one receive holds (pull.go).
const (
	// advancedFor is how long an entry stands: longer than any delay between slots that copies
	// of one chain are seen apart (redeliveries come within minutes), short enough that a memory
	// never outlives a chain by much.
	advancedFor = 30 * time.Minute
	// advancedMax bounds the entries: an instance sees at most a few thousand chains in half an
	// hour; past the bound the oldest entries are forgotten, which only costs a query.
	advancedMax = 10_000
)

// chainKey names a chain as Merge does: its job and its callback.
type chainKey struct{ job, callback string }

func chainOf(c parse.Check) chainKey { return chainKey{c.JobID, string(c.Callback)} }

// advance is how far this instance took a chain: the check it worked (its slot, attempt, deadline
// and failures) and when.
type advance struct {
	slot     time.Time
	attempt  int
	deadline time.Time
	failures int
	at       time.Time
}

// Behind reports whether check c (as Normalize made it) is a copy of a check that this instance
// has already worked, or of an earlier one of its chain, so working it would only start a second
// chain: its slot is not later and its attempt not higher than the check worked. The chain's own
// next check always has a higher attempt (a requeue and a retry both count one up; a retry keeps
// the slot), so it is never behind, whatever precision its slot was written with. A notification
// is never behind (it says the job may have ended), and a copy with a later deadline or fewer
// failures is worked, for the reasons Merge keeps it.
func (a advance) Behind(c parse.Check, origin parse.Origin, now time.Time) bool {
	switch {
	case a.at.IsZero() || origin == parse.OriginNotification:
		return false
	case now.Sub(a.at) > advancedFor || now.Before(a.at):
		return false
	case c.Deadline.After(a.deadline) || c.Failures < a.failures:
		return false
	}
	return c.Attempt <= a.attempt && !c.DueAt.After(a.slot)
}

// advanced is the instance's memory of its chains.
type advanced struct {
	mu    sync.Mutex
	by    map[chainKey]advance
	order []chainKey // insertion order, for the bound
}

func (m *advanced) get(k chainKey) advance {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.by[k]
}

// note remembers that this instance worked check c and sent its chain on.
func (m *advanced) note(c parse.Check, now time.Time) {
	k := chainOf(c)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.by == nil {
		m.by = map[chainKey]advance{}
	}
	if _, ok := m.by[k]; !ok {
		m.order = append(m.order, k)
	}
	m.by[k] = advance{slot: c.DueAt, attempt: c.Attempt, deadline: c.Deadline, failures: c.Failures, at: now}
	for len(m.order) > advancedMax {
		delete(m.by, m.order[0])
		m.order = m.order[1:]
	}
}
