package triggertest

import (
	"context"
	"errors"
	"time"
)

// Func is what a bridge delivers to: the function's handler taking the raw event bytes, as
// fc-runtime-go-sdk passes them to a []byte handler. In handler tests it is the handler itself;
// later the FC runtime emulator's invoke.
type Func func(ctx context.Context, payload []byte) error

// ErrPanic is wrapped by the error recorded when the function panics; like the FC runtime, the
// bridge recovers and counts it as a failed invocation.
var ErrPanic = errors.New("triggertest: function panicked")

// Kind names the bridge behind an invocation.
type Kind string

const (
	KindQueue Kind = "eventbridge-mns-queue" // QueueSource
	KindTopic Kind = "mns-topic"             // TopicPush
	KindTimer Kind = "timer"                 // Timer
)

// Invocation describes the call in progress; the function reads it with InvocationFrom (an FC
// runtime emulator maps RetryCount to x-fc-retry-count).
type Invocation struct {
	Kind       Kind
	Trigger    string
	Seq        int // the batch, topic message or timer tick, from 1
	RetryCount int // 0 for the first invocation
}

type invocationKey struct{}

// InvocationFrom returns the Invocation a bridge put in ctx.
func InvocationFrom(ctx context.Context) (Invocation, bool) {
	inv, ok := ctx.Value(invocationKey{}).(Invocation)
	return inv, ok
}

// Delivery records one invocation of the function.
type Delivery struct {
	Seq        int       // batch, message or tick number, from 1
	RetryCount int       // 0 for the first invocation, n for the n-th retry
	Time       time.Time // injected clock when invoked
	Payload    []byte    // exactly what the function received
	MessageIDs []string  // MNS message ids carried (queue source and topic push)
	Err        error     // what the function returned; nil on success
}

// Dropped records an event (a batch, topic message or timer tick) given up after its retries.
type Dropped struct {
	Seq        int
	Time       time.Time // injected clock when given up
	Payload    []byte
	MessageIDs []string
	Attempts   int   // invocations made, first included
	Err        error // the last function error
}

// DeadLetter records one event sent to the dead-letter queue.
type DeadLetter struct {
	Seq          int
	Time         time.Time
	MessageID    string // the source MNS message
	DLQMessageID string // the id the dead-letter queue gave it
	Body         string // the CloudEvent JSON object sent
}

// Consumed records one MNS message the queue source received and deleted.
type Consumed struct {
	MessageID    string
	Body         string // as received from MNS, before any base64 decoding
	ReceiveTime  time.Time
	DequeueCount int64
}

// Stats counts what a bridge did. Fields a bridge does not use stay zero.
type Stats struct {
	Invocations    int // every attempt
	Failures       int // attempts the function failed
	Retries        int // attempts with RetryCount > 0
	Dropped        int // events given up (batches count once)
	DeadLettered   int // MNS messages sent to the dead-letter queue
	Consumed       int // MNS messages received and deleted
	DecodeFailures int // bodies that were not base64 with IsBase64Decode on
	Filtered       int // topic messages whose tag did not match filterTag
	Errors         int // RunDue errors seen by Run (MNS calls that failed)
	LastError      error
}
