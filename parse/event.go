package parse

import (
	"encoding/json"
	"time"
)

// Event is the completion event, CloudEvents 1.0 in structured JSON mode. It holds data and no logic:
// NewEvent and NewTimedOutEvent build it, EncodeEvent writes it, json.Unmarshal reads it back.
type Event struct {
	SpecVersion     string    `json:"specversion"` // always "1.0"
	ID              string    `json:"id"`          // deterministic from job id and outcome
	Source          string    `json:"source"`      // acs:mts:<region>:<account>:iproduction
	Type            string    `json:"type"`        // iprodwatch.job.<outcome>.v1
	Subject         string    `json:"subject"`     // the job id
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"` // application/json
	DataSchema      string    `json:"dataschema"`
	// Extension attributes, so routers can filter without reading data.
	Algorithm string  `json:"algorithm,omitempty"`
	Outcome   Outcome `json:"outcome"`
	// OutputMissing marks a succeeded job whose output MPS said it could not write (a file entry
	// that is not an object key, such as "oss fail to save the image in the given bucket"): a
	// consumer that routes on outcome expects files, and there are none to read.
	OutputMissing bool      `json:"outputmissing,omitempty"`
	Data          EventData `json:"data"`
}

// Outcome is how a job ended, in the one vocabulary used by event types, the outcome attribute, the
// MNS MessageTag (at most 16 characters), logs and docs.
type Outcome string

// The three outcomes.
const (
	OutcomeSucceeded Outcome = "succeeded"
	OutcomeFailed    Outcome = "failed"
	OutcomeTimedOut  Outcome = "timedout"
)

// EventData is the event's payload.
type EventData struct {
	JobID      string  `json:"jobId"`
	Algorithm  string  `json:"algorithm,omitempty"`
	State      State   `json:"state,omitempty"` // the last state MPS reported
	PipelineID string  `json:"pipelineId,omitempty"`
	Input      string  `json:"input,omitempty"`
	Output     string  `json:"output,omitempty"` // the Output template as submitted
	UserData   *string `json:"userData"`         // echoed exactly as given; null when none
	// JobParams is the object submitted when it is JSON, else the string as submitted.
	JobParams json.RawMessage `json:"jobParams,omitempty"`
	Files     []File          `json:"files"`
	// Result is the typed per-algorithm result (its shape is the schema's $defs entry named after the
	// algorithm); absent for failed and timed-out jobs and for algorithms without a typed result.
	Result json.RawMessage `json:"result,omitempty"`
	// ResultError says why Result could not be read from Data; RawData still holds all of it.
	ResultError string `json:"resultError,omitempty"`
	// RawData is MPS's Data, decoded out of its JSON strings: nothing is lost if a parser guesses wrong,
	// and it is the whole result of an algorithm this version does not know.
	RawData   json.RawMessage `json:"rawData,omitempty"`
	Error     *EventError     `json:"error,omitempty"`
	Warnings  []string        `json:"warnings,omitempty"`
	Checks    Checks          `json:"checks"`
	Truncated *Truncated      `json:"truncated,omitempty"`
}

// EventError is why a job failed or timed out.
type EventError struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

// Checks is the cost and latency of finding the outcome, filled by the caller.
type Checks struct {
	Attempts       int       `json:"attempts"`       // QueryIProductionJob calls made for the job
	FirstCheckedAt time.Time `json:"firstCheckedAt"` // the first of them
	DetectedAt     time.Time `json:"detectedAt"`     // the one that saw the outcome
	// LastRunningAt is the last check that saw the job running, when the chain knows it: the job
	// ended after it and by DetectedAt (iprodwatch priors fits durations from the two).
	LastRunningAt time.Time `json:"lastRunningAt,omitzero"`
	Deadline      time.Time `json:"deadline,omitzero"`
}

// Truncated marks an event shrunk to fit a message: what was dropped, and how to get it back.
type Truncated struct {
	Reason  string   `json:"reason"`
	Omitted []string `json:"omitted"` // JSON paths of the dropped fields, e.g. data.rawData
	Fetch   string   `json:"fetch"`   // a command that prints the full event
}
