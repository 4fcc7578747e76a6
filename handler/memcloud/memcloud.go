// Package memcloud is an in-memory fake of the cloud behind the handler's ports: MPS jobs, MNS
// queues and topics in one process, on an injected clock, with a test API beside the ports (as
// pstest has beside Pub/Sub's wire API). It passes handler/porttest's contract suites, as the SDK
// adapters do over the emulators, so a test of the core can use it in place of HTTP and learn the
// same error classes. It models what the contract says and no more: no signatures, no latency, no
// quota; use the emulators (handler/mpstest, handler/mnstest) for those.
package memcloud

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
	"iprodwatch/parse"
)

// Cloud is the fake. The zero value is not usable; call New.
type Cloud struct {
	clock clock.Clock

	mu      sync.Mutex
	seq     int
	answers map[string][]byte  // job id -> QueryIProductionJob body
	faults  map[string][]error // job id -> the errors of its next queries
	queues  map[string]*queue
	topics  map[string][]Message
}

// Message is a message as a queue or topic holds it.
type Message struct {
	ID           string
	Body         []byte
	Tag          string // topics: the MessageTag
	EnqueuedAt   time.Time
	VisibleAt    time.Time
	DequeueCount int
	FirstDequeue time.Time
	receipt      string
}

type queue struct {
	QueueConfig
	msgs []*Message
}

// QueueConfig are a queue's attributes.
type QueueConfig struct {
	Retention, Visibility time.Duration
	MaxMessage            int // 0: MNS's default and most, 64 KiB
}

// New returns an empty cloud on c.
func New(c clock.Clock) *Cloud {
	return &Cloud{clock: c, answers: map[string][]byte{}, faults: map[string][]error{}, queues: map[string]*queue{}, topics: map[string][]Message{}}
}

// CreateQueue makes a queue.
func (c *Cloud) CreateQueue(name string, qc QueueConfig) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if qc.MaxMessage == 0 {
		qc.MaxMessage = handler.MaxMessage
	}
	c.queues[name] = &queue{QueueConfig: qc}
}

// CreateTopic makes a topic.
func (c *Cloud) CreateTopic(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.topics[name]; !ok {
		c.topics[name] = []Message{}
	}
}

// SetAnswer makes body the answer to every later query of job id (a job MPS knows).
func (c *Cloud) SetAnswer(id string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answers[id] = slices.Clone(body)
}

// SetJob answers for job id as MPS does for a job of the algorithm in state (a succeeded job with
// an empty result).
func (c *Cloud) SetJob(id, algorithm string, state parse.State) {
	a := map[string]any{"RequestId": "memcloud-" + id, "JobId": id, "FunctionName": algorithm, "State": string(state),
		"Input": "oss://bucket.oss-cn-shanghai.aliyuncs.com/in.mp4", "Output": "oss://bucket.oss-cn-shanghai.aliyuncs.com/out.mp4",
		"UserData": nil, "JobParams": ""}
	switch state {
	case parse.StateSuccess:
		a["Result"] = `{"Code":"Success","Data":"{}","Message":"Successful."}`
	case parse.StateFail:
		a["Result"] = `{"Code":"InternalError","Message":"the job failed"}`
	}
	b, _ := parse.Marshal(a)
	c.SetAnswer(id, b)
}

// FailNext makes the next len(errs) queries of job id fail with errs, in order; use the handler's
// error classes (handler.ErrThrottled, handler.ErrTransient, ...), wrapped as the adapters wrap them.
func (c *Cloud) FailNext(id string, errs ...error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults[id] = append(c.faults[id], errs...)
}

// Published lists what was published to topic, in order.
func (c *Cloud) Published(topic string) []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.topics[topic])
}

// Messages lists the messages a queue holds, visible or not.
func (c *Cloud) Messages(name string) []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Message
	if q, ok := c.queues[name]; ok {
		for _, m := range c.live(q) {
			out = append(out, *m)
		}
	}
	return out
}

// Clients are the ports over this cloud, with credentials it accepts.
func (c *Cloud) Clients() *handler.Clients {
	p := &ports{c: c}
	return &handler.Clients{Jobs: p, Queues: p, Topics: topicPorts{p}}
}

// Refused are the ports with credentials this cloud rejects: every call is a configuration fault.
func (c *Cloud) Refused() *handler.Clients {
	p := &ports{c: c, refused: true}
	return &handler.Clients{Jobs: p, Queues: p, Topics: topicPorts{p}}
}

// Connector is a handler.Connector that hands every invocation Clients.
func (c *Cloud) Connector() handler.Connector {
	return func(context.Context) (*handler.Clients, error) { return c.Clients(), nil }
}

// live drops the messages past their retention and returns the rest; c.mu is held.
func (c *Cloud) live(q *queue) []*Message {
	now := c.clock.Now()
	q.msgs = slices.DeleteFunc(q.msgs, func(m *Message) bool { return !now.Before(m.EnqueuedAt.Add(q.Retention)) })
	return q.msgs
}

// ports implements the handler's Jobs, Queues and Topics over the cloud.
type ports struct {
	c       *Cloud
	refused bool
}

func (p *ports) enter(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.refused {
		return fmt.Errorf("%w: memcloud %s: the credentials are rejected", handler.ErrConfig, op)
	}
	p.c.mu.Lock()
	return nil
}

func (p *ports) QueryJob(ctx context.Context, jobID string) ([]byte, error) {
	if err := p.enter(ctx, "QueryJob"); err != nil {
		return nil, err
	}
	defer p.c.mu.Unlock()
	if f := p.c.faults[jobID]; len(f) > 0 {
		p.c.faults[jobID] = f[1:]
		return nil, f[0]
	}
	b, ok := p.c.answers[jobID]
	if !ok {
		return nil, fmt.Errorf("%w: memcloud: no job %s", handler.ErrNoSuchJob, jobID)
	}
	return slices.Clone(b), nil
}

