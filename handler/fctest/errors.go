package fctest

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed: the server was closed.
	ErrClosed = errors.New("fctest: server closed")
	// ErrNotRunning: no function process is running and none will be started.
	ErrNotRunning = errors.New("fctest: function process not running")
	// ErrAlreadyStarted: Start was called while a process runs.
	ErrAlreadyStarted = errors.New("fctest: function process already started")
	// ErrInitFailed: the process exited before it asked for its first invocation.
	ErrInitFailed = errors.New("fctest: function instance failed to start")
	// ErrInvalidEnv: an environment variable FC would refuse (FC_ prefix, bad name, over 4 KB).
	ErrInvalidEnv = errors.New("fctest: invalid environment variable")
	// ErrInvalidTimeout: a timeout that is not whole seconds in 1..86400.
	ErrInvalidTimeout = errors.New("fctest: invalid timeout")
	// ErrEntityTooLarge: the payload is over the sync (32 MB) or async (128 KB) limit; FC answers
	// EntityTooLarge.
	ErrEntityTooLarge = errors.New("fctest: EntityTooLarge: payload size exceeds maximum allowed size")

	// ErrFunction matches an InvocationError from /error (a returned error or a recovered panic).
	ErrFunction = errors.New("fctest: function error")
	// ErrTimeout matches an InvocationError for an invocation that did not answer by its deadline.
	ErrTimeout = errors.New("fctest: function timed out")
	// ErrProcessExited matches an InvocationError for an invocation whose process died under it.
	ErrProcessExited = errors.New("fctest: function process exited during the invocation")
)

// InvocationError is a failed invocation as FC reports it to the invoker
// (X-Fc-Error-Type: UnhandledInvocationError). errors.Is matches ErrFunction, ErrTimeout or
// ErrProcessExited by Outcome.
type InvocationError struct {
	RequestID    string
	Outcome      Outcome
	ErrorType    string
	ErrorMessage string
}

func (e *InvocationError) Error() string {
	return fmt.Sprintf("fctest: invocation %s: %s: %s: %s", e.RequestID, e.Outcome, e.ErrorType, e.ErrorMessage)
}

// Is lets callers branch on the kind of failure without reading strings.
func (e *InvocationError) Is(target error) bool {
	switch target {
	case ErrFunction:
		return e.Outcome == OutcomeError
	case ErrTimeout:
		return e.Outcome == OutcomeTimeout
	case ErrProcessExited:
		return e.Outcome == OutcomeCrashed
	}
	return false
}

// InitError says how a function process failed to start. It matches ErrInitFailed.
type InitError struct {
	Instance int
	ExitCode int
	// Output is the last lines the process wrote, where the SDK's log.Fatalf message ends up.
	Output []string
}

func (e *InitError) Error() string {
	last := ""
	if n := len(e.Output); n > 0 {
		last = ": " + e.Output[n-1]
	}
	return fmt.Sprintf("fctest: instance %d exited with status %d before its first invocation%s", e.Instance, e.ExitCode, last)
}

// Unwrap makes errors.Is(err, ErrInitFailed) hold.
func (e *InitError) Unwrap() error { return ErrInitFailed }
