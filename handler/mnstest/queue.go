package mnstest

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// QueueAttributes are a queue's settings, in seconds and bytes as on the wire.
type QueueAttributes struct {
	DelaySeconds           int64
	MaximumMessageSize     int64
	MessageRetentionPeriod int64
	VisibilityTimeout      int64
	PollingWaitSeconds     int64
	LoggingEnabled         bool
}

// DefaultQueueAttributes are the cloud's defaults for attributes a CreateQueue leaves out.
func DefaultQueueAttributes() QueueAttributes {
	return QueueAttributes{MaximumMessageSize: 65536, MessageRetentionPeriod: 345600, VisibilityTimeout: 30}
}

// The service's documented limits (wire-formats.md 2.7, fc-runtime-and-triggers.md 6).
const (
	maxDelaySeconds   = 604800
	minMessageSize    = 1024
	maxMessageSize    = 65536
	minRetention      = 60
	maxRetention      = 604800
	minVisibility     = 1
	maxVisibility     = 43200
	maxPollingWait    = 30
	maxBatch          = 16
	minPriority       = 1
	maxPriority       = 16
	defaultPriority   = 8
	maxQueueNameLen   = 120 // the CreateQueue reference: "a maximum of 120 characters"
	maxTopicNameLen   = 256 // topics and subscriptions: not checked against their references
	maxFilterTagLen   = 16
	maxMessageTagLen  = 16
	topicRetentionSec = 86400
)

// validName is MNS's queue, topic and subscription name rule: a letter or digit, then letters,
// digits and -. A loop, not a regular expression: the package is linked into the function's
// binary (for `iprodwatch emulate`), where compiling one at start-up would cost every cold start.
func validName(name string) bool {
	if name == "" || name[0] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func (a QueueAttributes) validate() *APIError {
	switch {
	case a.DelaySeconds < 0 || a.DelaySeconds > maxDelaySeconds:
		return errRange("DelaySeconds", 0, maxDelaySeconds, "seconds")
	case a.MaximumMessageSize < minMessageSize || a.MaximumMessageSize > maxMessageSize:
		return errRange("MaximumMessageSize", minMessageSize, maxMessageSize, "bytes")
	case a.MessageRetentionPeriod < minRetention || a.MessageRetentionPeriod > maxRetention:
		return errRange("MessageRetentionPeriod", minRetention, maxRetention, "seconds")
	case a.VisibilityTimeout < minVisibility || a.VisibilityTimeout > maxVisibility:
		return errRange("VisibilityTimeout", minVisibility, maxVisibility, "seconds")
	case a.PollingWaitSeconds < 0 || a.PollingWaitSeconds > maxPollingWait:
		return errRange("PollingWaitSeconds", 0, maxPollingWait, "seconds")
	}
	return nil
}

func validQueueName(name string) *APIError {
	if len(name) > maxQueueNameLen {
		return apiErr(http.StatusBadRequest, "QueueNameLengthError", "The length of queue name should not exceed %d.", maxQueueNameLen)
	}
	if !validName(name) {
		return apiErr(http.StatusBadRequest, "InvalidQueueName", "The queue name you provided is invalid.")
	}
	return nil
}

type queue struct {
	name     string
	attrs    QueueAttributes
	created  time.Time
	modified time.Time
	msgs     map[string]*message // by id
	handles  map[string]*message // latest receipt handle -> message
	// retired are handles that no longer work, with the error each answers: MessageNotExist
	// once the visibility ran out or the message is gone, ReceiptHandleError once replaced by
	// ChangeMessageVisibility. Bounded: past maxRetired it starts again (older handles answer
	// ReceiptHandleError, as made-up ones do).
	retired map[string]*APIError
}

const maxRetired = 1 << 16

// retireLocked records that handle h no longer works, answering e.
func (q *queue) retireLocked(h string, e *APIError) {
	if h == "" {
		return
	}
	if len(q.retired) >= maxRetired {
		q.retired = map[string]*APIError{}
	}
	q.retired[h] = e
}

type message struct {
	id           string
	body         string
	md5          string
	priority     int64
	seq          uint64
	enqueued     time.Time
	visibleAt    time.Time // delayed or in flight until then
	firstDequeue time.Time
	dequeueCount int64
	handle       string // the only valid handle, while in flight
	stripe       int    // the storage stripe it was written to (delivery order)
}

// MessageState is where a message is in its life, as GetQueueAttributes counts it.
type MessageState string

// Message states.
const (
	StateActive   MessageState = "Active"   // receivable now
	StateInactive MessageState = "Inactive" // received, in flight until NextVisibleTime
	StateDelayed  MessageState = "Delayed"  // sent with a delay that has not run out
)

func (m *message) state(now time.Time) MessageState {
	switch {
	case !now.Before(m.visibleAt):
		return StateActive
	case m.dequeueCount > 0:
		return StateInactive
	}
	return StateDelayed
}

func newQueue(name string, a QueueAttributes, now time.Time) *queue {
	return &queue{name: name, attrs: a, created: now, modified: now, msgs: map[string]*message{}, handles: map[string]*message{}, retired: map[string]*APIError{}}
}

// expireLocked drops messages past the retention period, consumed or not, as the cloud does.
// The period counts from the send, delayed messages included (the documentation's wording; not
// established for delayed messages), so a delay as long as the retention leaves one instant.
func (q *queue) expireLocked(now time.Time) {
	keep := time.Duration(q.attrs.MessageRetentionPeriod) * time.Second
	for id, m := range q.msgs {
		if now.After(m.enqueued.Add(keep)) {
			q.removeLocked(id)
		}
	}
}

func (q *queue) removeLocked(id string) {
	if m, ok := q.msgs[id]; ok {
		delete(q.handles, m.handle)
		q.retireLocked(m.handle, ErrMessageNotExist)
		delete(q.msgs, id)
	}
}

// visibleLocked lists receivable messages in delivery order: priority (1 first), then the
// time they became visible, then send order.
func (q *queue) visibleLocked(now time.Time) []*message {
	var out []*message
	for _, m := range q.msgs {
		if !now.Before(m.visibleAt) {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.priority != b.priority {
			return a.priority < b.priority
		}
		if !a.visibleAt.Equal(b.visibleAt) {
			return a.visibleAt.Before(b.visibleAt)
		}
		return a.seq < b.seq
	})
	return out
}

// handleLocked finds the in-flight message a receipt handle names. Only the latest handle of a
// message is valid, and only until its NextVisibleTime: after it the service answers
// MessageNotExist; a handle ChangeMessageVisibility replaced, or one never issued, is
// ReceiptHandleError.
func (q *queue) handleLocked(h string, now time.Time) (*message, *APIError) {
	if m, ok := q.handles[h]; ok && m.handle == h {
		if !now.Before(m.visibleAt) {
			return nil, ErrMessageNotExist
		}
		return m, nil
	}
	if e, ok := q.retired[h]; ok {
		return nil, e
	}
	return nil, ErrReceiptHandle
}

// newMessageIDLocked returns 32 upper-case hex digits, unique per server.
func (s *Server) newMessageIDLocked() (string, uint64) {
	s.seq++
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], s.rng.Uint64())
	binary.BigEndian.PutUint64(b[8:], s.seq)
	return strings.ToUpper(fmt.Sprintf("%x", b)), s.seq
}

