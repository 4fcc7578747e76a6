package mpstest

import (
	"net/http"
	"time"
)

// Fault is what an injected failure does to one call. Delay alone makes a slow but otherwise
// normal answer; with Error the answer is that error body; Drop closes the connection without
// an answer; RawBody answers those bytes with RawStatus as they are (a gateway's HTML page, or an
// error body whose Code is a number, which makes the Go SDK panic). Delay is real time on purpose:
// it exists to exercise client timeouts.
type Fault struct {
	Error     *APIError
	Delay     time.Duration
	Drop      bool
	RawStatus int
	RawBody   []byte
	// AfterApply lets the call take effect before the fault replaces its answer: the answer is
	// lost, not the call (a submit that created its job though the client saw a dropped
	// connection, a gateway's 502 or a timeout).
	AfterApply bool
}

// FaultRule says which calls get a Fault. Rules are tried in the order added; the first that
// fires wins.
type FaultRule struct {
	Action string // "" matches every action
	JobID  string // "" matches every job (SubmitIProductionJob calls have no job id yet)
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

// AddFault installs a fault rule.
func (s *Server) AddFault(r FaultRule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{FaultRule: r, left: r.Times})
}

// FailNext makes the next n calls of action for jobID ("" any) answer with f.
func (s *Server) FailNext(action, jobID string, n int, f Fault) {
	s.AddFault(FaultRule{Action: action, JobID: jobID, Times: n, Fault: f})
}

// ClearFaults removes every fault rule.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// pickFault returns the fault for this call, consuming a scripted one. Called with s.mu held.
func (s *Server) pickFault(action, jobID string) (Fault, bool) {
	for i, r := range s.faults {
		if r.Action != "" && r.Action != action || r.JobID != "" && r.JobID != jobID {
			continue
		}
		if p := r.Probability; p > 0 && p < 1 && s.rng.Float64() >= p {
			continue
		}
		if r.Times > 0 {
			r.left--
			if r.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return r.Fault, true
	}
	return Fault{}, false
}

// sleep waits d of real time or until the client goes away.
func sleep(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// drop closes the connection without writing an answer, as a crashed front end would.
func drop(w http.ResponseWriter, before func()) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return false
	}
	before() // a client that sees the connection close finds the call recorded
	conn.Close()
	return true
}
