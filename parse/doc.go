// Package parse turns the body of an MPS QueryIProductionJob response into a typed Job and, once the
// job is final, into one normalized, versioned completion event (CloudEvents 1.0, structured JSON).
//
// It is pure: bytes in, values out. No I/O, no clock (callers pass the time), no SDK import, no
// package-level mutable state. Every error is typed so callers branch with errors.Is and errors.As:
// ErrMalformed, ErrInvalidJobID, ErrNotFinal, *NoSuchJobError and *UnknownStateError.
//
// Words: MPS calls the algorithm "FunctionName"; iprodwatch calls it the algorithm everywhere it
// speaks for itself (events, logs, docs). Job keeps MPS's field names because it mirrors the wire.
package parse
