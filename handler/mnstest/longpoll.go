package mnstest

import (
	"time"
)

// waitFor runs try under the lock until it reports success, the queue goes away, or the long
// poll ends. wait < 0 means "use the queue's PollingWaitSeconds".
//
// A parked poll wakes on every state change (sends, deletes, visibility changes, Advance) and on
// a short real ticker that re-reads the injected clock, so clocks that move on their own also
// release it. It ends, answering MessageNotExist as the cloud does, when wait seconds of
// injected time have passed, or when min(wait, WithMaxRealWait) of real time has: the real bound
// keeps a forgotten manual clock from holding a request for ever.
func (s *Server) waitFor(c *call, wait int64, peek bool, try func(*queue, time.Time) bool) *APIError {
	s.mu.Lock()
	now := s.clock.Now()
	q, e := s.queueLocked(c.queue, now)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	if wait < 0 {
		wait = q.attrs.PollingWaitSeconds
	}
	if peek {
		wait = 0
	}
	if try(q, now) {
		s.mu.Unlock()
		return nil
	}
	if wait == 0 {
		s.mu.Unlock()
		return ErrMessageNotExist
	}
	if s.cfg.maxLongPolls > 0 && s.pollers[c.queue] >= s.cfg.maxLongPolls {
		// Over the cap a poll does not wait: MessageNotExist at once (the ReceiveMessage
		// reference: requests over the long-poll cap "cannot enter the listening state and
		// return 404 MessageNotExist directly").
		s.mu.Unlock()
		return ErrMessageNotExist
	}
	deadline := now.Add(time.Duration(wait) * time.Second)
	realBound := time.Duration(wait) * time.Second
	if b := s.cfg.maxRealWait; b > 0 && b < realBound {
		realBound = b
	}
	s.pollers[c.queue]++
	s.notifyLocked() // lets WaitForPollers see the new poller
	changed := s.changed
	s.mu.Unlock()

	defer func() {
		s.mu.Lock()
		s.pollers[c.queue]--
		if s.pollers[c.queue] == 0 {
			delete(s.pollers, c.queue)
		}
		s.notifyLocked()
		s.mu.Unlock()
	}()

	timer := time.NewTimer(realBound)
	defer timer.Stop()
	ticker := time.NewTicker(s.cfg.pollEvery)
	defer ticker.Stop()
	for {
		select {
		case <-changed:
		case <-ticker.C:
		case <-timer.C:
			return ErrMessageNotExist
		case <-c.r.Context().Done():
			return ErrMessageNotExist
		case <-s.done:
			return ErrMessageNotExist
		}
		s.mu.Lock()
		now = s.clock.Now()
		q, e = s.queueLocked(c.queue, now)
		switch {
		case e != nil:
			s.mu.Unlock()
			return e
		case try(q, now):
			s.mu.Unlock()
			return nil
		case !now.Before(deadline):
			s.mu.Unlock()
			return ErrMessageNotExist
		}
		changed = s.changed
		s.mu.Unlock()
	}
}
