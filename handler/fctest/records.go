package fctest

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fc/messages"
)

// Outcome is how an invocation attempt ended.
type Outcome string

const (
	OutcomePending    Outcome = "Pending"    // queued or running
	OutcomeSuccess    Outcome = "Success"    // the function posted /response
	OutcomeError      Outcome = "Error"      // the function posted /error (returned error or panic)
	OutcomeTimeout    Outcome = "Timeout"    // no answer by the deadline; the instance was restarted
	OutcomeCrashed    Outcome = "Crashed"    // the process died while running it
	OutcomeInitFailed Outcome = "InitFailed" // never released: the instance failed to start
	OutcomeCanceled   Outcome = "Canceled"   // never released: the caller gave up or the server closed
)

// StackFrame is one frame of a panic's stackTrace, as the SDK posts it.
type StackFrame struct {
	Path  string `json:"path"`
	Line  int32  `json:"line"`
	Label string `json:"label"`
}

// Result is what the invoker of one attempt learns.
type Result struct {
	RequestID  string
	Outcome    Outcome
	RetryCount int
	// Body is the /response body, or the /error body as posted.
	Body []byte
	// ErrorType and ErrorMessage come from the /error body, or describe a timeout or crash.
	ErrorType    string
	ErrorMessage string
	// StackTrace is set when the error was a recovered panic.
	StackTrace []StackFrame
	// Duration is release to answer on the injected clock.
	Duration time.Duration
}

// IsError reports whether the attempt failed (FC's UnhandledInvocationError).
func (r Result) IsError() bool { return r.Outcome != OutcomeSuccess }

// Err is nil for a success, else an *InvocationError.
func (r Result) Err() error {
	if !r.IsError() {
		return nil
	}
	return &InvocationError{RequestID: r.RequestID, Outcome: r.Outcome, ErrorType: r.ErrorType, ErrorMessage: r.ErrorMessage}
}

// Record is one invocation attempt as the emulator saw it.
type Record struct {
	RequestID  string
	Async      bool
	RetryCount int
	Payload    []byte
	// Header is what /next answered with; nil until released.
	Header http.Header
	// Instance is the index (into Instances) of the process that ran it, -1 if none did.
	Instance int
	Result   Result
	// Released and Finished are injected-clock times; zero when it did not happen.
	Released, Finished time.Time
	// ReleaseSeq and FinishSeq order releases and answers across all invocations (1, 2, ...),
	// so tests can check overlap without reading times.
	ReleaseSeq, FinishSeq int64
	// LatePosts counts /response or /error posts that came after the attempt had ended.
	LatePosts int
}

// Counters tally the runtime API traffic and process life.
type Counters struct {
	Next           int // GET /next calls
	DroppedWaiters int // /next calls whose client went away while parked
	Released       int // invocations handed out
	Responses      int // POST /response for a running invocation
	Errors         int // POST /error for a running invocation
	LatePosts      int // posts for an invocation that had already ended
	UnknownPosts   int // posts for an id never handed out (answered 404)
	Timeouts       int
	Crashes        int // invocations lost to a dying process
	AsyncRetries   int
	Starts         int // processes started, restarts included
	Restarts       int
	InitFailures   int
}

// EventKind names a step in the emulator's life.
type EventKind string

const (
	EventInstanceStarted EventKind = "InstanceStarted"
	EventInstanceKilled  EventKind = "InstanceKilled" // the emulator sent SIGKILL
	EventInstanceExited  EventKind = "InstanceExited" // the process was reaped
	EventListenerClosed  EventKind = "ListenerClosed" // an instance's runtime API, or (Instance -1) the server's
)

// Event is one entry of the lifecycle log, in order.
type Event struct {
	Kind     EventKind
	Instance int // -1 for server events
	PID      int
	Detail   string
}

// parseErrorBody reads an /error body with the SDK's own wire type.
func parseErrorBody(body []byte) (typ, msg string, stack []StackFrame) {
	var e messages.InvokeResponse_Error
	if err := json.Unmarshal(body, &e); err != nil {
		return "", string(body), nil
	}
	for _, f := range e.StackTrace {
		if f != nil {
			stack = append(stack, StackFrame{Path: f.Path, Line: f.Line, Label: f.Label})
		}
	}
	return e.Type, e.Message, stack
}
