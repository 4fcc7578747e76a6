package handler

import (
	"context"
	"time"
)

// The handler's view of the cloud: small interfaces, each method's errors classified as ErrTransient,
// ErrConfig, ErrNoSuchJob or ErrTooLarge (anything else is treated as transient; a cancelled
// context comes back as it is). Adapters neither retry nor log; the handler does both.
// handler/porttest is the contract, with a suite per port.

// Jobs queries MPS.
type Jobs interface {
	// QueryJob returns the raw body of the QueryIProductionJob response.
	QueryJob(ctx context.Context, jobID string) ([]byte, error)
}

// Queues sends to MNS queues and, in pull mode, drains the check queue.
type Queues interface {
	Send(ctx context.Context, queue string, body []byte, delay time.Duration) error
	// Receive takes up to max messages, waiting up to wait for the first; an empty queue is no error.
	Receive(ctx context.Context, queue string, max int, wait time.Duration) ([]Received, error)
	Delete(ctx context.Context, queue, receipt string) error
	// Defer hides a received message for d (ChangeMessageVisibility) and returns its new receipt:
	// the one given stops being valid, as in MNS. It returns "" and no error when the receipt no
	// longer holds the message (its visibility ran out, or it was deleted): another receive may
	// hold it now.
	Defer(ctx context.Context, queue, receipt string, d time.Duration) (string, error)
	// Limits are the queue's own: its MaximumMessageSize and MessageRetentionPeriod.
	Limits(ctx context.Context, queue string) (Limits, error)
}

// Limits are what a queue or topic takes: MNS lets each have a MaximumMessageSize of its own
// (1,024 to 65,536 bytes), and a queue keeps a message for its retention.
type Limits struct {
	MaxMessage int
	Retention  time.Duration // queues only
}

// Topics publishes to MNS topics.
type Topics interface {
	// Publish sends body with tag as its MessageTag (at most 16 characters).
	Publish(ctx context.Context, topic string, body []byte, tag string) error
	// Limits are the topic's own: its MaximumMessageSize.
	Limits(ctx context.Context, topic string) (Limits, error)
}

// Received is one message taken from a queue.
type Received struct {
	ID             string
	Receipt        string
	Body           []byte
	DequeueCount   int
	FirstDequeueAt time.Time
	EnqueuedAt     time.Time
}

// Clients are the adapters one invocation uses.
type Clients struct {
	Jobs   Jobs
	Queues Queues
	Topics Topics
}

// Connector returns the clients of the invocation whose context it is given: in FC each invocation
// carries the function role's current STS credentials, and both SDKs freeze theirs in the client.
// Its error fails the invocation (a configuration fault, typically no credentials).
type Connector func(ctx context.Context) (*Clients, error)
