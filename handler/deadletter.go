package handler

import (
	"context"
	"encoding/base64"
	"errors"
	"time"
	"unicode/utf8"

	"iprodwatch/parse"
)

// maxReason bounds a dead letter's reason: reasons quote what came from outside.
const maxReason = 4 << 10

// deadLetter sends a bad message to the dead-letter queue with v's reason, and records v.
func (inv *invocation) deadLetter(ctx context.Context, cl *Clients, m parse.Message, v Verdict) error {
	v.Reason = parse.Cut(v.Reason, maxReason)
	dl := DeadLetter{V: 1, Reason: v.Reason, Trigger: inv.trigger, MessageID: m.ID, JobID: v.Check.JobID, At: inv.h.clock.Now().UTC()}
	send := func(limit int) error {
		b, err := fitDeadLetter(dl, m.Body, limit)
		if err != nil {
			return err
		}
		return inv.retry(ctx, "dead-letter", func() error { return cl.Queues.Send(ctx, inv.h.cfg.DLQQueue, b, 0) })
	}
	err := send(inv.maxDeadLetter)
	if errors.Is(err, ErrTooLarge) && inv.maxDeadLetter > MinMessage {
		// The queue holds less than was read: once more at the least any queue holds.
		inv.h.sizes.forget()
		err = send(MinMessage)
	}
	if err != nil {
		return err
	}
	inv.record(v.Record(), "messageId", m.ID)
	return nil
}

// DeadLetter is the body of the function's dead-letter messages (ReadLetter reads them).
type DeadLetter struct {
	V             int       `json:"v"`
	Reason        string    `json:"reason"`
	Trigger       string    `json:"trigger"`
	MessageID     string    `json:"messageId,omitempty"`
	JobID         string    `json:"jobId,omitempty"`
	At            time.Time `json:"at"`
	Body          string    `json:"body,omitempty"`
	BodyBase64    string    `json:"bodyBase64,omitempty"`
	BodyTruncated bool      `json:"bodyTruncated,omitempty"`
}

// fitDeadLetter encodes dl with as much of body as fits limit, the dead-letter queue's message
// size. The original body is kept as text when it is valid UTF-8 without control characters, else
// as base64. The cut is made on the encoded size: JSON escaping makes a body of quotes or
// backslashes twice as long, and base64 a third longer. A text body is cut on a character boundary
// so that it stays text. The reason takes at most a quarter of the limit, escaped up to twice that
// (on a 1 KiB queue it is cut, leaving room for the body), and is cut further where not even it
// fits.
func fitDeadLetter(dl DeadLetter, body []byte, limit int) ([]byte, error) {
	text := utf8.Valid(body) && !hasControl(body)
	keep := min(len(body), limit)
	reason, keepReason := dl.Reason, min(len(dl.Reason), limit/4)
	for {
		dl.Reason = parse.Cut(reason, keepReason)
		part := body[:keep]
		if text {
			for len(part) > 0 && len(part) < len(body) && !utf8.RuneStart(body[len(part)]) {
				part = part[:len(part)-1]
			}
			dl.Body = string(part)
		} else {
			dl.BodyBase64 = base64.StdEncoding.EncodeToString(part)
		}
		dl.BodyTruncated = len(part) < len(body)
		b, err := parse.Marshal(dl)
		if err != nil || len(b) <= limit {
			return b, err
		}
		if len(part) == 0 {
			if keepReason == 0 {
				return b, nil // the envelope alone is over limit: the queue says so
			}
			keepReason = max(keepReason-(len(b)-limit)-len("..."), 0)
			continue
		}
		// Shrink by the overshoot, and a little more so that few rounds are needed.
		keep = min(len(part)-1, len(part)*limit/len(b)*15/16)
	}
}

// hasControl reports control characters other than tab and newlines, which MNS's XML cannot carry.
func hasControl(b []byte) bool {
	for _, c := range string(b) {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}
