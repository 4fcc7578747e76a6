package parse

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CheckVersion is the version of the check message this build writes and reads.
const CheckVersion = 1

// ErrBadMessage marks a message body that is not a check request in any accepted shape. The wrapped
// text says why; the handler dead-letters the body with it.
var ErrBadMessage = errors.New("bad check message")

// Check is the check message: what travels in the check queue between two checks of one job.
// It is small, versioned, and carries everything the next check needs, since the function keeps no
// state of its own.
type Check struct {
	Version int    `json:"v"`
	JobID   string `json:"jobId"`
	// Attempt is the number of the check this message asks for: 1 for the first. A message without
	// one decodes as 0; the handler's Normalize, the one place a check is normalized, counts it as 1.
	Attempt        int       `json:"attempt"`
	FirstCheckedAt time.Time `json:"firstCheckedAt,omitzero"`
	Deadline       time.Time `json:"deadline,omitzero"` // after it, the job is reported timed out
	// DueAt is the slot this check was scheduled for: the handler plans the next one from it, not
	// from when a copy of this message happened to arrive, so copies arriving apart stay in step.
	DueAt time.Time `json:"dueAt,omitzero"`
	// ExpectedSeconds is the submitter's hint of how long the job takes; it overrides the prior.
	ExpectedSeconds float64 `json:"expectedSeconds,omitempty"`
	// Notified says the job was submitted with a NotifyUrl naming the check queue (iprodwatch
	// submit sets it): MPS announces its end there, and this chain is only the backstop for a
	// notification that is lost, so it checks sparsely (policy.Policy's Backstop).
	Notified  bool   `json:"notified,omitempty"`
	Algorithm string `json:"algorithm,omitempty"` // learned from the first answer
	LastState State  `json:"lastState,omitempty"` // the state the last answer reported
	// StateSince is when LastState was first seen: the policy's estimate of time spent in it.
	StateSince time.Time `json:"stateSince,omitzero"`
	// LastCheckedAt is the slot of the check before this one, which saw the job running: the job
	// ends after it, give or take half the policy's floor (the event's checks.lastRunningAt, which
	// iprodwatch priors learns from). Only re-queues write it: a first check's or a pull-mode
	// message's is ignored (Normalize).
	LastCheckedAt time.Time `json:"lastCheckedAt,omitzero"`
	// Failures counts consecutive transient failures (throttling, 5xx, timeouts) of this check.
	Failures int `json:"failures,omitempty"`
	// FailingSince is when the run of Failures began: a job is timed out after failed queries only
	// once they have failed for long enough, not on a count alone.
	FailingSince time.Time `json:"failingSince,omitzero"`
	// Garbled counts the consecutive answers that were not the API's (a gateway's page, a cut
	// body): after too many the check is dead-lettered.
	Garbled int `json:"garbled,omitempty"`
	// UserData is the submitter's own data, carried from check to check untouched while the
	// message has room for it (the event's userData comes from MPS's answer, not from here).
	UserData json.RawMessage `json:"userData,omitempty"`
	// UserDataOmitted says a re-queue left UserData out: with it the check would not fit a message.
	UserDataOmitted bool `json:"userDataOmitted,omitempty"`
	// Callback is reserved for workflow callbacks (a CloudFlow task token); carried, not acted on.
	Callback json.RawMessage `json:"callback,omitempty"`
}

// Origin says which accepted shape a check came in.
type Origin string

// The shapes a check request arrives in.
const (
	OriginCheck        Origin = "check"        // the versioned check message
	OriginSubmit       Origin = "submit"       // a bare {"JobId": "..."}
	OriginNotification Origin = "notification" // an MPS job notification: the fast path
)

// Request is one decoded check request.
type Request struct {
	Check  Check
	Origin Origin
	// NotifiedState is the state an MPS notification announced (spelled as MPS should have: its
	// CaptionExtraction example writes "Succes"); a hint only, always confirmed by a query.
	NotifiedState State
}

// MaxAttempt bounds attempt and failures in a check message: a chain checks at most every few
// seconds for a week (about 10^5 checks), and a counter near the int limit would wrap negative
// when incremented.
const MaxAttempt = 1 << 20

