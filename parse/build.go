package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Event constants.
const (
	SpecVersion     = "1.0"
	DataContentType = "application/json"
	// DataSchema names the schema the event's data follows (Schema returns it). A new major version
	// gets a new name, a new type suffix and a new schema.
	DataSchema = "urn:iprodwatch:schema:job-event:v1"
)

// ErrFinal is returned when a timed-out event is asked for a job already seen in a final state.
var ErrFinal = errors.New("job is final")

// Params is what an event needs besides the job: where it comes from, when, and what it took.
type Params struct {
	Region  string    // MPS region, e.g. cn-shanghai; "" when unknown
	Account string    // Alibaba Cloud account id; "" when unknown
	Time    time.Time // the event's time, read from the caller's clock
	Checks  Checks
}

// Source is the event source for a region and account, with empty segments where unknown
// (acs:mts:::iproduction), so every producer with the same configuration writes the same source.
func Source(region, account string) string {
	return "acs:mts:" + region + ":" + account + ":iproduction"
}

// EventType is the CloudEvents type for an outcome: iprodwatch.job.<outcome>.v1.
func EventType(o Outcome) string { return "iprodwatch.job." + string(o) + ".v1" }

// JobOutcome is the outcome of a final job: failed when MPS says Fail or the Result's Code is not
// Success, else succeeded. ok is false while the job runs.
func JobOutcome(j *Job) (o Outcome, ok bool) {
	switch {
	case !j.State.Final():
		return "", false
	case j.State == StateFail || j.Result.Failed():
		return OutcomeFailed, true
	default:
		return OutcomeSucceeded, true
	}
}

// NewEvent builds the completion event of a final job. It returns an error matching ErrNotFinal for a
// job still running; anything MPS sent that cannot be read is reported inside the event, not refused.
func NewEvent(j *Job, p Params) (*Event, error) {
	outcome, ok := JobOutcome(j)
	if !ok {
		return nil, fmt.Errorf("%w: job %s is %s", ErrNotFinal, j.JobID, j.State)
	}
	e := newEnvelope(j.JobID, outcome, p)
	e.Algorithm = j.FunctionName
	e.Data = jobData(j, p.Checks)
	var data json.RawMessage
	if j.Result != nil {
		data = j.Result.Data
	}
	e.Data.RawData = data
	if outcome == OutcomeFailed {
		e.Data.Error = jobError(j)
		return e, nil
	}
	r := newResolver(j.Output)
	if parse, ok := parserFor(j.FunctionName); ok {
		result, files, err := parse(data, r)
		e.Data.Files = append(e.Data.Files, files...)
		if err != nil {
			e.Data.ResultError = err.Error()
		}
		b, err := marshal(result)
		if err != nil {
			return nil, fmt.Errorf("job %s: encoding the %s result: %w", j.JobID, j.FunctionName, err)
		}
		e.Data.Result = b
	} else {
		e.Data.Files = append(e.Data.Files, scanFiles(data, r)...)
	}
	e.Data.Warnings = r.warnings
	e.OutputMissing = r.unsaved > 0
	return e, nil
}

// NewTimedOutEvent builds the event for a job with no final state by its deadline. last is the last
// response seen, nil when none was; a final last is an error matching ErrFinal (use NewEvent).
func NewTimedOutEvent(jobID string, last *Job, p Params) (*Event, error) {
	if err := ValidateJobID(jobID); err != nil {
		return nil, err
	}
	e := newEnvelope(jobID, OutcomeTimedOut, p)
	e.Data = EventData{JobID: jobID, Files: []File{}, Checks: checks(p.Checks)}
	seen := "none"
	if last != nil {
		if last.State.Final() {
			return nil, fmt.Errorf("%w: job %s is %s", ErrFinal, jobID, last.State)
		}
		e.Algorithm = last.FunctionName
		e.Data = jobData(last, p.Checks)
		seen = string(last.State)
	}
	e.Data.Error = deadlineExceeded(seen)
	return e, nil
}

// NewTimedOutEventFromCheck builds the timed-out event when the last query brought no answer: what
// the check message remembers of the job (its algorithm and the last state seen) stands in for it.
func NewTimedOutEventFromCheck(c Check, p Params) (*Event, error) {
	if err := ValidateJobID(c.JobID); err != nil {
		return nil, err
	}
	if c.LastState.Final() {
		return nil, fmt.Errorf("%w: job %s is %s", ErrFinal, c.JobID, c.LastState)
	}
	e := newEnvelope(c.JobID, OutcomeTimedOut, p)
	e.Data = EventData{JobID: c.JobID, Files: []File{}, Checks: checks(p.Checks)}
	seen := "none"
	if c.LastState != "" {
		e.Algorithm, e.Data.Algorithm, e.Data.State = c.Algorithm, c.Algorithm, c.LastState
		seen = string(c.LastState)
	}
	e.Data.Error = deadlineExceeded(seen)
	return e, nil
}

func deadlineExceeded(seen string) *EventError {
	return &EventError{Code: "DeadlineExceeded", Message: "no final state by the deadline; last state seen: " + seen}
}

func newEnvelope(jobID string, o Outcome, p Params) *Event {
	return &Event{
		SpecVersion:     SpecVersion,
		ID:              EventID(jobID, o),
		Source:          Source(p.Region, p.Account),
		Type:            EventType(o),
		Subject:         jobID,
		Time:            p.Time.UTC(),
		DataContentType: DataContentType,
		DataSchema:      DataSchema,
		Outcome:         o,
	}
}

// jobData copies the job's own fields into the event.
func jobData(j *Job, c Checks) EventData {
	return EventData{
		JobID:      j.JobID,
		Algorithm:  j.FunctionName,
		State:      j.State,
		PipelineID: j.PipelineID,
		Input:      j.Input,
		Output:     j.Output,
		UserData:   j.UserData,
		JobParams:  jobParams(j.JobParams),
		Files:      []File{},
		Checks:     checks(c),
	}
}

func checks(c Checks) Checks {
	c.FirstCheckedAt = c.FirstCheckedAt.UTC()
	c.DetectedAt = c.DetectedAt.UTC()
	if !c.Deadline.IsZero() {
		c.Deadline = c.Deadline.UTC()
	}
	return c
}

// jobParams keeps JobParams as JSON when it is JSON and as the submitted string otherwise ({mode:"gif"}).
func jobParams(s string) json.RawMessage {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil
	}
	if json.Valid([]byte(t)) {
		return compact(json.RawMessage(t))
	}
	b, _ := marshal(s) // a Go string always encodes
	return b
}

// jobError is the error of a failed job: the Result's Code and Message when it reports a failure,
// else JobFailed.
func jobError(j *Job) *EventError {
	e := &EventError{Code: "JobFailed"}
	switch {
	case j.Result.Failed():
		e.Code, e.Message = j.Result.Code, j.Result.Message
	case j.Result != nil && j.Result.Code == "":
		e.Message = j.Result.Message
	}
	return e
}

// EncodeEvent writes the event as JSON, indented when indent is not "". HTML characters are not
// escaped: URIs and userData read as they were sent.
func EncodeEvent(e *Event, indent string) ([]byte, error) { return encode(e, indent) }

func marshal(v any) (json.RawMessage, error) { return encode(v, "") }

// Marshal encodes v as compact JSON without escaping <, > and &: an escaped character takes six
// bytes of a message, nothing reads these bodies as HTML, and the cloud's own (non-Go) encoders do
// not escape them either. Every body iprodwatch and its emulators write goes through it.
func Marshal(v any) ([]byte, error) { return encode(v, "") }

func encode(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
