package mnstest

import (
	"net/http"
	"strconv"
	"time"
)

// queueLocked finds a queue, after the pushes due and retention at now: every look at a queue
// sees what the service would hold by then.
func (s *Server) queueLocked(name string, now time.Time) (*queue, *APIError) {
	s.pushDueLocked(now)
	q, ok := s.queues[name]
	if !ok {
		return nil, ErrQueueNotExist
	}
	q.expireLocked(now)
	return q, nil
}

func parseQueueAttrs(body []byte, base QueueAttributes) (QueueAttributes, *APIError) {
	var w wireQueue
	if e := decodeXML(body, &w); e != nil {
		return QueueAttributes{}, e
	}
	a := base
	var e *APIError
	fields := []struct {
		name string
		v    *string
		dst  *int64
	}{
		{"DelaySeconds", w.DelaySeconds, &a.DelaySeconds},
		{"MaximumMessageSize", w.MaximumMessageSize, &a.MaximumMessageSize},
		{"MessageRetentionPeriod", w.MessageRetentionPeriod, &a.MessageRetentionPeriod},
		{"VisibilityTimeout", w.VisibilityTimeout, &a.VisibilityTimeout},
		{"PollingWaitSeconds", w.PollingWaitSeconds, &a.PollingWaitSeconds},
	}
	for _, f := range fields {
		if *f.dst, e = intField(f.name, f.v, *f.dst); e != nil {
			return QueueAttributes{}, e
		}
	}
	if a.LoggingEnabled, e = boolField("LoggingEnabled", w.LoggingEnabled, a.LoggingEnabled); e != nil {
		return QueueAttributes{}, e
	}
	return a, a.validate()
}

func (s *Server) createQueueOp(c *call) (answer, *APIError) {
	if e := validQueueName(c.queue); e != nil {
		return answer{}, e
	}
	a, e := parseQueueAttrs(c.body, DefaultQueueAttributes())
	if e != nil {
		return answer{}, e
	}
	return s.createQueue(c.queue, a)
}

func (s *Server) createQueue(name string, a QueueAttributes) (answer, *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.queues[name]; ok {
		if q.attrs == a {
			return answer{status: http.StatusNoContent}, nil
		}
		return answer{}, ErrQueueAlreadyExist
	}
	s.queues[name] = newQueue(name, a, s.clock.Now())
	return answer{status: http.StatusCreated, location: "/queues/" + name}, nil
}

func (s *Server) setQueueAttributesOp(c *call) (answer, *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	q, e := s.queueLocked(c.queue, now)
	if e != nil {
		return answer{}, e
	}
	a, e := parseQueueAttrs(c.body, q.attrs)
	if e != nil {
		return answer{}, e
	}
	q.attrs, q.modified = a, now
	return answer{status: http.StatusNoContent}, nil
}

func (s *Server) getQueueAttributesOp(c *call) (answer, *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	q, e := s.queueLocked(c.queue, now)
	if e != nil {
		return answer{}, e
	}
	w := wireQueueAttributes{
		QueueName: q.name, CreateTime: q.created.Unix(), LastModifyTime: q.modified.Unix(),
		DelaySeconds: q.attrs.DelaySeconds, MaximumMessageSize: q.attrs.MaximumMessageSize,
		MessageRetentionPeriod: q.attrs.MessageRetentionPeriod, VisibilityTimeout: q.attrs.VisibilityTimeout,
		PollingWaitSeconds: q.attrs.PollingWaitSeconds, LoggingEnabled: titleBool(q.attrs.LoggingEnabled),
	}
	for _, m := range q.msgs {
		switch m.state(now) {
		case StateActive:
			w.ActiveMessages++
		case StateInactive:
			w.InactiveMessages++
		case StateDelayed:
			w.DelayMessages++
		}
	}
	return answer{status: http.StatusOK, body: marshalAnswer(w)}, nil
}

func (s *Server) deleteQueueOp(c *call) (answer, *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Deleting a queue that does not exist succeeds in the cloud too (DeleteQueue is idempotent).
	delete(s.queues, c.queue)
	s.notifyLocked()
	return answer{status: http.StatusNoContent}, nil
}

