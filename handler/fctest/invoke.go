package fctest

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Payload limits of FC 3.0 (section 6 of the reference notes).
const (
	MaxSyncPayload  = 32 << 20
	MaxAsyncPayload = 128 << 10
)

// InvokeOptions are per-invocation settings; the zero value uses the server's.
type InvokeOptions struct {
	// Credentials handed to the function in the x-fc-* headers; nil: the server's (SetCredentials).
	Credentials *Credentials
	// Timeout overrides the function timeout (whole seconds, 1 s to 86400 s).
	Timeout time.Duration
	// Concurrency is how many invocations the instance may run at once, this one included, for
	// it to be released; 0: the server's (default 1).
	Concurrency int
}

// invocation is one attempt. Fields other than done and latePosts are guarded by Server.mu;
// once done is closed only latePosts changes.
type invocation struct {
	id          string
	payload     []byte
	async       bool
	retryCount  int
	creds       Credentials
	timeout     time.Duration
	concurrency int
	done        chan struct{}

	header      http.Header
	inst        *Instance
	released    time.Time
	deadline    time.Time // on the injected clock
	finished    time.Time
	releaseSeq  int64
	finishSeq   int64
	outcome     Outcome
	body        []byte
	errType     string
	errMsg      string
	stack       []StackFrame
	latePosts   int
	initErr     error
	recordIndex int
}

func (inv *invocation) resultLocked() Result {
	r := Result{
		RequestID:    inv.id,
		Outcome:      inv.outcome,
		RetryCount:   inv.retryCount,
		Body:         inv.body,
		ErrorType:    inv.errType,
		ErrorMessage: inv.errMsg,
		StackTrace:   inv.stack,
	}
	if !inv.released.IsZero() && !inv.finished.IsZero() {
		r.Duration = inv.finished.Sub(inv.released)
	}
	return r
}

func (inv *invocation) recordLocked() Record {
	r := Record{
		RequestID:  inv.id,
		Async:      inv.async,
		RetryCount: inv.retryCount,
		Payload:    inv.payload,
		Header:     inv.header.Clone(),
		Instance:   -1,
		Result:     inv.resultLocked(),
		Released:   inv.released,
		Finished:   inv.finished,
		ReleaseSeq: inv.releaseSeq,
		FinishSeq:  inv.finishSeq,
		LatePosts:  inv.latePosts,
	}
	if inv.inst != nil {
		r.Instance = inv.inst.index
	}
	return r
}

// Invoke runs payload synchronously, as InvokeFunction with the Sync type: it returns when the
// function answers, times out or dies. A function failure is a Result with IsError, not an error;
// the error is for what kept the function from running (ctx, ErrInitFailed, ErrClosed, limits).
func (s *Server) Invoke(ctx context.Context, payload []byte, opts InvokeOptions) (Result, error) {
	s.mu.Lock()
	inv, err := s.enqueueLocked(payload, opts, false, 0, "")
	s.mu.Unlock()
	if err != nil {
		return Result{}, err
	}
	return s.await(ctx, inv)
}

