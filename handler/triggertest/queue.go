package triggertest

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
)

// Batch window and receive limits.
const (
	maxCountWindow = 10000
	maxTimeWindow  = 15 * time.Second
	maxReceive     = 16 // MNS BatchReceiveMessage numOfMessages limit
)

// QueueSource is the EventBridge MNS-queue trigger: it consumes a queue through the MNS SDK
// (BatchReceiveMessage, then BatchDeleteMessage at once: from then on a message lives only in
// the bridge's buffer, its retries or the dead-letter queue), groups messages per the batch
// window, and pushes each batch synchronously to the function, retrying it per the push retry
// strategy and then applying errorsTolerance.
type QueueSource struct {
	base
	q   ali_mns.AliMNSQueue
	dlq ali_mns.AliMNSQueue

	// Guarded by step.
	buffer      []cloudEvent
	windowStart time.Time
	inflight    []*batch
	batchSeq    int
	lastReceive chan struct{} // closed when the last receive's SDK call has returned

	// Guarded by mu.
	consumed    []Consumed
	deadLetters []DeadLetter
	blocked     bool
}

// batch is one push: its events, payload and retry state.
type batch struct {
	seq     int
	events  []cloudEvent
	payload []byte
	ids     []string
	retry   int // the next invocation's RetryCount
	due     time.Time
	lastErr error
	dead    bool // retries exhausted, waiting to be dead-lettered
	sent    int  // events already in the dead-letter queue
}

// NewQueueSource consumes q (built with ali_mns.NewMNSQueue on a client from
// mnstest.Server.NewSDKClient, or on a cloud client) and delivers to fn. Give it its own queue
// handles, q and the dead-letter queue's: an SDK queue handle is not safe for concurrent use
// (its QPS monitor races under -race), so a producer must use another handle. Options: WithMode,
// WithBase64Decode (default true, as the cloud), WithEventSchema, WithBatchWindow,
// WithRetryStrategy, WithErrorsTolerance (default NONE, as the cloud), WithDeadLetterQueue,
// WithFunctionName, WithTriggerName, WithRegion, WithAccount, WithPublishAddr, WithClock,
// WithSeed, WithTick, WithConcurrency. In event-driven mode the batch window is 1 message.
//
// Receives carry no waitseconds, so the queue's PollingWaitSeconds applies: keep it 0 for
// RunDue to return at once.
func NewQueueSource(q ali_mns.AliMNSQueue, fn Func, opts ...Option) (*QueueSource, error) {
	cfg := defaultConfig("queueTrigger")
	for _, o := range opts {
		o(&cfg)
	}
	if q == nil {
		return nil, fmt.Errorf("%w: nil queue", ErrInvalidConfig)
	}
	switch cfg.mode {
	case EventStreaming:
	case EventDriven:
		cfg.countWindow, cfg.timeWindow = 1, 0
	default:
		return nil, fmt.Errorf("%w: mode %q", ErrInvalidConfig, cfg.mode)
	}
	if cfg.schema != CloudEvents && cfg.schema != RawData {
		return nil, fmt.Errorf("%w: eventSchema %q", ErrInvalidConfig, cfg.schema)
	}
	if cfg.tolerance != ToleranceAll && cfg.tolerance != ToleranceNone {
		return nil, fmt.Errorf("%w: errorsTolerance %q", ErrInvalidConfig, cfg.tolerance)
	}
	if cfg.countWindow < 1 || cfg.countWindow > maxCountWindow {
		return nil, fmt.Errorf("%w: CountBasedWindow %d outside 1-%d", ErrInvalidConfig, cfg.countWindow, maxCountWindow)
	}
	if cfg.timeWindow < 0 || cfg.timeWindow > maxTimeWindow || cfg.timeWindow%time.Second != 0 {
		return nil, fmt.Errorf("%w: TimeBasedWindow %v outside 0-15 whole seconds", ErrInvalidConfig, cfg.timeWindow)
	}
	s := &QueueSource{q: q, dlq: cfg.dlq}
	if err := s.init(cfg, KindQueue, fn); err != nil {
		return nil, err
	}
	return s, nil
}

