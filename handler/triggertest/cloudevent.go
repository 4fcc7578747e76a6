package triggertest

import (
	"encoding/hex"
	"fmt"
	"math/rand"
	"time"
)

// Mode is the EventBridge trigger's runOptions.mode.
type Mode string

const (
	// EventStreaming pushes a JSON array of events per batch (batch window, retry strategy,
	// errors tolerance and dead-letter queue apply).
	EventStreaming Mode = "event-streaming"
	// EventDriven pushes one event object per message, no batching.
	EventDriven Mode = "event-driven"
)

// EventSchema is eventSinkConfig.deliveryOption.eventSchema.
type EventSchema string

const (
	// CloudEvents delivers the whole CloudEvents envelope.
	CloudEvents EventSchema = "CloudEvents"
	// RawData delivers only each event's data object.
	RawData EventSchema = "RawData"
)

// ErrorsTolerance is runOptions.errorsTolerance.
type ErrorsTolerance string

const (
	// ToleranceAll: a batch that exhausts its retries goes to the dead-letter queue, or is
	// dropped without one, and the stream goes on.
	ToleranceAll ErrorsTolerance = "ALL"
	// ToleranceNone: the stream blocks on that batch and keeps retrying it.
	ToleranceNone ErrorsTolerance = "NONE"
)

// cloudEvent is the EventBridge MNS-queue event, fields in the documented order.
type cloudEvent struct {
	ID                      string  `json:"id"`
	Source                  string  `json:"source"`
	SpecVersion             string  `json:"specversion"`
	Type                    string  `json:"type"`
	DataContentType         string  `json:"datacontenttype"`
	Subject                 string  `json:"subject"`
	Time                    string  `json:"time"`
	AliyunAccountID         string  `json:"aliyunaccountid"`
	AliyunPublishTime       string  `json:"aliyunpublishtime"`
	AliyunOriginalAccountID string  `json:"aliyunoriginalaccountid"`
	AliyunEventBusName      string  `json:"aliyuneventbusname"`
	AliyunRegionID          string  `json:"aliyunregionid"`
	AliyunPublishAddr       string  `json:"aliyunpublishaddr"`
	Data                    mnsData `json:"data"`
}

// mnsData is the event's data: what RawData delivers alone.
type mnsData struct {
	RequestID   string `json:"requestId"`
	MessageID   string `json:"messageId"`
	MessageBody string `json:"messageBody"`
}

// eventTime formats RFC 3339 in UTC with milliseconds, as the cloud's events carry it.
func eventTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// newUUID is a version-4 UUID drawn from r, so ids replay with the seed.
func newUUID(r *rand.Rand) string {
	var b [16]byte
	_, _ = r.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

// newRequestID is 24 upper-case hex digits, the shape of an MNS request id.
func newRequestID(r *rand.Rand) string {
	var b [12]byte
	_, _ = r.Read(b[:])
	return fmt.Sprintf("%X", b[:])
}

// encodeBatch builds the pushed payload for events under the mode and schema.
func encodeBatch(events []cloudEvent, mode Mode, schema EventSchema) []byte {
	if mode == EventDriven {
		if schema == RawData {
			return marshalCompact(events[0].Data)
		}
		return marshalCompact(events[0])
	}
	if schema == RawData {
		data := make([]mnsData, len(events))
		for i, e := range events {
			data[i] = e.Data
		}
		return marshalCompact(data)
	}
	return marshalCompact(events)
}