// maxBodyLayers bounds how many wrappings (base64, a JSON string, a topic notification) are peeled
// off one body.
const maxBodyLayers = 4

// DecodeCheck reads a message body in any accepted shape and upgrades it to a Check: the check
// message, a bare {"JobId": "..."}, an MPS job notification (the IProduction callback, or the generic
// job message with either key casing, also wrapped in an MNS topic JSON notification), or base64 or
// a JSON string of any of these. Errors match ErrBadMessage or ErrInvalidJobID.
func DecodeCheck(body []byte) (Request, error) {
	return decodeCheck(body, maxBodyLayers)
}

func decodeCheck(body []byte, layers int) (Request, error) {
	b := bytes.TrimSpace(body)
	switch {
	case len(b) == 0:
		return Request{}, badMessage("empty body")
	case layers == 0:
		return Request{}, badMessage("body is wrapped too deeply")
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return Request{}, badMessage("body is not JSON: %v", err)
		}
		return decodeCheck([]byte(s), layers-1)
	case b[0] != '{':
		if json.Valid(b) {
			return Request{}, badMessage("body is %s, want a JSON object", kind(b))
		}
		if b[0] == '[' {
			// No base64 starts with '[': this is JSON gone wrong (truncated, or nested too deep).
			var v any
			return Request{}, badMessage("body is not JSON: %v", json.Unmarshal(b, &v))
		}
		if d, ok := unbase64(b); ok {
			return decodeCheck(d, layers-1)
		}
		return Request{}, badMessage("body is neither JSON nor base64 of JSON: %.60q", b)
	}
	var o object
	if err := json.Unmarshal(b, &o); err != nil {
		return Request{}, badMessage("body is not JSON: %v", err)
	}
	switch {
	case o["v"] != nil:
		return decodeVersioned(b, o)
	case o.get("TopicOwner") != nil && o.get("Message") != nil:
		msg, err := optString(o.get("Message"))
		if err != nil {
			return Request{}, badMessage("topic notification Message: %v", err)
		}
		return decodeCheck([]byte(msg), layers-1)
	case isNotification(o):
		return decodeNotification(o)
	case o.get("JobId") != nil:
		return decodeSubmit(o)
	}
	return Request{}, badMessage("body has no JobId: not a check message, a job id or an MPS notification")
}

func decodeVersioned(b []byte, o object) (Request, error) {
	// time.Time's own errors do not say which field they are about; these do.
	for _, name := range []string{"firstCheckedAt", "deadline", "dueAt", "stateSince", "failingSince", "lastCheckedAt"} {
		if raw := o.get(name); raw != nil {
			var t time.Time
			if err := json.Unmarshal(raw, &t); err != nil {
				return Request{}, badMessage("check message: %s: %v", name, err)
			}
		}
	}
	var c Check
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&c); err != nil {
		return Request{}, badMessage("check message: %v", err)
	}
	if c.Version != CheckVersion {
		return Request{}, badMessage("check message version %d is not supported (want %d)", c.Version, CheckVersion)
	}
	if c.Attempt < 0 || c.ExpectedSeconds < 0 || c.Failures < 0 {
		return Request{}, badMessage("check message: negative attempt or expectedSeconds")
	}
	if c.Attempt > MaxAttempt {
		return Request{}, badMessage("check message: attempt %d is over %d", c.Attempt, MaxAttempt)
	}
	if c.Failures > MaxAttempt {
		return Request{}, badMessage("check message: failures %d is over %d", c.Failures, MaxAttempt)
	}
	if c.Garbled < 0 || c.Garbled > MaxAttempt {
		return Request{}, badMessage("check message: garbled %d is not between 0 and %d", c.Garbled, MaxAttempt)
	}
	if c.LastState != "" && c.LastState != StateQueuing && c.LastState != StateAnalysing {
		return Request{}, badMessage("check message: lastState %q is not a running state", c.LastState)
	}
	if c.JobID == "" {
		return Request{}, badMessage("check message has no jobId")
	}
	if err := ValidateJobID(c.JobID); err != nil {
		return Request{}, err
	}
	return Request{Check: c, Origin: OriginCheck}, nil
}

