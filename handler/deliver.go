package handler

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
	"unicode/utf8"

	"iprodwatch/parse"
)

// MaxMessage is the MNS limit on a message body.
const MaxMessage = 64 << 10

// push works the check requests of a queue, topic or direct trigger, each isolated from the others,
// up to Concurrency at once. It fails when a configuration fault or a send that kept failing means
// the trigger must deliver the payload again.
func (inv *invocation) push(ctx context.Context, cl *Clients, all []parse.Message) error {
	msgs := inv.merge(all)
	return inv.each(ctx, len(msgs), func(ctx context.Context, i int) error {
		m := msgs[i]
		if m.Err != nil {
			return inv.deadLetter(ctx, cl, m)
		}
		v, err := inv.decide(ctx, cl, m.Request)
		if err != nil {
			return err
		}
		return inv.applyPush(ctx, cl, m, v)
	})
}

// merge drops the copies of a check that one delivery holds more than once (the same body, byte for
// byte): at-least-once delivery and redelivered batches make copies, and since copies are re-queued
// with the same delay (see Handler.draw) they arrive together. Without this each copy would be a
// chain of its own, and chains would multiply. Checks that differ in anything are all worked.
func (inv *invocation) merge(msgs []parse.Message) []parse.Message {
	seen := map[string]bool{}
	out := msgs[:0:0]
	for _, m := range msgs {
		if m.Err == nil {
			c := m.Request.Check
			key := string(m.Body)
			if seen[key] {
				inv.record(Record{JobID: c.JobID, Decision: DecisionMerged, Attempt: c.Attempt, Reason: "a copy of another check in this delivery"})
				continue
			}
			seen[key] = true
		}
		out = append(out, m)
	}
	return out
}