// RunDue does everything due at the injected now: dead-letters exhausted batches, consumes the
// queue while a batch slot is free, cuts batches whose window is reached, and pushes due
// batches and retries. It repeats until nothing moves and returns the invocations made. An MNS
// error ends it early; what was done stays done, and the next RunDue resumes.
func (s *QueueSource) RunDue(ctx context.Context) (int, error) {
	s.step.Lock()
	defer s.step.Unlock()
	n := 0
	for range maxRounds {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		moved, err := s.flushDeadLetters()
		if err != nil {
			return n, err
		}
		now := s.cfg.clock.Now()
		if !s.Blocked() && len(s.inflight) < s.cfg.concurrency {
			got, err := s.consume(ctx, now)
			if err != nil {
				return n, err
			}
			moved = moved || got > 0
		}
		s.cut(now)
		if k := s.pushDue(ctx, now); k > 0 {
			n += k
			moved = true
		}
		if !moved {
			return n, nil
		}
	}
	return n, nil
}

// Run calls RunDue on every real tick until ctx ends and returns ctx.Err(). Each tick with a
// free slot is one receive request: against the cloud, set WithTick to a second or more.
func (s *QueueSource) Run(ctx context.Context) error { return s.run(ctx, s.RunDue) }

// consume receives until the count windows of the free batch slots are full or the queue has
// nothing visible, deleting each received message before buffering it.
func (s *QueueSource) consume(ctx context.Context, now time.Time) (int, error) {
	total := 0
	room := s.cfg.countWindow * (s.cfg.concurrency - len(s.inflight))
	for {
		want := min(room-len(s.buffer), maxReceive)
		if want <= 0 {
			return total, nil
		}
		msgs, err := s.receive(ctx, want)
		if err != nil || len(msgs) == 0 {
			return total, err
		}
		kept, err := s.delete(msgs)
		if err != nil {
			return total, err
		}
		for _, m := range kept {
			if len(s.buffer) == 0 {
				s.windowStart = now
			}
			s.buffer = append(s.buffer, s.newEvent(m, now))
		}
		total += len(kept)
		if len(msgs) < want {
			return total, nil
		}
	}
}

