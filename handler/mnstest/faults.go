package mnstest

import (
	mathrand "math/rand"
	"time"
)

// Fault is what happens to one request instead of (or after) its normal answer.
type Fault struct {
	// Status and Code make the answer an <Error> body with that HTTP status and code, e.g. 500
	// "InternalError" (Code defaults to InternalError when only Status is set).
	Status  int
	Code    string
	Message string
	// Delay holds the answer for this much real time first: a slow answer, or a client timeout
	// when longer than the client's. The wait ends early if the client goes away.
	Delay time.Duration
	// Drop closes the connection without any answer.
	Drop bool
	// AfterApply lets the operation take effect before the answer is replaced by the fault: the
	// answer is lost, not the operation (a send that happened though the client saw a failure).
	AfterApply bool
}

// Pass is the zero Fault: in a script, a call that goes through untouched.
var Pass = Fault{}

// FaultRule says which calls get a Fault, as mpstest's rules do: tried in the order added after
// the FailNext scripts, the first that fires wins.
type FaultRule struct {
	Op Op // OpAny matches every operation
	// Times > 0 fires on the next Times matching calls, then the rule is gone; 0 never runs out.
	Times int
	// Probability in (0,1) fires per matching call by the seeded source (WithSeed); 0 or >= 1
	// always fires.
	Probability float64
	Fault       Fault
}

type faultRule struct {
	FaultRule
	left int
}

type faultTable struct {
	scripted map[Op][]Fault
	rules    []*faultRule
}

func newFaultTable() faultTable { return faultTable{scripted: map[Op][]Fault{}} }

// pick consumes the next scripted fault of op (or of OpAny), else tries the rules.
func (t *faultTable) pick(op Op, rng *mathrand.Rand) (Fault, bool) {
	for _, k := range []Op{op, OpAny} {
		if q := t.scripted[k]; len(q) > 0 {
			f := q[0]
			t.scripted[k] = q[1:]
			return f, f != Pass
		}
	}
	for i, r := range t.rules {
		if r.Op != op && r.Op != OpAny {
			continue
		}
		if r.Probability > 0 && r.Probability < 1 && rng.Float64() >= r.Probability {
			continue
		}
		if r.Times > 0 {
			if r.left--; r.left == 0 {
				t.rules = append(t.rules[:i:i], t.rules[i+1:]...)
			}
		}
		return r.Fault, true
	}
	return Fault{}, false
}

// FailNext scripts the next calls of op (OpAny: of any operation): the first call gets
// faults[0], the next faults[1], and so on; Pass lets a call through. Scripts queue up.
func (s *Server) FailNext(op Op, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.scripted[op] = append(s.faults.scripted[op], faults...)
}

// AddFault installs a fault rule.
func (s *Server) AddFault(r FaultRule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rules = append(s.faults.rules, &faultRule{FaultRule: r, left: r.Times})
}

// ClearFaults removes every scripted fault and rule.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = newFaultTable()
}