// decodeSubmit reads what a submitter naturally sends: {"JobId": "..."}, optionally with the check
// message's own hints.
func decodeSubmit(o object) (Request, error) {
	id, err := jobIDField(o)
	if err != nil {
		return Request{}, err
	}
	c := Check{Version: CheckVersion, JobID: id, Attempt: 1, UserData: o.get("UserData", "userData")}
	if raw := o.get("notified"); raw != nil {
		if err := json.Unmarshal(raw, &c.Notified); err != nil {
			return Request{}, badMessage("notified: want true or false")
		}
	}
	if raw := o.get("expectedSeconds"); raw != nil {
		v, ok, err := number(raw)
		if err != nil || (ok && v < 0) {
			return Request{}, badMessage("expectedSeconds: want a positive number")
		}
		c.ExpectedSeconds = v
	}
	return Request{Check: c, Origin: OriginSubmit}, nil
}

// isNotification tells an MPS job notification from a bare job id: it names the job's type or state.
func isNotification(o object) bool {
	return o.get("JobId") != nil && (o.get("Type") != nil || o.get("State") != nil)
}

func decodeNotification(o object) (Request, error) {
	id, err := jobIDField(o)
	if err != nil {
		return Request{}, err
	}
	typ, err := optString(o.get("Type"))
	if err != nil {
		return Request{}, badMessage("notification Type: %v", err)
	}
	// The IProduction callback may omit Type (MPS's CaptionExtraction example does); any other job
	// type is not ours to query.
	if typ != "" && !strings.EqualFold(typ, "IProduction") {
		return Request{}, badMessage("MPS notification for a %q job, not an intelligent-production job", typ)
	}
	state, err := optString(o.get("State"))
	if err != nil {
		return Request{}, badMessage("notification State: %v", err)
	}
	c := Check{Version: CheckVersion, JobID: id, Attempt: 1, UserData: o.get("UserData")}
	if fn, err := optString(o.get("FunctionName")); err == nil {
		c.Algorithm = fn
	}
	return Request{Check: c, Origin: OriginNotification, NotifiedState: notifiedState(state)}, nil
}

// notifiedState compares by prefix and case, as MPS's own examples misspell the state.
func notifiedState(s string) State {
	l := strings.ToLower(s)
	switch {
	case strings.HasPrefix(l, "succes"):
		return StateSuccess
	case strings.HasPrefix(l, "fail"):
		return StateFail
	}
	return State(s)
}

// jobIDField reads JobId in either casing; the two must agree when both are present (MPS's generic
// notification carries both).
func jobIDField(o object) (string, error) {
	var ids []string
	for k, v := range o {
		if strings.EqualFold(k, "JobId") {
			s, err := optString(v)
			if err != nil {
				return "", badMessage("%s: %v", k, err)
			}
			ids = append(ids, s)
		}
	}
	for _, id := range ids[1:] {
		if id != ids[0] {
			return "", badMessage("JobId and jobId disagree: %q, %q", ids[0], id)
		}
	}
	if ids[0] == "" {
		return "", badMessage("empty JobId")
	}
	if err := ValidateJobID(ids[0]); err != nil {
		return "", err
	}
	return ids[0], nil
}

// unbase64 decodes standard or URL-safe base64 (padded or not) whose content is JSON.
func unbase64(b []byte) ([]byte, bool) {
	s := strings.TrimSpace(string(b))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if d, err := enc.DecodeString(s); err == nil && json.Valid(d) {
			return d, true
		}
	}
	return nil, false
}

func badMessage(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadMessage, fmt.Sprintf(format, args...))
}

// EncodeCheck writes a check message; the handler sends it to the check queue as plain text.
func EncodeCheck(c Check) ([]byte, error) {
	c.Version = CheckVersion
	c.FirstCheckedAt, c.Deadline, c.StateSince, c.FailingSince = c.FirstCheckedAt.UTC(), c.Deadline.UTC(), c.StateSince.UTC(), c.FailingSince.UTC()
	c.DueAt, c.LastCheckedAt = c.DueAt.UTC(), c.LastCheckedAt.UTC()
	return encode(c, "")
}