func (s *Server) await(ctx context.Context, inv *invocation) (Result, error) {
	select {
	case <-inv.done:
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		// A queued invocation is withdrawn; a running one goes on, as in FC.
		if s.dequeueLocked(inv) {
			s.finishLocked(inv, OutcomeCanceled, nil, "", ctx.Err().Error())
		}
		return inv.resultLocked(), ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch inv.outcome {
	case OutcomeInitFailed:
		return inv.resultLocked(), inv.initErr
	case OutcomeCanceled:
		return inv.resultLocked(), ErrClosed
	}
	return inv.resultLocked(), nil
}

// Target adapts the function to a trigger bridge's delivery func: each call is one synchronous
// invocation, and a function failure (error, panic, timeout, crash) comes back as an
// *InvocationError.
func (s *Server) Target(opts InvokeOptions) func(ctx context.Context, payload []byte) error {
	return func(ctx context.Context, payload []byte) error {
		res, err := s.Invoke(ctx, payload, opts)
		if err != nil {
			return fmt.Errorf("fctest: invoke: %w", err)
		}
		return res.Err()
	}
}

// AsyncTarget is Target for asynchronously invoking triggers (timer): FC's async retries run, and
// the call returns once the invocation succeeded or ran out of attempts.
func (s *Server) AsyncTarget(opts InvokeOptions) func(ctx context.Context, payload []byte) error {
	return func(ctx context.Context, payload []byte) error {
		a, err := s.InvokeAsync(ctx, payload, opts)
		if err != nil {
			return fmt.Errorf("fctest: invoke async: %w", err)
		}
		res, err := a.Wait(ctx)
		if err != nil {
			return fmt.Errorf("fctest: invoke async: %w", err)
		}
		return res.Err()
	}
}

// enqueueLocked queues one attempt; id "" draws a new request id.
func (s *Server) enqueueLocked(payload []byte, opts InvokeOptions, async bool, retry int, id string) (*invocation, error) {
	if s.closing {
		return nil, ErrClosed
	}
	if s.initErr != nil {
		return nil, s.initErr
	}
	if s.stopped {
		return nil, ErrNotRunning
	}
	limit := MaxSyncPayload
	if async {
		limit = MaxAsyncPayload
	}
	if len(payload) > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrEntityTooLarge, len(payload), limit)
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = s.cfg.function.Timeout
	}
	if err := checkTimeout(timeout); err != nil {
		return nil, err
	}
	creds := s.creds
	if opts.Credentials != nil {
		creds = *opts.Credentials
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = s.cfg.concurrency
	}
	if id == "" {
		id = s.newRequestIDLocked()
	}
	inv := &invocation{
		id:          id,
		payload:     append([]byte(nil), payload...),
		async:       async,
		retryCount:  retry,
		creds:       creds,
		timeout:     timeout,
		concurrency: conc,
		done:        make(chan struct{}),
		outcome:     OutcomePending,
		recordIndex: len(s.records),
	}
	s.records = append(s.records, inv)
	s.latest[id] = inv
	s.queue = append(s.queue, inv)
	s.broadcastLocked()
	return inv, nil
}

func checkTimeout(d time.Duration) error {
	if d < time.Second || d > 86400*time.Second || d%time.Second != 0 {
		return fmt.Errorf("%w: %v", ErrInvalidTimeout, d)
	}
	return nil
}

func (s *Server) dequeueLocked(inv *invocation) bool {
	for i, q := range s.queue {
		if q == inv {
			s.queue = append(s.queue[:i:i], s.queue[i+1:]...)
			return true
		}
	}
	return false
}

// releaseLocked hands the queue head to an instance and stamps the headers of section 1.3.
func (s *Server) releaseLocked(inv *invocation, inst *Instance) {
	s.dequeueLocked(inv)
	s.seq++
	inv.releaseSeq = s.seq
	inv.inst = inst
	inv.released = s.clock.Now()
	inv.deadline = inv.released.Add(inv.timeout)
	s.running[inv.id] = inv
	s.counters.Released++

	f := s.cfg.function
	h := http.Header{}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("x-fc-request-id", inv.id)
	h.Set("x-fc-function-deadline", strconv.FormatInt(s.cfg.wall.Now().Add(inv.timeout).UnixMilli(), 10))
	h.Set("x-fc-function-timeout", strconv.Itoa(int(inv.timeout/time.Second)))
	h.Set("x-fc-retry-count", strconv.Itoa(inv.retryCount))
	h.Set("x-fc-access-key-id", inv.creds.AccessKeyID)
	h.Set("x-fc-access-key-secret", inv.creds.AccessKeySecret)
	h.Set("x-fc-security-token", inv.creds.SecurityToken)
	h.Set("x-fc-function-name", f.Name)
	h.Set("x-fc-function-handler", f.Handler)
	h.Set("x-fc-function-memory", strconv.Itoa(f.MemoryMB))
	h.Set("x-fc-region", s.cfg.region)
	h.Set("x-fc-account-id", s.cfg.account)
	h.Set("x-fc-qualifier", "LATEST")
	inv.header = h
	s.broadcastLocked()
}

// finishLocked ends an attempt (queued or running) and wakes whoever waits on it.
func (s *Server) finishLocked(inv *invocation, o Outcome, body []byte, typ, msg string) {
	if s.running[inv.id] == inv {
		delete(s.running, inv.id)
	}
	s.seq++
	inv.finishSeq = s.seq
	inv.finished = s.clock.Now()
	inv.outcome, inv.body, inv.errType, inv.errMsg = o, body, typ, msg
	close(inv.done)
	s.broadcastLocked()
}
