package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrUnknownTrigger marks a payload that matches no row of the trigger precedence table.
var ErrUnknownTrigger = errors.New("unknown trigger shape")

// TriggerKind names what invoked the function.
type TriggerKind string

// The trigger kinds, as logs and docs name them.
const (
	TriggerEventBridge TriggerKind = "eventbridge" // MNS queue trigger through EventBridge
	TriggerTopic       TriggerKind = "topic"       // MNS topic trigger (JSON format, or STREAM with attributes)
	TriggerTimer       TriggerKind = "timer"       // timer trigger: pull mode
	// TriggerDirect is a direct invoke: one check request, or an array of them. A topic trigger's
	// STREAM body that holds a bare check request object looks the same, and cannot be told apart.
	TriggerDirect TriggerKind = "direct"
	// TriggerStream is a topic trigger's STREAM body that is no JSON object or array: base64, or
	// a JSON string literal, of a check request.
	TriggerStream TriggerKind = "stream"
)

// Trigger is one decoded invocation payload.
type Trigger struct {
	Kind     TriggerKind
	Messages []Message   // every check request the payload carries (none for a timer)
	Timer    *TimerEvent // set for TriggerTimer
}

// Message is one check request of a payload, decoded on its own so that a bad one never spoils its
// neighbours.
type Message struct {
	ID string // MNS message id, when the trigger names one
	// SentAt is when the message was sent, as the trigger tells it (an EventBridge event's time, a
	// topic notification's PublishTime); zero when it does not. Every copy of one message carries
	// the same, which makes it the anchor of a chain that has none yet.
	SentAt  time.Time
	Body    []byte  // the body as delivered, for the dead-letter queue
	Request Request // valid when Err is nil
	Err     error   // why the body is not a check request (matches ErrBadMessage or ErrInvalidJobID)
}

// TimerEvent is the timer trigger's payload.
type TimerEvent struct {
	TriggerTime time.Time `json:"triggerTime"`
	TriggerName string    `json:"triggerName"`
	Payload     string    `json:"payload"`
}

// cloudEvent is the part of an EventBridge MNS-queue event iprodwatch reads.
type cloudEvent struct {
	SpecVersion string    `json:"specversion"`
	Time        string    `json:"time"`
	Data        *mnsQueue `json:"data"`
}

// mnsQueue is an EventBridge event's data, also delivered alone with eventSchema RawData.
type mnsQueue struct {
	MessageID   string          `json:"messageId"`
	MessageBody json.RawMessage `json:"messageBody"`
}

// DecodeTrigger decides a payload's shape by the precedence table in the README (distinguishing
// fields, never the first byte alone) and decodes every message in it. A payload that matches no row
// is an error matching ErrUnknownTrigger; a bad message inside a known shape is reported on that
// message alone.
func DecodeTrigger(payload []byte) (*Trigger, error) {
	b := bytes.TrimSpace(payload)
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty payload", ErrUnknownTrigger)
	}
	if !json.Valid(b) {
		// Row 9: a STREAM topic body that is not JSON (base64 of a check request, typically).
		// Messages keep the payload as it came, white space included, for the dead-letter queue.
		return &Trigger{Kind: TriggerStream, Messages: []Message{bodyMessage("", payload)}}, nil
	}
	switch b[0] {
	case '[':
		return decodeArray(b)
	case '{':
		return decodeObject(payload)
	case '"':
		// Row 8: a STREAM body delivered as a JSON string literal.
		return &Trigger{Kind: TriggerStream, Messages: []Message{bodyMessage("", payload)}}, nil
	}
	return nil, fmt.Errorf("%w: payload is %s", ErrUnknownTrigger, kind(b))
}

func decodeArray(b []byte) (*Trigger, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(b, &elems); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnknownTrigger, err)
	}
	if len(elems) == 0 {
		return nil, fmt.Errorf("%w: empty array", ErrUnknownTrigger)
	}
	// Rows 1 and 2: an array holding any CloudEvent (or EventBridge RawData element) is an
	// EventBridge batch, and each element is read as one; otherwise it is a direct batch.
	eventBridge := false
	for _, e := range elems {
		if o, ok := asObject(e); ok && (o["specversion"] != nil || o["messageBody"] != nil) {
			eventBridge = true
			break
		}
	}
	t := &Trigger{Kind: TriggerDirect}
	if eventBridge {
		t.Kind = TriggerEventBridge
	}
	for i, e := range elems {
		if eventBridge {
			t.Messages = append(t.Messages, eventMessage(i, e))
		} else {
			t.Messages = append(t.Messages, bodyMessage("", e))
		}
	}
	return t, nil
}

