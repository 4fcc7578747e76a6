package mnstest

import (
	"context"
	"fmt"
	"sort"
	"time"

	"iprodwatch/handler/clock"
)

// Call is the record of one request the emulator answered (or dropped).
type Call struct {
	Op          Op
	Method      string
	Target      string // path and raw query as sent
	AccessKeyID string // from the Authorization header, once it parsed
	Status      int    // 0 when the connection was dropped
	Code        string // the <Code> of an error answer
	Note        string // "injected fault", "dropped connection", ...
	Time        time.Time
}

func (s *Server) record(c *call, status int, code, note string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, Call{
		Op: c.op, Method: c.r.Method, Target: requestTarget(c.r), AccessKeyID: c.authID,
		Status: status, Code: code, Note: note, Time: s.clock.Now(),
	})
}

// Calls returns a copy of every call's record, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.records...)
}

// CallCount counts the requests routed to op, faulted and refused ones included.
func (s *Server) CallCount(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// CreateQueue creates a queue directly (no request, no counters). Zero attributes take the
// cloud's defaults except DelaySeconds and PollingWaitSeconds, whose default is 0.
func (s *Server) CreateQueue(name string, a QueueAttributes) error {
	d := DefaultQueueAttributes()
	if a.MaximumMessageSize == 0 {
		a.MaximumMessageSize = d.MaximumMessageSize
	}
	if a.MessageRetentionPeriod == 0 {
		a.MessageRetentionPeriod = d.MessageRetentionPeriod
	}
	if a.VisibilityTimeout == 0 {
		a.VisibilityTimeout = d.VisibilityTimeout
	}
	if e := validQueueName(name); e != nil {
		return e
	}
	if e := a.validate(); e != nil {
		return e
	}
	if _, e := s.createQueue(name, a); e != nil {
		return e
	}
	return nil
}

// CreateTopic creates a topic with the default 64 KiB message size, directly.
func (s *Server) CreateTopic(name string) error {
	if e := validTopicName(name); e != nil {
		return e
	}
	if _, e := s.createTopic(name, maxMessageSize, false); e != nil {
		return e
	}
	return nil
}

// Subscribe adds a subscription to a topic directly.
func (s *Server) Subscribe(topic, name string, sub Subscription) error {
	if _, e := s.subscribe(topic, name, sub); e != nil {
		return e
	}
	return nil
}

// QueueEndpoint is the subscription endpoint of a queue of this account:
// "acs:mns:<region>:<account>:queues/<name>".
func (s *Server) QueueEndpoint(queue string) string {
	return fmt.Sprintf("acs:mns:%s:%s:queues/%s", s.cfg.region, s.cfg.account, queue)
}

// Send stores a message in a queue directly, as a SendMessage would (delay and priority checked);
// priority 0 means the default 8. It returns the message id.
func (s *Server) Send(queue, body string, delay time.Duration, priority int64) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	q, e := s.queueLocked(queue, now)
	if e != nil {
		return "", e
	}
	d := fmt.Sprint(int64(delay / time.Second))
	pr := fmt.Sprint(priority)
	p, e := parseSend(wireSend{MessageBody: &body, DelaySeconds: &d, Priority: &pr}, q)
	if e != nil {
		return "", e
	}
	return s.enqueueLocked(q, p, now).id, nil
}

// Publish publishes to a topic directly, with the same fan-out and hooks as PublishMessage.
func (s *Server) Publish(topic, body, tag string) (PublishedMessage, error) {
	pm, e := s.publish(topic, body, tag)
	if e != nil {
		return PublishedMessage{}, e
	}
	return pm, nil
}

// MessageInfo is a snapshot of one stored message.
type MessageInfo struct {
	ID               string
	Body             string
	BodyMD5          string
	Priority         int64
	State            MessageState
	EnqueueTime      time.Time
	NextVisibleTime  time.Time
	FirstDequeueTime time.Time // zero until the first receive
	DequeueCount     int64
	ReceiptHandle    string // the valid handle while Inactive, else ""
}

// Messages lists a queue's messages (visible, delayed and in flight) in send order, after
// retention has been applied at the injected now. Nil when the queue does not exist.
func (s *Server) Messages(queue string) []MessageInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	q, e := s.queueLocked(queue, now)
	if e != nil {
		return nil
	}
	ms := make([]*message, 0, len(q.msgs))
	for _, m := range q.msgs {
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].seq < ms[j].seq })
	out := make([]MessageInfo, 0, len(ms))
	for _, m := range ms {
		st := m.state(now)
		info := MessageInfo{
			ID: m.id, Body: m.body, BodyMD5: m.md5, Priority: m.priority, State: st,
			EnqueueTime: m.enqueued, NextVisibleTime: m.visibleAt, FirstDequeueTime: m.firstDequeue,
			DequeueCount: m.dequeueCount,
		}
		if st == StateInactive {
			info.ReceiptHandle = m.handle
		}
		out = append(out, info)
	}
	return out
}

// Queues lists the queue names, sorted.
func (s *Server) Queues() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n := range s.queues {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// QueueAttributes returns a queue's attributes.
func (s *Server) QueueAttributes(queue string) (QueueAttributes, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[queue]
	if !ok {
		return QueueAttributes{}, ErrQueueNotExist
	}
	return q.attrs, nil
}

// Published returns every message the topic accepted, oldest first (nil for an unknown topic).
func (s *Server) Published(topic string) []PublishedMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[topic]
	if !ok {
		return nil
	}
	return append([]PublishedMessage(nil), t.published...)
}

// OnPublish calls fn with every message later published to topic, after the queue fan-out and
// before the PublishMessage answer is written (a slow fn delays the answer: start a goroutine
// if that matters). The returned func removes the hook. The topic need not exist yet.
func (s *Server) OnPublish(topic string, fn func(PublishedMessage)) (cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextHook++
	id := s.nextHook
	if s.hooks[topic] == nil {
		s.hooks[topic] = map[int]func(PublishedMessage){}
	}
	s.hooks[topic][id] = fn
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.hooks[topic], id)
	}
}

// Now reads the injected clock.
func (s *Server) Now() time.Time { return s.clock.Now() }

// Advance moves the injected clock, which must be a *clock.Manual, and wakes parked long polls
// so they see the new time at once. It panics on any other clock: that is a test bug.
func (s *Server) Advance(d time.Duration) time.Time {
	m, ok := s.clock.(*clock.Manual)
	if !ok {
		panic(fmt.Sprintf("mnstest: Advance needs WithClock(*clock.Manual), have %T", s.clock))
	}
	now := m.Advance(d)
	s.Wake()
	return now
}

// Wake makes parked long polls re-read the clock now; call it after moving a clock the server
// does not own.
func (s *Server) Wake() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pushDueLocked(s.clock.Now())
	s.notifyLocked()
}

// Pollers counts the long polls parked on a queue.
func (s *Server) Pollers(queue string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pollers[queue]
}

// WaitForPollers blocks until at least n long polls are parked on queue, so a test can move the
// clock only once a receive is waiting, with no sleeps. It fails when ctx ends first.
func (s *Server) WaitForPollers(ctx context.Context, queue string, n int) error {
	for {
		s.mu.Lock()
		have, ch := s.pollers[queue], s.changed
		s.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("mnstest: waiting for %d pollers on %q, have %d: %w", n, queue, have, ctx.Err())
		}
	}
}
