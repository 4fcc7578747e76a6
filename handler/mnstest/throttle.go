package mnstest

import (
	"bytes"
	"net/http"
	"strconv"
	"time"
)

// Throttling, as the service documents it (Simple Message Queue "Throttling policy"; the limits
// page, doc-detail/128343): requests over the threshold are held for about 500 ms and then
// answered 429 TooManyRequests ("The request is denied by cluster flow limiter for too many
// requests."). The thresholds: 20,000 per second for an account's data operations in a region,
// batch operations counted by their messages; 200 per second for management operations
// (queues, topics, subscriptions); 3,000 per second for one queue. The older error table's
// QpsLimitExceeded is not answered: the current page gives TooManyRequests, which the handler
// must take as throttling either way. The service raises its thresholds elastically, so a
// client cannot rely on them; the emulator holds them fixed. They are counted per second of the
// injected clock (WithClock), as mpstest counts the MPS quota, so a test that runs hours of
// traffic in seconds meets the thresholds its traffic would meet in the cloud; on a clock that
// does not move, a second's quota once used stays used until it does (negative thresholds turn a
// limit off). The test API (Send, CreateQueue, ...) is never throttled.
type Throttle struct {
	AccountTPS  int           // data operations per second, batches by message; 0: 20,000; <0: no limit
	QueueTPS    int           // per queue (and per topic, inferred); 0: 3,000; <0: no limit
	MetadataQPS int           // management operations per second; 0: 200; <0: no limit
	Hold        time.Duration // how long a refused request is held (real time); 0: 500 ms; <0: none
}

// WithThrottle sets the throttling thresholds (Throttle's zero fields take the service's).
func WithThrottle(t Throttle) Option { return func(o *config) { o.throttle = t } }

func (t Throttle) withDefaults() Throttle {
	def := func(v, d int) int {
		if v == 0 {
			return d
		}
		return v
	}
	t.AccountTPS, t.QueueTPS, t.MetadataQPS = def(t.AccountTPS, 20_000), def(t.QueueTPS, 3_000), def(t.MetadataQPS, 200)
	if t.Hold == 0 {
		t.Hold = 500 * time.Millisecond
	}
	return t
}

var metadataOps = map[Op]bool{
	OpCreateQueue: true, OpSetQueueAttributes: true, OpGetQueueAttributes: true, OpDeleteQueue: true,
	OpCreateTopic: true, OpSetTopicAttributes: true, OpGetTopicAttributes: true, OpDeleteTopic: true,
	OpSubscribe: true, OpSetSubscriptionAttributes: true, OpGetSubscriptionAttributes: true, OpUnsubscribe: true,
}

// units is what a call counts toward the data thresholds: its messages for a batch (as many as a
// batch send holds, as many as a batch receive or peek asks for), one otherwise.
func units(c *call) int {
	switch c.op {
	case OpBatchSendMessage:
		return max(1, bytes.Count(c.body, []byte("<Message>")))
	case OpBatchReceiveMessage, OpBatchPeekMessage:
		if n, err := strconv.Atoi(c.q.get("numOfMessages")); err == nil && n > 0 {
			return min(n, maxBatch)
		}
	case OpBatchDeleteMessage:
		return max(1, bytes.Count(c.body, []byte("<ReceiptHandle>")))
	}
	return 1
}

// window counts one threshold's use in one second of the injected clock.
type window struct {
	second int64
	used   int
}

// admitLocked takes c's units from every threshold it counts toward, or none when one is full.
// Called with s.mu held.
func (s *Server) admitLocked(c *call, now time.Time) bool {
	t := s.cfg.throttle
	type take struct {
		key   string
		limit int
		n     int
	}
	var takes []take
	if metadataOps[c.op] {
		takes = append(takes, take{"metadata", t.MetadataQPS, 1})
	} else {
		n := units(c)
		takes = append(takes, take{"account", t.AccountTPS, n})
		if name := c.queue + c.topic; name != "" {
			takes = append(takes, take{"resource:" + c.queue + "/" + c.topic, t.QueueTPS, n})
		}
	}
	sec := now.Unix()
	for _, tk := range takes {
		w := s.windows[tk.key]
		if w.second != sec {
			w = window{second: sec}
		}
		if tk.limit > 0 && w.used+tk.n > tk.limit {
			return false
		}
	}
	for _, tk := range takes {
		w := s.windows[tk.key]
		if w.second != sec {
			w = window{second: sec}
		}
		w.used += tk.n
		s.windows[tk.key] = w
	}
	return true
}

// throttled holds a refused request as the service does and answers its error.
func (s *Server) throttled(r *http.Request) *APIError {
	if hold := s.cfg.throttle.Hold; hold > 0 {
		s.sleepReal(r, hold)
	}
	return apiErr(http.StatusTooManyRequests, "TooManyRequests", "The request is denied by cluster flow limiter for too many requests.")
}