func (p *ports) queue(op, name string) (*queue, error) {
	q, ok := p.c.queues[name]
	if !ok {
		return nil, fmt.Errorf("%w: memcloud %s: no queue %s", handler.ErrConfig, op, name)
	}
	return q, nil
}

func (p *ports) Send(ctx context.Context, name string, body []byte, delay time.Duration) error {
	if err := p.enter(ctx, "Send"); err != nil {
		return err
	}
	defer p.c.mu.Unlock()
	q, err := p.queue("Send", name)
	if err != nil {
		return err
	}
	if len(body) > q.MaxMessage {
		return fmt.Errorf("%w: memcloud Send: %d bytes, over the queue's %d", handler.ErrTooLarge, len(body), q.MaxMessage)
	}
	now := p.c.clock.Now()
	p.c.seq++
	// MNS takes whole seconds of delay.
	secs := (delay + time.Second - 1) / time.Second
	q.msgs = append(q.msgs, &Message{ID: strconv.Itoa(p.c.seq), Body: slices.Clone(body), EnqueuedAt: now, VisibleAt: now.Add(secs * time.Second)})
	return nil
}

func (p *ports) Receive(ctx context.Context, name string, max int, _ time.Duration) ([]handler.Received, error) {
	if err := p.enter(ctx, "Receive"); err != nil {
		return nil, err
	}
	defer p.c.mu.Unlock()
	q, err := p.queue("Receive", name)
	if err != nil {
		return nil, err
	}
	now := p.c.clock.Now()
	var out []handler.Received
	for _, m := range p.c.live(q) {
		if len(out) == max || now.Before(m.VisibleAt) {
			continue
		}
		p.c.seq++
		m.DequeueCount++
		if m.FirstDequeue.IsZero() {
			m.FirstDequeue = now
		}
		m.VisibleAt, m.receipt = now.Add(q.Visibility), m.ID+"-"+strconv.Itoa(p.c.seq)
		out = append(out, handler.Received{ID: m.ID, Receipt: m.receipt, Body: slices.Clone(m.Body), DequeueCount: m.DequeueCount,
			FirstDequeueAt: m.FirstDequeue, EnqueuedAt: m.EnqueuedAt})
	}
	return out, nil
}

// held finds the message a receipt is valid for: the latest receipt of a message still invisible.
func (p *ports) held(q *queue, receipt string) *Message {
	now := p.c.clock.Now()
	for _, m := range p.c.live(q) {
		if m.receipt == receipt && now.Before(m.VisibleAt) {
			return m
		}
	}
	return nil
}

func (p *ports) Delete(ctx context.Context, name, receipt string) error {
	if err := p.enter(ctx, "Delete"); err != nil {
		return err
	}
	defer p.c.mu.Unlock()
	q, err := p.queue("Delete", name)
	if err != nil {
		return err
	}
	if m := p.held(q, receipt); m != nil {
		q.msgs = slices.DeleteFunc(q.msgs, func(x *Message) bool { return x == m })
	}
	return nil
}

func (p *ports) Defer(ctx context.Context, name, receipt string, d time.Duration) (string, error) {
	if err := p.enter(ctx, "Defer"); err != nil {
		return "", err
	}
	defer p.c.mu.Unlock()
	q, err := p.queue("Defer", name)
	if err != nil {
		return "", err
	}
	m := p.held(q, receipt)
	if m == nil {
		return "", nil
	}
	secs := min(max((d+time.Second-1)/time.Second, 1), handler.MaxVisibility)
	p.c.seq++
	m.VisibleAt, m.receipt = p.c.clock.Now().Add(secs*time.Second), m.ID+"-"+strconv.Itoa(p.c.seq)
	return m.receipt, nil
}

func (p *ports) Limits(ctx context.Context, name string) (handler.Limits, error) {
	if err := p.enter(ctx, "Limits"); err != nil {
		return handler.Limits{}, err
	}
	defer p.c.mu.Unlock()
	q, err := p.queue("Limits", name)
	if err != nil {
		return handler.Limits{}, err
	}
	return handler.Limits{MaxMessage: q.MaxMessage, Retention: q.Retention}, nil
}

// topicPorts are the Topics port: Publish, and the topic's Limits.
type topicPorts struct{ *ports }

func (p topicPorts) Limits(ctx context.Context, topic string) (handler.Limits, error) {
	if err := p.enter(ctx, "Limits"); err != nil {
		return handler.Limits{}, err
	}
	defer p.c.mu.Unlock()
	if _, ok := p.c.topics[topic]; !ok {
		return handler.Limits{}, fmt.Errorf("%w: memcloud Limits: no topic %s", handler.ErrConfig, topic)
	}
	return handler.Limits{MaxMessage: handler.MaxMessage}, nil
}

func (p *ports) Publish(ctx context.Context, topic string, body []byte, tag string) error {
	if err := p.enter(ctx, "Publish"); err != nil {
		return err
	}
	defer p.c.mu.Unlock()
	msgs, ok := p.c.topics[topic]
	if !ok {
		return fmt.Errorf("%w: memcloud Publish: no topic %s", handler.ErrConfig, topic)
	}
	if len(body) > handler.MaxMessage {
		return fmt.Errorf("%w: memcloud Publish: %d bytes", handler.ErrTooLarge, len(body))
	}
	p.c.seq++
	p.c.topics[topic] = append(msgs, Message{ID: strconv.Itoa(p.c.seq), Body: slices.Clone(body), Tag: tag, EnqueuedAt: p.c.clock.Now()})
	return nil
}