func (s *Server) sendMessageOp(c *call) (answer, *APIError) {
	var w wireSend
	if e := decodeXML(c.body, &w); e != nil {
		return answer{}, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	q, e := s.queueLocked(c.queue, now)
	if e != nil {
		return answer{}, e
	}
	p, e := parseSend(w, q)
	if e != nil {
		return answer{}, e
	}
	m := s.enqueueLocked(q, p, now)
	return answer{status: http.StatusCreated, body: marshalAnswer(wireSendResult{MessageID: m.id, MessageBodyMD5: m.md5})}, nil
}

func (s *Server) batchSendMessageOp(c *call) (answer, *APIError) {
	var w wireBatchSend
	if e := decodeXML(c.body, &w); e != nil {
		return answer{}, e
	}
	if n := len(w.Messages); n < 1 || n > maxBatch {
		return answer{}, errRange("the count of Messages", 1, maxBatch, "")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	q, e := s.queueLocked(c.queue, now)
	if e != nil {
		return answer{}, e
	}
	// What makes the whole batch wrong (its count, its total size) refuses it before anything is
	// stored; a message's own fault (its size, DelaySeconds, Priority) fails that message only:
	// the answer lists each message in order, an id for those stored and ErrorCode for the others,
	// as the SDKs read it (the Go SDK's batchOpDecoder, the PHP SDK's BatchSendFailException).
	ps := make([]sendParams, len(w.Messages))
	bad := make([]*APIError, len(w.Messages))
	total := 0
	for i, m := range w.Messages {
		ps[i], bad[i] = parseSend(m, q)
		if m.MessageBody != nil {
			total += len(*m.MessageBody)
		}
	}
	if total > maxMessageSize {
		return answer{}, errRange("the total size of Messages", 1, maxMessageSize, "bytes")
	}
	out := wireSendResults{}
	status := http.StatusCreated
	for i, p := range ps {
		if bad[i] != nil {
			// The status of a partly failed batch is not documented; the SDKs take any status but
			// 2xx with a <Messages> body as a partial failure. 500 is assumed.
			status = http.StatusInternalServerError
			out.Messages = append(out.Messages, wireSendResult{ErrorCode: bad[i].Code, ErrorMessage: bad[i].Message})
			continue
		}
		m := s.enqueueLocked(q, p, now)
		out.Messages = append(out.Messages, wireSendResult{MessageID: m.id, MessageBodyMD5: m.md5})
	}
	return answer{status: status, body: marshalAnswer(out)}, nil
}

// receiveOp serves Receive, BatchReceive, Peek and BatchPeek. Receives long-poll: see waitFor.
func (s *Server) receiveOp(c *call) (answer, *APIError) {
	batch := c.op == OpBatchReceiveMessage || c.op == OpBatchPeekMessage
	peek := c.op == OpPeekMessage || c.op == OpBatchPeekMessage
	n := 1
	if batch {
		v, err := strconv.Atoi(c.q.get("numOfMessages"))
		if err != nil || v < 1 || v > maxBatch {
			return answer{}, errRange("numOfMessages", 1, maxBatch, "")
		}
		n = v
	}
	wait := int64(-1) // absent: the queue's PollingWaitSeconds
	if c.q.has("waitseconds") && !peek {
		v, err := strconv.ParseInt(c.q.get("waitseconds"), 10, 64)
		if err != nil || v < 0 || v > maxPollingWait {
			return answer{}, errRange("waitseconds", 0, maxPollingWait, "seconds")
		}
		wait = v
	}

	var got []wireReceived
	e := s.waitFor(c, wait, peek, func(q *queue, now time.Time) bool {
		got = s.receiveLocked(q, n, peek, now)
		return len(got) > 0
	})
	if e != nil {
		return answer{}, e
	}
	if batch {
		return answer{status: http.StatusOK, body: marshalAnswer(wireReceivedList{Messages: got})}, nil
	}
	return answer{status: http.StatusOK, body: marshalAnswer(got[0])}, nil
}

func (s *Server) deleteMessageOp(c *call) (answer, *APIError) {
	h := c.q.get("ReceiptHandle")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	q, e := s.queueLocked(c.queue, now)
	if e != nil {
		return answer{}, e
	}
	m, e := q.handleLocked(h, now)
	if e != nil {
		return answer{}, e
	}
	q.removeLocked(m.id)
	s.notifyLocked()
	return answer{status: http.StatusNoContent}, nil
}

func (s *Server) batchDeleteMessageOp(c *call) (answer, *APIError) {
	var w wireHandles
	if e := decodeXML(c.body, &w); e != nil {
		return answer{}, e
	}
	if n := len(w.Handles); n < 1 || n > maxBatch {
		return answer{}, errRange("the count of ReceiptHandles", 1, maxBatch, "")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	q, e := s.queueLocked(c.queue, now)
	if e != nil {
		return answer{}, e
	}
	var failed wireDeleteErrors
	for _, h := range w.Handles {
		m, e := q.handleLocked(h, now)
		if e != nil {
			failed.Errors = append(failed.Errors, wireDeleteError{ErrorCode: e.Code, ErrorMessage: e.Message, ReceiptHandle: h})
			continue
		}
		q.removeLocked(m.id)
	}
	s.notifyLocked()
	if len(failed.Errors) > 0 {
		// The valid handles are deleted; the rest are listed, with a non-2xx status (404 as probed).
		return answer{status: http.StatusNotFound, body: marshalAnswer(failed)}, nil
	}
	return answer{status: http.StatusNoContent}, nil
}

func (s *Server) changeVisibilityOp(c *call) (answer, *APIError) {
	h := c.q.get("ReceiptHandle")
	if h == "" {
		return answer{}, apiErr(http.StatusBadRequest, "MissingReceiptHandle", "The ReceiptHandle is missing.")
	}
	raw := c.q.get("VisibilityTimeout")
	if raw == "" {
		return answer{}, apiErr(http.StatusBadRequest, "MissingVisibilityTimeout", "The VisibilityTimeout is missing.")
	}
	secs, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || secs < minVisibility || secs > maxVisibility {
		return answer{}, errRange("VisibilityTimeout", minVisibility, maxVisibility, "seconds")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	q, e := s.queueLocked(c.queue, now)
	if e != nil {
		return answer{}, e
	}
	m, e := q.handleLocked(h, now)
	if e != nil {
		return answer{}, e
	}
	// A new handle every time; the old one stops working (only the latest handle is valid).
	delete(q.handles, m.handle)
	q.retireLocked(m.handle, ErrReceiptHandle)
	m.handle = s.newHandleLocked()
	q.handles[m.handle] = m
	m.visibleAt = now.Add(time.Duration(secs) * time.Second)
	s.notifyLocked()
	return answer{status: http.StatusOK, body: marshalAnswer(wireChangeVisibility{ReceiptHandle: m.handle, NextVisibleTime: epochMillis(m.visibleAt)})}, nil
}
