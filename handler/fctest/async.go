package fctest

import (
	"context"
)

// AsyncInvocation is an invocation FC accepted for asynchronous processing.
type AsyncInvocation struct {
	// RequestID is shared by every attempt (x-fc-request-id stays, x-fc-retry-count grows).
	RequestID string

	done  chan struct{}
	final Result
}

// Done is closed when the invocation succeeded or ran out of attempts.
func (a *AsyncInvocation) Done() <-chan struct{} { return a.done }

// Wait returns the last attempt's result once the invocation is over.
func (a *AsyncInvocation) Wait(ctx context.Context) (Result, error) {
	select {
	case <-a.done:
		return a.final, nil
	case <-ctx.Done():
		return Result{RequestID: a.RequestID, Outcome: OutcomePending}, ctx.Err()
	}
}

// InvokeAsync queues payload as InvokeFunction with the Async type does and returns at once. A
// failed attempt (error, panic, timeout, crash) is queued again with x-fc-retry-count one higher,
// up to WithMaxAsyncRetryAttempts retries. Retries are queued at once: FC's back-off between
// attempts is not emulated.
func (s *Server) InvokeAsync(ctx context.Context, payload []byte, opts InvokeOptions) (*AsyncInvocation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, err := s.enqueueLocked(payload, opts, true, 0, "")
	if err != nil {
		return nil, err
	}
	a := &AsyncInvocation{RequestID: inv.id, done: make(chan struct{})}
	s.wg.Add(1)
	go s.driveAsync(a, inv, opts)
	return a, nil
}

// driveAsync waits for each attempt and queues the next one while attempts remain.
func (s *Server) driveAsync(a *AsyncInvocation, inv *invocation, opts InvokeOptions) {
	defer s.wg.Done()
	defer close(a.done)
	for {
		select {
		case <-inv.done:
		case <-s.done:
			s.mu.Lock()
			a.final = inv.resultLocked()
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		res := inv.resultLocked()
		retryable := res.Outcome == OutcomeError || res.Outcome == OutcomeTimeout || res.Outcome == OutcomeCrashed
		if !retryable || inv.retryCount >= s.cfg.asyncRetries {
			a.final = res
			s.mu.Unlock()
			return
		}
		next, err := s.enqueueLocked(inv.payload, opts, true, inv.retryCount+1, inv.id)
		if err != nil {
			a.final = res
			s.mu.Unlock()
			return
		}
		s.counters.AsyncRetries++
		inv = next
		s.mu.Unlock()
	}
}
