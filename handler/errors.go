package handler

import (
	"errors"
	"fmt"
)

// Error categories. Adapters classify every failure into one of them (their tables live beside the
// SDK they wrap); the handler decides by category with errors.Is, never by text.
var (
	// ErrTransient is a failure worth trying again later: throttling, 5xx, timeouts, dropped
	// connections.
	ErrTransient = errors.New("transient failure")
	// ErrConfig is a fault in configuration or permissions: a rejected key or signature, a denied
	// action, a queue or topic that does not exist, an invalid variable. Neither the message nor
	// time will fix it, so the invocation fails loudly instead of retrying or dead-lettering.
	ErrConfig = errors.New("configuration fault")
	// ErrThrottled is MPS refusing a call for the quota; it is transient, and it also slows this
	// instance down.
	ErrThrottled = fmt.Errorf("%w: throttled", ErrTransient)
	// ErrGarbled is an answer that is not the API's: a gateway's page (408, 5xx) or a 200 whose
	// body is empty, cut or not a JSON object. It is transient, for MaxGarbled tries running.
	ErrGarbled = fmt.Errorf("%w: not the API's answer", ErrTransient)
	// ErrUnknownCode is MPS refusing a query with a 4xx error code this build does not know: not an
	// authentication or authorization code (those are ErrConfig), so nothing says the whole
	// configuration is wrong, nor that the job is. It is transient, counted with ErrGarbled
	// towards MaxGarbled, then dead-lettered with the code.
	ErrUnknownCode = fmt.Errorf("%w: an MPS error code this build does not know", ErrTransient)
	// ErrNoSuchJob is MPS saying it has no such job for this account.
	ErrNoSuchJob = errors.New("no such job")
	// ErrTooLarge is a message over the MNS size limit.
	ErrTooLarge = errors.New("message too large")
	// ErrNotSubmitted is a SubmitIProductionJob that created no job: it never left, or MPS refused
	// it with an error answer. Submitting again is safe (once the cause is fixed).
	ErrNotSubmitted = errors.New("job not submitted")
	// ErrSubmitUnknown is a SubmitIProductionJob whose outcome is unknown: it left, and no answer
	// said what became of it. A job may exist; submit takes no idempotency token, so submitting
	// again may start (and bill) a second one.
	ErrSubmitUnknown = errors.New("submit outcome unknown: a job may have been created")
)

// errInternal is a panic the handler contained: a defect of this build, not of the input.
var errInternal = errors.New("internal error")

// categorized returns err in category cat: errors.Is and errors.As reach both, and the text is
// err's own.
func categorized(cat, err error) error { return &categoryError{cat: cat, err: err} }

type categoryError struct{ cat, err error }

func (e *categoryError) Error() string   { return e.err.Error() }
func (e *categoryError) Unwrap() []error { return []error{e.cat, e.err} }
