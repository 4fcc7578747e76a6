package fctest

import (
	"fmt"
	"time"
)

// monitor enforces function timeouts. The SDK only cancels the handler's context at the deadline,
// so without this a stuck handler would hold its invocation forever. It re-reads the injected
// clock on a short real ticker, and at once on Wake.
func (s *Server) monitor() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.pollEvery)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		case <-s.wake:
		}
		for _, inst := range s.expire() {
			s.restart(inst)
		}
	}
}

// expire fails every running invocation whose deadline has passed and returns the instances to
// restart, as FC replaces an instance that timed out.
func (s *Server) expire() []*Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	var restart []*Instance
	seen := map[*Instance]bool{}
	for _, inv := range s.running {
		if now.Before(inv.deadline) {
			continue
		}
		if inv.inst != nil {
			// Stop releasing to it now: its parked /next would otherwise take the next
			// invocation down with it when it is killed.
			inv.inst.stopping = true
		}
		s.counters.Timeouts++
		msg := fmt.Sprintf("Function timed out after %d seconds", int(inv.timeout/time.Second))
		s.finishLocked(inv, OutcomeTimeout, nil, "FunctionTimeout", msg)
		if inv.inst != nil && !seen[inv.inst] {
			seen[inv.inst] = true
			restart = append(restart, inv.inst)
		}
	}
	return restart
}