// receive makes one BatchReceiveMessage without waitseconds; an empty queue is no error.
func (s *QueueSource) receive(ctx context.Context, n int) ([]ali_mns.MessageReceiveResponse, error) {
	s.awaitReceive()
	// Buffered: the SDK call finishes and exits even when ctx ends first.
	respCh, errCh := make(chan ali_mns.BatchMessageReceiveResponse, 1), make(chan error, 1)
	done := make(chan struct{})
	s.lastReceive = done
	go func() {
		defer close(done)
		s.q.BatchReceiveMessage(respCh, errCh, int32(n))
	}()
	select {
	case r := <-respCh:
		return r.Messages, nil
	case err := <-errCh:
		if ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("triggertest: receive from queue %q: %w", s.q.Name(), err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// awaitReceive waits for a receive abandoned when its ctx ended: the SDK's queue handle is not
// safe for concurrent calls (its QPS monitor races), so calls on it never overlap.
func (s *QueueSource) awaitReceive() {
	if s.lastReceive != nil {
		<-s.lastReceive
	}
}

// delete acknowledges msgs and returns the ones deleted; a message whose handle failed stays in
// the queue and comes back after its visibility timeout, as it would from the cloud's consumer.
func (s *QueueSource) delete(msgs []ali_mns.MessageReceiveResponse) ([]ali_mns.MessageReceiveResponse, error) {
	handles := make([]string, len(msgs))
	for i, m := range msgs {
		handles[i] = m.ReceiptHandle
	}
	s.awaitReceive()
	resp, err := s.q.BatchDeleteMessage(handles...)
	// A partial failure is ERR_MNS_BATCH_OP_FAIL with the failed handles in resp: the others are
	// deleted, and dropping the batch then would lose them.
	if err != nil && !ali_mns.ERR_MNS_BATCH_OP_FAIL.IsEqual(err) {
		return nil, fmt.Errorf("triggertest: delete from queue %q: %w", s.q.Name(), err)
	}
	if err != nil && len(resp.FailedMessages) == 0 {
		return nil, fmt.Errorf("triggertest: delete from queue %q failed without saying for which handles: %w", s.q.Name(), err)
	}
	failed := map[string]bool{}
	for _, f := range resp.FailedMessages {
		failed[f.ReceiptHandle] = true
	}
	now := s.cfg.clock.Now()
	kept := msgs[:0:0]
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		if failed[m.ReceiptHandle] {
			continue
		}
		kept = append(kept, m)
		s.consumed = append(s.consumed, Consumed{MessageID: m.MessageId, Body: m.MessageBody, ReceiveTime: now, DequeueCount: m.DequeueCount})
		s.stats.Consumed++
	}
	return kept, nil
}

// newEvent wraps a received message in the CloudEvents envelope.
func (s *QueueSource) newEvent(m ali_mns.MessageReceiveResponse, now time.Time) cloudEvent {
	body := m.MessageBody
	if s.cfg.base64Decode {
		if dec, err := base64.StdEncoding.DecodeString(body); err == nil {
			body = string(dec)
		} else {
			s.mu.Lock()
			s.stats.DecodeFailures++
			s.mu.Unlock()
		}
	}
	source := fmt.Sprintf("MNS-%s-%s", s.cfg.functionName, s.cfg.triggerName)
	c := s.cfg
	return cloudEvent{
		ID: newUUID(s.rng), Source: source, SpecVersion: "1.0", Type: "mns:Queue:SendMessage",
		DataContentType: "application/json; charset=utf-8",
		Subject:         fmt.Sprintf("acs:mns:%s:%s:queues/%s", c.region, c.account, s.q.Name()),
		Time:            eventTime(time.UnixMilli(m.EnqueueTime)),
		AliyunAccountID: c.account, AliyunPublishTime: eventTime(now), AliyunOriginalAccountID: c.account,
		AliyunEventBusName: source, AliyunRegionID: c.region, AliyunPublishAddr: c.publishAddr,
		Data: mnsData{RequestID: newRequestID(s.rng), MessageID: m.MessageId, MessageBody: body},
	}
}

// cut turns buffered events into batches while a slot is free and the count or time window is
// reached.
func (s *QueueSource) cut(now time.Time) {
	for len(s.buffer) > 0 && len(s.inflight) < s.cfg.concurrency &&
		(len(s.buffer) >= s.cfg.countWindow || !now.Before(s.windowStart.Add(s.cfg.timeWindow))) {
		k := min(len(s.buffer), s.cfg.countWindow)
		events := append([]cloudEvent(nil), s.buffer[:k]...)
		s.buffer = append(s.buffer[:0], s.buffer[k:]...)
		s.windowStart = now
		ids := make([]string, len(events))
		for i, e := range events {
			ids[i] = e.Data.MessageID
		}
		s.batchSeq++
		s.inflight = append(s.inflight, &batch{
			seq: s.batchSeq, events: events, ids: ids, due: now,
			payload: encodeBatch(events, s.cfg.mode, s.cfg.schema),
		})
	}
}

// pushDue invokes every batch due at now, in parallel when several are, then applies the
// retry strategy and errorsTolerance to the failures.
func (s *QueueSource) pushDue(ctx context.Context, now time.Time) int {
	var due []*batch
	for _, b := range s.inflight {
		if !b.dead && !b.due.After(now) {
			due = append(due, b)
		}
	}
	if len(due) == 0 {
		return 0
	}
	calls := make([]call, len(due))
	for i, b := range due {
		calls[i] = call{seq: b.seq, retry: b.retry, payload: b.payload, ids: b.ids}
	}
	errs := s.invoke(ctx, calls)
	after := s.cfg.clock.Now()
	retries := s.cfg.retry.Retries()
	for i, b := range due {
		if errs[i] == nil {
			s.remove(b)
			continue
		}
		b.lastErr = errs[i]
		if b.retry < retries || s.cfg.tolerance == ToleranceNone {
			b.retry++
			b.due = after.Add(s.cfg.retry.Delay(b.retry, s.rng))
			continue
		}
		if s.dlq != nil {
			b.dead = true
			continue
		}
		s.remove(b)
		s.drop(Dropped{Seq: b.seq, Time: after, Payload: b.payload, MessageIDs: b.ids, Attempts: b.retry + 1, Err: b.lastErr})
	}
	s.updateBlocked()
	return len(due)
}

// flushDeadLetters sends the events of exhausted batches to the dead-letter queue, one
// CloudEvent object per message; a failed send is retried by the next RunDue.
func (s *QueueSource) flushDeadLetters() (bool, error) {
	moved := false
	for _, b := range append([]*batch(nil), s.inflight...) {
		if !b.dead {
			continue
		}
		for b.sent < len(b.events) {
			ev := b.events[b.sent]
			body := string(marshalCompact(ev))
			resp, err := s.dlq.SendMessage(ali_mns.MessageSendRequest{MessageBody: body, Priority: 8})
			if err != nil {
				return moved, fmt.Errorf("triggertest: send to dead-letter queue %q: %w", s.dlq.Name(), err)
			}
			s.mu.Lock()
			s.deadLetters = append(s.deadLetters, DeadLetter{
				Seq: b.seq, Time: s.cfg.clock.Now(), MessageID: ev.Data.MessageID, DLQMessageID: resp.MessageId, Body: body,
			})
			s.stats.DeadLettered++
			s.mu.Unlock()
			b.sent++
			moved = true
		}
		s.remove(b)
	}
	return moved, nil
}

func (s *QueueSource) remove(b *batch) {
	for i, x := range s.inflight {
		if x == b {
			s.inflight = append(s.inflight[:i], s.inflight[i+1:]...)
			return
		}
	}
}

// updateBlocked recomputes the blocked flag: some batch is past its retries and not going to
// the dead-letter queue, which only happens under ToleranceNone.
func (s *QueueSource) updateBlocked() {
	v := false
	for _, b := range s.inflight {
		v = v || (!b.dead && b.retry > s.cfg.retry.Retries())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked = v
}

// NextDue is the next injected time at which RunDue has something to do without new messages:
// a retry, or the end of a time window. ok is false when nothing waits. Tests advance the manual
// clock to it instead of guessing a retry's jitter.
func (s *QueueSource) NextDue() (t time.Time, ok bool) {
	s.step.Lock()
	defer s.step.Unlock()
	consider := func(x time.Time) {
		if !ok || x.Before(t) {
			t, ok = x, true
		}
	}
	for _, b := range s.inflight {
		consider(b.due)
	}
	if len(s.buffer) > 0 {
		consider(s.windowStart.Add(s.cfg.timeWindow))
	}
	return t, ok
}

// Buffered counts messages consumed and waiting for their batch window.
func (s *QueueSource) Buffered() int {
	s.step.Lock()
	defer s.step.Unlock()
	return len(s.buffer)
}

// Blocked reports whether the stream is blocked: errorsTolerance NONE and a batch that used up
// its retries and is still failing. Nothing is consumed until it goes through.
func (s *QueueSource) Blocked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocked
}

// ConsumedMessages returns every message received and deleted, oldest first.
func (s *QueueSource) ConsumedMessages() []Consumed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Consumed(nil), s.consumed...)
}

// DeadLetters returns every event sent to the dead-letter queue, oldest first.
func (s *QueueSource) DeadLetters() []DeadLetter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DeadLetter(nil), s.deadLetters...)
}
