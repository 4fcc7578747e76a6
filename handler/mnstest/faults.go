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

type faultRate struct {
	p float64
	f Fault
}

type faultTable struct {
	scripted map[Op][]Fault
	rates    map[Op]faultRate
}

// pick consumes the next scripted fault of op (or of OpAny), else draws against the rate.
func (t *faultTable) pick(op Op, rng *mathrand.Rand) (Fault, bool) {
	for _, k := range []Op{op, OpAny} {
		if q := t.scripted[k]; len(q) > 0 {
			f := q[0]
			t.scripted[k] = q[1:]
			return f, f != Pass
		}
	}
	for _, k := range []Op{op, OpAny} {
		if r, ok := t.rates[k]; ok && rng.Float64() < r.p {
			return r.f, true
		}
	}
	return Fault{}, false
}

// InjectFaults scripts the next calls of op (OpAny: of any operation): the first call gets
// faults[0], the next faults[1], and so on; Pass lets a call through. Scripts queue up.
func (s *Server) InjectFaults(op Op, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.scripted[op] = append(s.faults.scripted[op], faults...)
}

// SetFaultRate gives every call of op (OpAny: of any operation) probability p of fault f, drawn
// from the server's seeded random source (WithSeed). p <= 0 removes the rate.
func (s *Server) SetFaultRate(op Op, p float64, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p <= 0 {
		delete(s.faults.rates, op)
		return
	}
	s.faults.rates[op] = faultRate{p: p, f: f}
}

// ClearFaults removes every scripted fault and rate.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = faultTable{scripted: map[Op][]Fault{}, rates: map[Op]faultRate{}}
}
