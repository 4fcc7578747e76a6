package parse

import (
	"bytes"
	"encoding/json"
)

// State is the job state MPS reports, spelled exactly as MPS spells it.
type State string

// The four states of an intelligent-production job, in the order a job passes through them.
const (
	StateQueuing   State = "Queuing"
	StateAnalysing State = "Analysing"
	StateSuccess   State = "Success"
	StateFail      State = "Fail"
)

// Final reports whether no further state change is expected.
func (s State) Final() bool { return s == StateSuccess || s == StateFail }

// Job is one QueryIProductionJob response, every field kept. Field names follow the API.
type Job struct {
	RequestID    string
	JobID        string
	FunctionName string // the algorithm, e.g. "VideoH2V"
	State        State
	Input        string // OSS URI of the input
	Output       string // OSS URI template of the output, placeholders not substituted
	PipelineID   string
	// UserData is nil when MPS returned null or nothing; a non-string value is kept as its JSON text.
	UserData *string
	// JobParams is the string as submitted; it is not always valid JSON (MPS's own example is
	// {mode:"gif"}).
	JobParams string
	Result    *Result // nil while the job runs, or when the final job carries no Result
}

// Result is the algorithm's envelope, decoded from however many layers of JSON strings MPS wrapped it in.
type Result struct {
	Code    string
	Message string
	// Data is the algorithm's payload as plain JSON (object, array, or a scalar), compacted; nil when
	// Data was absent, null or "".
	Data json.RawMessage
}

// Failed reports whether the envelope says the algorithm failed: a Code other than Success. An absent
// Code says nothing and is not a failure.
func (r *Result) Failed() bool {
	return r != nil && r.Code != "" && !equalFold(r.Code, "Success")
}

// wireJob holds the body as it arrives; every field is raw so that each can be decoded leniently
// where MPS is inconsistent and strictly where it is not.
type wireJob struct {
	RequestID    json.RawMessage `json:"RequestId"`
	JobID        json.RawMessage `json:"JobId"`
	FunctionName json.RawMessage `json:"FunctionName"`
	State        json.RawMessage `json:"State"`
	Input        json.RawMessage `json:"Input"`
	Output       json.RawMessage `json:"Output"`
	PipelineID   json.RawMessage `json:"PipelineId"`
	UserData     json.RawMessage `json:"UserData"`
	JobParams    json.RawMessage `json:"JobParams"`
	Result       json.RawMessage `json:"Result"`
}

// DecodeJob decodes the raw body of a QueryIProductionJob response. It returns a Job, or an error that
// matches ErrMalformed, ErrInvalidJobID, *NoSuchJobError or *UnknownStateError.
func DecodeJob(body []byte) (*Job, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, malformed("empty body")
	}
	if body[0] != '{' {
		return nil, malformed("body is not a JSON object")
	}
	var w wireJob
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, malformed("%v", err)
	}
	j := &Job{}
	fields := []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{
		{"RequestId", w.RequestID, &j.RequestID},
		{"JobId", w.JobID, &j.JobID},
		{"FunctionName", w.FunctionName, &j.FunctionName},
		{"Input", w.Input, &j.Input},
		{"Output", w.Output, &j.Output},
		{"PipelineId", w.PipelineID, &j.PipelineID},
		{"JobParams", w.JobParams, &j.JobParams},
	}
	for _, f := range fields {
		s, err := optString(f.raw)
		if err != nil {
			return nil, malformed("%s: %v", f.name, err)
		}
		*f.dst = s
	}
	state, err := optString(w.State)
	if err != nil {
		return nil, malformed("State: %v", err)
	}
	if j.JobID == "" {
		return nil, malformed("no JobId")
	}
	if err := ValidateJobID(j.JobID); err != nil {
		return nil, err
	}
	j.UserData = userData(w.UserData)
	if state == "" {
		if j.FunctionName == "" && len(w.Result) == 0 && j.Input == "" && j.Output == "" {
			return nil, &NoSuchJobError{JobID: j.JobID, RequestID: j.RequestID}
		}
		return nil, &UnknownStateError{JobID: j.JobID}
	}
	switch st := State(state); st {
	case StateQueuing, StateAnalysing, StateSuccess, StateFail:
		j.State = st
	default:
		return nil, &UnknownStateError{JobID: j.JobID, State: state}
	}
	if j.Result, err = decodeResult(w.Result); err != nil {
		return nil, err
	}
	return j, nil
}

// optString decodes a JSON string, treating absent and null as "".
func optString(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errWantString(raw)
	}
	return s, nil
}

// userData keeps a string as it is, null or absent as nil, and any other JSON value as its text (the
// SDK does the same for numbers; an echo should not be refused for its type).
func userData(raw json.RawMessage) *string {
	if isNull(raw) {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return &s
	}
	s = string(compact(raw))
	return &s
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}