func decodeObject(b []byte) (*Trigger, error) {
	var o object
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnknownTrigger, err)
	}
	switch {
	case o["specversion"] != nil || o["messageBody"] != nil: // row 3: one EventBridge event
		return &Trigger{Kind: TriggerEventBridge, Messages: []Message{eventMessage(0, bytes.TrimSpace(b))}}, nil
	case o["triggerTime"] != nil && o["triggerName"] != nil: // row 4
		var te TimerEvent
		if err := json.Unmarshal(b, &te); err != nil {
			return nil, fmt.Errorf("%w: timer event: %v", ErrUnknownTrigger, err)
		}
		return &Trigger{Kind: TriggerTimer, Timer: &te}, nil
	case o["TopicOwner"] != nil && o["TopicName"] != nil && o["Message"] != nil: // row 5
		id, _ := optString(o["MessageId"])
		msg, err := optString(o["Message"])
		if err != nil {
			return &Trigger{Kind: TriggerTopic, Messages: []Message{{ID: id, Body: b, Err: badMessage("topic Message: %v", err)}}}, nil
		}
		m := bodyMessage(id, []byte(msg))
		m.SentAt = epochMillis(o["PublishTime"])
		return &Trigger{Kind: TriggerTopic, Messages: []Message{m}}, nil
	case o["body"] != nil && o["attrs"] != nil: // row 6: STREAM with message attributes
		body, err := optString(o["body"])
		if err != nil {
			return &Trigger{Kind: TriggerTopic, Messages: []Message{{Body: b, Err: badMessage("STREAM body: %v", err)}}}, nil
		}
		return &Trigger{Kind: TriggerTopic, Messages: []Message{bodyMessage("", []byte(body))}}, nil
	case o["v"] != nil || o.get("JobId") != nil: // row 7: a check request invoked directly
		return &Trigger{Kind: TriggerDirect, Messages: []Message{bodyMessage("", b)}}, nil
	}
	return nil, fmt.Errorf("%w: an object with none of the distinguishing fields (specversion, triggerTime, TopicOwner, body+attrs, v, JobId)", ErrUnknownTrigger)
}

// eventMessage reads one EventBridge element: a CloudEvent, or its data alone (eventSchema RawData).
func eventMessage(i int, raw json.RawMessage) Message {
	o, ok := asObject(raw)
	if !ok {
		return Message{Body: raw, Err: badMessage("batch element %d is %s, not an EventBridge event", i, kind(raw))}
	}
	data := &mnsQueue{}
	var sent time.Time
	if o["specversion"] != nil {
		var ce cloudEvent
		if err := json.Unmarshal(raw, &ce); err != nil || ce.Data == nil {
			return Message{Body: raw, Err: badMessage("batch element %d: CloudEvent without data.messageBody", i)}
		}
		data = ce.Data
		sent, _ = time.Parse(time.RFC3339Nano, ce.Time) // a time that does not parse is no anchor
	} else if err := json.Unmarshal(raw, data); err != nil {
		return Message{Body: raw, Err: badMessage("batch element %d: %v", i, err)}
	}
	body, err := optString(data.MessageBody)
	if err != nil || body == "" {
		return Message{ID: data.MessageID, Body: raw, Err: badMessage("batch element %d: messageBody is missing or not a string", i)}
	}
	m := bodyMessage(data.MessageID, []byte(body))
	m.SentAt = sent
	return m
}

func bodyMessage(id string, body []byte) Message {
	r, err := DecodeCheck(body)
	return Message{ID: id, Body: body, Request: r, Err: err}
}

// epochMillis reads a topic notification's PublishTime: epoch milliseconds as a number (what FC
// sends) or a string (the documentation's example); the zero time when it is neither.
func epochMillis(raw json.RawMessage) time.Time {
	v, ok, err := number(raw)
	if !ok || err != nil || v <= 0 || v > 1e14 {
		return time.Time{}
	}
	return time.UnixMilli(int64(v)).UTC()
}
