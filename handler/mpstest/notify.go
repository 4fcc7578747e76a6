package mpstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"iprodwatch/parse"
)

// Notifier delivers a job notification to an MNS queue. Wire it to an MNS emulator (or a real
// MNS client) when the emulator is built; without one, notifications are only recorded.
type Notifier interface {
	Notify(ctx context.Context, queueName string, body []byte) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, queueName string, body []byte) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, queueName string, body []byte) error {
	return f(ctx, queueName, body)
}

// NotificationFormat picks the body sent to the NotifyUrl queue.
type NotificationFormat int

const (
	// CallbackFormat is the intelligent-production callback (iproduction-results.md 6.1):
	// {"Code","Details":[],"FunctionName","JobId","Message","State","Type":"IProduction","UserData"}.
	CallbackFormat NotificationFormat = iota
	// GenericFormat is the generic MPS job message with both key casings (6.2), plus code and
	// msg on failure.
	GenericFormat
)

// ErrInvalidNotifyURL is wrapped by SeedJob for a NotifyUrl that is not an MNS queue URL.
var ErrInvalidNotifyURL = errors.New("mpstest: NotifyUrl is not mns://<account>.mns.<region>.aliyuncs.com/queues/<name>")

// Notification is one delivery attempt of a job notification.
type Notification struct {
	JobID   string
	Account string // from the NotifyUrl host
	Region  string
	Queue   string
	Body    []byte
	DueAt   time.Time // when the job ended, on the injected clock
	Err     error     // the Notifier's answer; nil means delivered
}

type notifyTarget struct{ account, region, queue string }

// parseNotifyURL accepts only the documented queue form; topics are not documented for NotifyUrl.
func parseNotifyURL(raw string) (notifyTarget, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "mns" || u.RawQuery != "" || u.User != nil {
		return notifyTarget{}, ErrInvalidNotifyURL
	}
	host := strings.ToLower(u.Host)
	account, rest, ok := strings.Cut(host, ".mns.")
	region, ok2 := strings.CutSuffix(rest, ".aliyuncs.com")
	if !ok || !ok2 || account == "" || region == "" || strings.Contains(region, ".") {
		return notifyTarget{}, ErrInvalidNotifyURL
	}
	name, ok := strings.CutPrefix(u.Path, "/queues/")
	if !ok || !validQueueName(name) {
		return notifyTarget{}, ErrInvalidNotifyURL
	}
	return notifyTarget{account: account, region: region, queue: name}, nil
}

// validQueueName applies MNS's naming rule, as mnstest does (the CreateQueue reference: at most
// 120 characters, letters, digits and hyphens, a letter or digit first).
func validQueueName(name string) bool {
	if name == "" || len(name) > 120 || name[0] == '-' {
		return false
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// SetNotifier replaces the notifier (nil: record only).
func (s *Server) SetNotifier(n Notifier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifier = n
}

// Notifications returns every delivery attempt so far, in order.
func (s *Server) Notifications() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.notifications)
}

// DeliverDue sends the notification of every job that has ended by the injected clock's now
// and has not been notified yet, in order of end time. A failed delivery is retried on the next
// call. The emulator also calls it at the start of every request (unless WithLazyDelivery(false)),
// so tests that move a manual clock and then call DeliverDue, or simply query, see notifications
// deterministically.
func (s *Server) DeliverDue(ctx context.Context) error {
	now := s.cfg.clock.Now()
	s.mu.Lock()
	var due []*job
	for _, j := range s.unnotified {
		end, ends := j.endsAt()
		if j.notify != nil && !j.notified && !j.inFlight && ends && !end.After(now) {
			due = append(due, j)
		}
	}
	slices.SortFunc(due, func(a, b *job) int {
		ea, _ := a.endsAt()
		eb, _ := b.endsAt()
		if c := ea.Compare(eb); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	type send struct {
		j    *job
		note Notification
	}
	sends := make([]send, 0, len(due))
	for _, j := range due {
		j.inFlight = true
		end, _ := j.endsAt()
		sends = append(sends, send{j, Notification{
			JobID: j.id, Account: j.notify.account, Region: j.notify.region, Queue: j.notify.queue,
			Body: s.notificationBody(j), DueAt: end,
		}})
	}
	notifier := s.notifier
	s.mu.Unlock()

	var errs []error
	for _, sd := range sends {
		if notifier != nil {
			if err := notifier.Notify(ctx, sd.note.Queue, sd.note.Body); err != nil {
				sd.note.Err = err
				errs = append(errs, fmt.Errorf("mpstest: notify job %s to queue %s: %w", sd.j.id, sd.note.Queue, err))
			}
		}
		s.mu.Lock()
		sd.j.inFlight = false
		sd.j.notified = sd.note.Err == nil
		if sd.j.notified && s.unnotified[sd.j.id] == sd.j {
			delete(s.unnotified, sd.j.id)
		}
		s.notifications = append(s.notifications, sd.note)
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}

// RunDelivery calls DeliverDue every interval of real time until ctx ends, for demos on a
// scaled clock where nobody queries. It returns ctx's error.
func (s *Server) RunDelivery(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			_ = s.DeliverDue(ctx) // failures are recorded in Notifications and retried
		}
	}
}

// notificationBody renders the job's final notification. Called with s.mu held.
func (s *Server) notificationBody(j *job) []byte {
	state := j.finalState()
	code, msg := j.result.Code, j.result.Message
	if code == "" {
		code = state
	}
	if s.cfg.notifyFormat == GenericFormat {
		rid := s.newRequestID()
		var b orderedJSON
		b.add("jobId", j.id).add("requestId", rid).add("Type", "IProduction").add("state", state).
			add("type", "IProduction").add("State", state).add("JobId", j.id).add("RequestId", rid)
		if state == StateFail {
			b.add("code", code).add("msg", msg)
		}
		return b.bytes()
	}
	if code == "Success" {
		msg = "success" // the callback's spelling, unlike the query's "Successful."
	}
	body := struct {
		Code         string   `json:"Code"`
		Details      []string `json:"Details"`
		FunctionName string   `json:"FunctionName"`
		JobID        string   `json:"JobId"`
		Message      string   `json:"Message"`
		State        string   `json:"State"`
		Type         string   `json:"Type"`
		UserData     *string  `json:"UserData"`
	}{code, []string{}, j.params.FunctionName, j.id, msg, state, "IProduction", optional(j.params.UserData)}
	return mustJSON(body)
}

// orderedJSON writes a flat object of strings with keys in the order added (the generic
// message's documented order).
type orderedJSON struct{ buf bytes.Buffer }

func (o *orderedJSON) add(k, v string) *orderedJSON {
	if o.buf.Len() == 0 {
		o.buf.WriteByte('{')
	} else {
		o.buf.WriteByte(',')
	}
	o.buf.Write(mustJSON(k))
	o.buf.WriteByte(':')
	o.buf.Write(mustJSON(v))
	return o
}

func (o *orderedJSON) bytes() []byte { return append(o.buf.Bytes(), '}') }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// mustJSON marshals without HTML escaping (the cloud sends & < > as they are; parse.Marshal). Only
// values built here are marshalled, so an error is a programming error.
func mustJSON(v any) []byte {
	b, err := parse.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("mpstest: marshal %T: %v", v, err))
	}
	return b
}
