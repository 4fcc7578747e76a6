package mpstest

import (
	"net/url"
	"slices"
	"time"
)

// Call is one request as the emulator saw and answered it.
type Call struct {
	At          time.Time // injected clock
	Method      string
	Action      string
	JobID       string
	AccessKeyID string
	Params      url.Values // every parameter received, Signature included
	Status      int        // 0 when the connection was dropped
	Code        string     // the error Code answered; "" on success
	Dropped     bool
}

// Calls returns every request so far, in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallCount counts requests for action and jobID ("" matches any), answered or not.
func (s *Server) CallCount(action, jobID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if (action == "" || c.Action == action) && (jobID == "" || c.JobID == jobID) {
			n++
		}
	}
	return n
}

// CallsPerSecond counts requests for action ("" any) per second of the injected clock, keyed
// by Unix second.
func (s *Server) CallsPerSecond(action string) map[int64]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int64]int{}
	for _, c := range s.calls {
		if action == "" || c.Action == action {
			out[c.At.Unix()]++
		}
	}
	return out
}

// ResetCalls forgets the recorded requests (not the quota window).
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// SetQPS sets the per-account quota of action per second of the injected clock; 0 removes it.
func (s *Server) SetQPS(action string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.qps[action] = n
}

// quotaWindow is the admitted count in the current injected-clock second.
type quotaWindow struct {
	sec int64
	n   int
}

// admit applies the account's quota for action in the current second of the injected clock.
// Refused calls do not use quota. Called with s.mu held.
func (s *Server) admit(action string, now time.Time) bool {
	limit := s.qps[action]
	if limit <= 0 {
		return true
	}
	w := s.windows[action]
	if w.sec != now.Unix() {
		w = quotaWindow{sec: now.Unix()}
	}
	if w.n >= limit {
		s.windows[action] = w
		return false
	}
	w.n++
	s.windows[action] = w
	return true
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}