// each runs fn for n items with bounded concurrency, turning a panic in one item into that item's
// error so its neighbours finish. The first error is returned.
func (inv *invocation) each(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	sem := make(chan struct{}, inv.h.cfg.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := func() (err error) {
				defer func() {
					if p := recover(); p != nil {
						inv.log.Error("internal error", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
						err = fmt.Errorf("iprodwatch: internal error: %v", p)
					}
				}()
				return fn(ctx, i)
			}()
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// applyPush carries out a verdict where the trigger already consumed the message: a running job's
// check goes back on the check queue as a new message.
func (inv *invocation) applyPush(ctx context.Context, cl *Clients, m parse.Message, v verdict) error {
	switch v.decision {
	case DecisionPublished:
		if err := inv.publish(ctx, cl, v.event); errors.Is(err, ErrTooLarge) {
			m.Err = err // no later try fits either: dead-letter it rather than have it redelivered forever
			return inv.deadLetter(ctx, cl, m)
		} else if err != nil {
			return err
		}
	case DecisionRequeued, DecisionRetried:
		body, err := parse.EncodeCheck(v.check)
		if err != nil {
			return err
		}
		if len(body) > MaxMessage {
			// The chain's own fields grew a body that fit when it came: no later try can send it,
			// and failing the invocation would have the trigger deliver it again and again.
			m.Err = fmt.Errorf("%w: the next check message of job %s would be %d bytes, over the %d an MNS message holds (userData too large)",
				ErrTooLarge, v.check.JobID, len(body), MaxMessage)
			return inv.deadLetter(ctx, cl, m)
		}
		if err := inv.retry(ctx, "requeue", func() error { return cl.Queues.Send(ctx, inv.h.cfg.CheckQueue, body, v.delay) }); err != nil {
			return err
		}
	case DecisionDeadLettered:
		m.Err = errors.New(v.reason)
		return inv.deadLetter(ctx, cl, m)
	}
	inv.record(recordOf(v))
	return nil
}

func recordOf(v verdict) Record {
	r := Record{JobID: v.check.JobID, Decision: v.decision, Attempt: v.check.Attempt, Reason: v.reason, Stalled: v.stalled}
	switch v.decision {
	case DecisionPublished:
		r.EventID, r.Outcome = v.event.ID, string(v.event.Outcome)
	case DecisionRequeued, DecisionRetried:
		r.Attempt-- // the attempt made now; the message carries the next
		r.DelaySeconds = v.delay.Round(time.Millisecond).Seconds()
	}
	return r
}

// publish sends the event to the event topic with its outcome as the MessageTag, shrunk first when
// it would not fit a message.
func (inv *invocation) publish(ctx context.Context, cl *Clients, e *parse.Event) error {
	body, err := fitEvent(e)
	if err != nil {
		return err
	}
	return inv.retry(ctx, "publish", func() error {
		return cl.Topics.Publish(ctx, inv.h.cfg.EventTopic, body, string(e.Outcome))
	})
}

// fitEvent encodes e within MaxMessage: when it is too large, it drops rawData, then the typed result
// and the files, and says so in data.truncated with the command that prints the whole event.
func fitEvent(e *parse.Event) ([]byte, error) {
	body, err := parse.EncodeEvent(e, "")
	if err != nil || len(body) <= MaxMessage {
		return body, err
	}
	small := *e
	if e.Data.Error != nil {
		errCopy := *e.Data.Error
		small.Data.Error = &errCopy
	}
	small.Data.Truncated = &parse.Truncated{
		Reason: fmt.Sprintf("the event was %d bytes; an MNS message holds %d", len(body), MaxMessage),
		Fetch:  "iprodwatch check -json " + e.Subject,
	}
	drops := []struct {
		path string
		drop func(*parse.EventData)
	}{
		{"data.rawData", func(d *parse.EventData) { d.RawData = nil }},
		{"data.warnings", func(d *parse.EventData) { d.Warnings = nil }},
		{"data.result", func(d *parse.EventData) { d.Result, d.ResultError = nil, "" }},
		{"data.files", func(d *parse.EventData) { d.Files = []parse.File{} }},
		{"data.jobParams", func(d *parse.EventData) { d.JobParams = nil }},
		{"data.userData", func(d *parse.EventData) { d.UserData = nil }},
		{"data.error.message", func(d *parse.EventData) {
			if d.Error != nil {
				d.Error.Message = cut(d.Error.Message, 1024)
			}
		}},
		{"data.input", func(d *parse.EventData) { d.Input, d.Output = cut(d.Input, 1024), cut(d.Output, 1024) }},
	}
	for _, d := range drops {
		d.drop(&small.Data)
		small.Data.Truncated.Omitted = append(small.Data.Truncated.Omitted, d.path)
		if body, err = parse.EncodeEvent(&small, ""); err != nil || len(body) <= MaxMessage {
			return body, err
		}
	}
	return nil, fmt.Errorf("%w: event of job %s is %d bytes even without its data", ErrTooLarge, e.Subject, len(body))
}

// cut shortens s to at most n bytes on a character boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// deadLetter sends a bad message to the dead-letter queue with its reason. The original body is
// kept as text when it is valid UTF-8 without control characters, else as base64, and cut to fit.
func (inv *invocation) deadLetter(ctx context.Context, cl *Clients, m parse.Message) error {
	now := inv.h.clock.Now().UTC()
	dl := deadLetter{V: 1, Reason: m.Err.Error(), Trigger: inv.trigger, MessageID: m.ID, JobID: m.Request.Check.JobID, At: now}
	if len(dl.Reason) > 4<<10 {
		dl.Reason = dl.Reason[:4<<10] + "..."
	}
	b, err := fitDeadLetter(dl, m.Body)
	if err != nil {
		return err
	}
	if err := inv.retry(ctx, "dead-letter", func() error { return cl.Queues.Send(ctx, inv.h.cfg.DLQQueue, b, 0) }); err != nil {
		return err
	}
	inv.record(Record{JobID: dl.JobID, Decision: DecisionDeadLettered, Attempt: m.Request.Check.Attempt, Reason: dl.Reason}, "messageId", m.ID)
	return nil
}

// fitDeadLetter encodes dl with as much of body as fits one MNS message. The cut is made on the
// encoded size: JSON escaping makes a body of quotes or backslashes twice as long, and base64 a
// third longer. A text body is cut on a character boundary so that it stays text.
func fitDeadLetter(dl deadLetter, body []byte) ([]byte, error) {
	text := utf8.Valid(body) && !hasControl(body)
	keep := min(len(body), MaxMessage)
	for {
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
		b, err := encodeJSON(dl)
		if err != nil || len(b) <= MaxMessage || len(part) == 0 {
			return b, err
		}
		// Shrink by the overshoot, and a little more so that few rounds are needed.
		keep = min(len(part)-1, len(part)*MaxMessage/len(b)*15/16)
	}
}

// encodeJSON marshals without escaping <, > and &: an escaped character takes six bytes of a
// message, and nothing reads these bodies as HTML.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// deadLetter is the body of a dead-letter message.
type deadLetter struct {
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

// hasControl reports control characters other than tab and newlines, which MNS's XML cannot carry.
func hasControl(b []byte) bool {
	for _, c := range string(b) {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}

// retry runs a send until it succeeds, retrying transient failures in-process with a growing pause
// while the invocation has time left; a configuration fault or an oversized message is returned at
// once. What still fails makes the invocation fail, so the trigger delivers the payload again.
func (inv *invocation) retry(ctx context.Context, what string, send func() error) error {
	pause := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := send()
		if err == nil || errors.Is(err, ErrConfig) || errors.Is(err, ErrTooLarge) {
			return err
		}
		if attempt == sendAttempts || !inv.hasTime(ctx, pause) {
			return fmt.Errorf("%s failed %d times: %w", what, attempt, err)
		}
		inv.log.Warn("send failed; retrying", "send", what, "attempt", attempt, "error", err.Error())
		if err := inv.h.pause(ctx, pause); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// sendAttempts bounds the in-process retries of one send.
const sendAttempts = 5

// hasTime reports whether the invocation can still wait d and do one more call before its deadline.
func (inv *invocation) hasTime(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || inv.h.wall().Add(d+2*time.Second).Before(deadline)
}
