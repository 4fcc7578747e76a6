package parse

import (
	"errors"
	"fmt"
)

// ErrMalformed marks input that is not the JSON shape the API documents: a syntax error, a field of the
// wrong type, a Result that cannot be decoded. The wrapped error says which field and why.
var ErrMalformed = errors.New("malformed QueryIProductionJob response")

// ErrInvalidJobID marks a job id that does not match JobIDPattern.
var ErrInvalidJobID = errors.New("invalid job id")

// ErrNotFinal is returned when an event is asked for a job that is still Queuing or Analysing.
var ErrNotFinal = errors.New("job is not final")

// NoSuchJobError is the answer MPS gives for a job id that is not an intelligent-production job the
// account can see: a body with only RequestId and JobId.
type NoSuchJobError struct {
	JobID     string
	RequestID string
}

func (e *NoSuchJobError) Error() string {
	return fmt.Sprintf("no intelligent-production job %q (the response holds only RequestId %q and JobId)", e.JobID, e.RequestID)
}

// UnknownStateError is a State outside Queuing, Analysing, Success and Fail (or no State at all in a
// body that otherwise describes a job). It is never guessed at.
type UnknownStateError struct {
	JobID string
	State string
}

func (e *UnknownStateError) Error() string {
	if e.State == "" {
		return fmt.Sprintf("job %q: response has no State", e.JobID)
	}
	return fmt.Sprintf("job %q: unknown State %q (want Queuing, Analysing, Success or Fail)", e.JobID, e.State)
}

// malformed wraps a description of what is wrong so that it matches ErrMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}
