package handler

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"iprodwatch/parse"
)

// Letter is one message of the dead-letter queue as an operator reads it: who put it there, why,
// and the check requests that sending it back means. The queue takes three kinds: the function's
// own dead letters, EventBridge's (a batch it gave up on: the event itself) and FC's asynchronous
// failures (a record whose requestPayload is the invocation's payload).
type Letter struct {
	From    string // LetterIprodwatch, LetterTrigger or LetterUnknown
	Reason  string
	Trigger string // what the function was invoked by, as its dead letter says
	JobID   string
	At      time.Time // when it was dead-lettered, by the function's clock
	// Requests are the message bodies to send back to the check queue, as they were first sent.
	Requests [][]byte
	// MessageIDs are the ids of the messages the letter is about, where it names them (the
	// check-queue message the function or EventBridge dead-lettered).
	MessageIDs []string
	// Stuck says why the letter cannot be sent back; "" when it can.
	Stuck string
}

// Where a dead letter came from.
const (
	LetterIprodwatch = "iprodwatch" // the function's own: the reason and the original body
	LetterTrigger    = "trigger"    // EventBridge's or FC's: the payload the function failed on
	LetterUnknown    = "unknown"
)

// maxLetterLayers bounds how many envelopes ReadLetter opens (an FC record around an event).
const maxLetterLayers = 3

// ReadLetter reads one dead-letter queue message. It never fails: what it cannot read is a letter
// that is Stuck, with the reason.
func ReadLetter(body []byte) Letter {
	var dl DeadLetter
	if err := json.Unmarshal(body, &dl); err == nil && dl.V == 1 && dl.Reason != "" {
		l := Letter{From: LetterIprodwatch, Reason: dl.Reason, Trigger: dl.Trigger, JobID: dl.JobID, At: dl.At}
		if dl.MessageID != "" {
			l.MessageIDs = []string{dl.MessageID}
		}
		original := []byte(dl.Body)
		if dl.BodyBase64 != "" {
			b, err := base64.StdEncoding.DecodeString(dl.BodyBase64)
			if err != nil {
				l.Stuck = "its bodyBase64 is not base64"
				return l
			}
			original = b
		}
		switch {
		case dl.BodyTruncated:
			l.Stuck = "its body was cut to fit the dead-letter queue: it cannot be sent back whole"
		case len(bytes.TrimSpace(original)) == 0:
			l.Stuck = "it carries no body"
		default:
			l.Requests = [][]byte{original}
		}
		return l
	}
	return readPayload(body, maxLetterLayers)
}

// readPayload reads a letter that is a trigger's payload, or an FC record holding one.
func readPayload(body []byte, layers int) Letter {
	l := Letter{From: LetterTrigger, Reason: "the trigger gave up on this payload: the invocations kept failing until its retries ran out"}
	// FC's record of an asynchronous invocation it gave up on, as the result-callback page shows it
	// (help.aliyun.com/zh/functioncompute/user-guide/result-callback): the payload is a string.
	var record struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		RequestPayload  *string `json:"requestPayload"`
		ResponseContext struct {
			FunctionError string `json:"functionError"`
		} `json:"responseContext"`
	}
	if layers > 1 && json.Unmarshal(body, &record) == nil && record.RequestPayload != nil {
		inner := readPayload([]byte(*record.RequestPayload), layers-1)
		if inner.From == LetterTrigger {
			inner.Reason = fmt.Sprintf("FC gave up on an asynchronous invocation after %d tries: %s",
				record.RequestContext.ApproximateInvokeCount, strings.Join(nonEmpty(record.RequestContext.Condition, record.ResponseContext.FunctionError), ": "))
		}
		return inner
	}
	tr, err := parse.DecodeTrigger(body)
	switch {
	case err != nil:
		return Letter{From: LetterUnknown, Stuck: "not a dead letter, trigger payload or FC record iprodwatch knows: " + err.Error()}
	case tr.Kind == parse.TriggerTimer:
		l.Trigger, l.Stuck = string(tr.Kind), "a timer tick: the next tick sweeps again, there is nothing to send back"
		return l
	}
	l.Trigger = string(tr.Kind)
	for _, m := range tr.Messages {
		l.Requests = append(l.Requests, m.Body)
		if m.ID != "" {
			l.MessageIDs = append(l.MessageIDs, m.ID)
		}
		if l.JobID == "" && m.Err == nil {
			l.JobID = m.Request.Check.JobID
		}
	}
	if len(l.Requests) == 0 {
		l.Stuck = "the payload carries no message"
	}
	return l
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return []string{"no condition given"}
	}
	return out
}