// newHandleLocked mints a receipt handle shaped like the cloud's ("1-" + base64), whose base64
// often holds '+', '/' and '=' so clients must escape it in the query.
func (s *Server) newHandleLocked() string {
	var b [18]byte
	binary.BigEndian.PutUint64(b[:8], s.rng.Uint64())
	binary.BigEndian.PutUint64(b[8:16], s.seq)
	s.seq++
	b[16], b[17] = 0xfb, 0xff
	return "1-" + base64.StdEncoding.EncodeToString(b[:])
}

func bodyMD5(body string) string {
	return strings.ToUpper(fmt.Sprintf("%x", md5.Sum([]byte(body))))
}

// sendParams is one validated message of a SendMessage or BatchSendMessage.
type sendParams struct {
	body     string
	delay    int64
	priority int64
}

func parseSend(w wireSend, q *queue) (sendParams, *APIError) {
	if w.MessageBody == nil {
		return sendParams{}, errInvalidArgument("The MessageBody is missing")
	}
	p := sendParams{body: *w.MessageBody}
	if n := int64(len(p.body)); n < 1 || n > q.attrs.MaximumMessageSize {
		return sendParams{}, errRange("MessageBody length", 1, q.attrs.MaximumMessageSize, "bytes")
	}
	var e *APIError
	// The message's own DelaySeconds overrides the queue's; the Go SDK always sends one.
	if p.delay, e = intField("DelaySeconds", w.DelaySeconds, q.attrs.DelaySeconds); e != nil {
		return sendParams{}, e
	}
	if p.delay < 0 || p.delay > maxDelaySeconds {
		return sendParams{}, errRange("DelaySeconds", 0, maxDelaySeconds, "seconds")
	}
	if p.priority, e = intField("Priority", w.Priority, defaultPriority); e != nil {
		return sendParams{}, e
	}
	if p.priority == 0 { // the SDK sends 0 when the caller leaves Priority unset
		p.priority = defaultPriority
	}
	if p.priority < minPriority || p.priority > maxPriority {
		return sendParams{}, errRange("Priority", minPriority, maxPriority, "")
	}
	return p, nil
}

// enqueueLocked stores a message and wakes long polls.
func (s *Server) enqueueLocked(q *queue, p sendParams, now time.Time) *message {
	id, seq := s.newMessageIDLocked()
	m := &message{
		id: id, body: p.body, md5: bodyMD5(p.body), priority: p.priority, seq: seq,
		enqueued: now, visibleAt: now.Add(time.Duration(p.delay) * time.Second),
		stripe: s.order.Intn(stripes),
	}
	q.msgs[id] = m
	s.notifyLocked()
	return m
}

// receiveLocked takes up to n visible messages, each with a fresh handle and a new
// NextVisibleTime; with peek it only looks.
func (s *Server) receiveLocked(q *queue, n int, peek bool, now time.Time) []wireReceived {
	var out []wireReceived
	for _, m := range s.takeLocked(q.visibleLocked(now), n) {
		if !peek {
			delete(q.handles, m.handle)
			q.retireLocked(m.handle, ErrMessageNotExist) // its visibility ran out: it is receivable again
			m.handle = s.newHandleLocked()
			q.handles[m.handle] = m
			m.dequeueCount++
			if m.firstDequeue.IsZero() {
				m.firstDequeue = now
			}
			m.visibleAt = now.Add(time.Duration(q.attrs.VisibilityTimeout) * time.Second)
		}
		w := wireReceived{
			MessageID: m.id, MessageBodyMD5: m.md5, MessageBody: m.body,
			EnqueueTime: epochMillis(m.enqueued), NextVisibleTime: epochMillis(m.visibleAt),
			FirstDequeueTime: epochMillis(m.firstDequeue), DequeueCount: m.dequeueCount, Priority: m.priority,
		}
		if !peek {
			w.ReceiptHandle = m.handle
		}
		out = append(out, w)
	}
	if len(out) > 0 && !peek {
		s.notifyLocked()
	}
	return out
}
