package cloud

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
	"github.com/valyala/fasthttp"

	"iprodwatch/handler"
)

// mnsClient is the MNS adapter for queues and topics. One SDK client is shared by the invocation's
// goroutines (safe); queue and topic objects are made per call (sharing them races).
type mnsClient struct {
	client ali_mns.MNSClient
	// timeout bounds one request; receives wait less than it.
	timeout time.Duration
}

// newMNS builds the client for one invocation. The SDK insists on an endpoint of five dot-separated
// pieces (<account>.mns.<region>.aliyuncs.com); for a plain http://HOST:PORT endpoint it is given
// that shape and a transport that sends every request to HOST:PORT instead.
func newMNS(cfg handler.Config, cred Credentials) (m *mnsClient, err error) {
	defer func() {
		// The SDK's constructor panics on a bad endpoint or empty keys instead of returning an error.
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("%w: MNS client: %v", handler.ErrConfig, p)
		}
	}()
	host := cfg.MNSEndpoint.Host
	endpoint := cfg.MNSEndpoint.Scheme + "://" + host
	direct := len(strings.Split(endpoint, ".")) != 5
	if direct {
		endpoint = cfg.MNSEndpoint.Scheme + "://" + cfg.AccountID + ".mns." + cfg.Region + ".aliyuncs.com"
	}
	const timeout = 35 * time.Second
	c := ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{
		EndPoint:        endpoint,
		AccessKeyId:     cred.AccessKeyID,
		AccessKeySecret: cred.AccessKeySecret,
		Token:           cred.SecurityToken,
		TimeoutSecond:   int64(timeout / time.Second),
	})
	if direct {
		c.SetTransport(&fixedHost{addr: host, tls: cfg.MNSEndpoint.Scheme == "https"})
	}
	return &mnsClient{client: c, timeout: timeout}, nil
}

// fixedHost is a fasthttp transport that sends every request to one address, keeping the SDK's Host
// header and signature. It owns its HostClient so fasthttp's idle-client cleaner cannot lose the
// address.
type fixedHost struct {
	addr string
	tls  bool
	once sync.Once
	hc   *fasthttp.HostClient
}

func (t *fixedHost) RoundTrip(outer *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response) (bool, error) {
	t.once.Do(func() {
		t.hc = &fasthttp.HostClient{Addr: t.addr, Name: outer.Name, IsTLS: t.tls,
			ReadTimeout: outer.ReadTimeout, WriteTimeout: outer.WriteTimeout, MaxConns: outer.MaxConns}
	})
	return false, t.hc.Do(req, resp)
}

// Send implements Queues. Priority is always set: the SDK would send 0.
func (m *mnsClient) Send(ctx context.Context, queue string, body []byte, delay time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q := ali_mns.NewMNSQueue(queue, m.client)
	_, err := q.SendMessage(ali_mns.MessageSendRequest{
		MessageBody:  string(body),
		DelaySeconds: int64((delay + time.Second - 1) / time.Second),
		Priority:     8,
	})
	return classifyMNS("SendMessage", queue, err)
}

// Publish implements Topics.
func (m *mnsClient) Publish(ctx context.Context, topic string, body []byte, tag string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := ali_mns.NewMNSTopic(topic, m.client)
	_, err := t.PublishMessage(ali_mns.MessagePublishRequest{MessageBody: string(body), MessageTag: tag})
	return classifyMNS("PublishMessage", topic, err)
}

// Receive implements Queues with BatchReceiveMessage (at most 16 a call).
func (m *mnsClient) Receive(ctx context.Context, queue string, max int, wait time.Duration) ([]handler.Received, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q := ali_mns.NewMNSQueue(queue, m.client)
	// Buffered: the SDK writes one value per waitseconds value and never blocks on it then.
	resps, errs := make(chan ali_mns.BatchMessageReceiveResponse, 1), make(chan error, 1)
	secs := min(int64(wait/time.Second), int64(m.timeout/time.Second)-5, 30)
	go func() {
		if secs > 0 {
			q.BatchReceiveMessage(resps, errs, int32(min(max, 16)), secs)
		} else {
			q.BatchReceiveMessage(resps, errs, int32(min(max, 16)))
		}
	}()
	select {
	case <-ctx.Done():
		// Abandoned, not lost: what that receive takes becomes visible again after the queue's
		// visibility timeout.
		return nil, ctx.Err()
	case r := <-resps:
		return receivedOf(r.Messages), nil
	case err := <-errs:
		if ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
			return nil, nil
		}
		return nil, classifyMNS("BatchReceiveMessage", queue, err)
	}
}

// Delete implements Queues. A handle that is no longer valid means the message came back (its
// visibility ran out) and someone else holds it now; that is not a failure of this check.
func (m *mnsClient) Delete(ctx context.Context, queue, receipt string) error {
	_, err := bounded(ctx, func() (struct{}, error) {
		return struct{}{}, ali_mns.NewMNSQueue(queue, m.client).DeleteMessage(receipt)
	})
	if ali_mns.ERR_MNS_RECEIPT_HANDLE_ERROR.IsEqual(err) || ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
		return nil
	}
	return classifyMNS("DeleteMessage", queue, err)
}

// Defer implements Queues with ChangeMessageVisibility (1 s to 12 h), which answers the message's
// new receipt handle.
func (m *mnsClient) Defer(ctx context.Context, queue, receipt string, d time.Duration) (string, error) {
	secs := min(max(int64((d+time.Second-1)/time.Second), 1), handler.MaxVisibility)
	resp, err := bounded(ctx, func() (ali_mns.MessageVisibilityChangeResponse, error) {
		return ali_mns.NewMNSQueue(queue, m.client).ChangeMessageVisibility(receipt, secs)
	})
	if ali_mns.ERR_MNS_RECEIPT_HANDLE_ERROR.IsEqual(err) || ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
		return "", nil
	}
	if err != nil {
		return "", classifyMNS("ChangeMessageVisibility", queue, err)
	}
	if resp.ReceiptHandle == "" {
		// Not the API's answer; the visibility may have changed, but this check can no longer
		// tell the message is its own.
		return "", fmt.Errorf("%w: MNS ChangeMessageVisibility %s answered no receipt handle", handler.ErrTransient, queue)
	}
	return resp.ReceiptHandle, nil
}

// receivedOf are the messages of a receive (or a peek, whose messages have no receipt).
func receivedOf(msgs []ali_mns.MessageReceiveResponse) []handler.Received {
	out := make([]handler.Received, 0, len(msgs))
	for _, msg := range msgs {
		out = append(out, handler.Received{
			ID: msg.MessageId, Receipt: msg.ReceiptHandle, Body: []byte(msg.MessageBody),
			DequeueCount:   int(msg.DequeueCount),
			FirstDequeueAt: unixMilli(msg.FirstDequeueTime),
			EnqueuedAt:     unixMilli(msg.EnqueueTime),
		})
	}
	return out
}

// unixMilli is an MNS timestamp, the zero time when MNS gave none (not 1970).
func unixMilli(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// Limits implements Queues.
func (m *mnsClient) Limits(ctx context.Context, queue string) (handler.Limits, error) {
	attr, err := bounded(ctx, func() (ali_mns.QueueAttribute, error) {
		return ali_mns.NewMNSQueueManager(m.client).GetQueueAttributes(queue)
	})
	if err != nil {
		return handler.Limits{}, classifyMNS("GetQueueAttributes", queue, err)
	}
	return handler.Limits{MaxMessage: int(attr.MaxMessageSize), Retention: time.Duration(attr.MessageRetentionPeriod) * time.Second}, nil
}

// mentionsSize reports an InvalidArgument text about the message body or its size (a tag or a
// delay is named otherwise).
func mentionsSize(text string) bool {
	t := strings.ToLower(text)
	for _, w := range []string{"messagebody", "message body", "message size", "messagesize"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// mnsTopics is the Topics adapter: the MNS client, with the topic's Limits.
type mnsTopics struct{ *mnsClient }

// Limits implements Topics.
func (t mnsTopics) Limits(ctx context.Context, topic string) (handler.Limits, error) {
	attr, err := bounded(ctx, func() (ali_mns.TopicAttribute, error) {
		return ali_mns.NewMNSTopicManager(t.client).GetTopicAttributes(topic)
	})
	if err != nil {
		return handler.Limits{}, classifyMNS("GetTopicAttributes", topic, err)
	}
	return handler.Limits{MaxMessage: int(attr.MaxMessageSize)}, nil
}

// mnsConfig are the SDK's error templates that mean the configuration is wrong; transport failures,
// 5xx and unknown codes are transient.
func mnsConfig() []errorTemplate {
	return []errorTemplate{
		&ali_mns.ERR_MNS_QUEUE_NOT_EXIST, &ali_mns.ERR_MNS_TOPIC_NOT_EXIST, &ali_mns.ERR_MNS_ACCESS_DENIED,
		&ali_mns.ERR_MNS_INVALID_ACCESS_KEY_ID, &ali_mns.ERR_MNS_SIGNATURE_DOES_NOT_MATCH,
		&ali_mns.ERR_MNS_INVALID_AUTHORIZATION_HEADER, &ali_mns.ERR_MNS_INVALID_QUEUE_NAME,
		&ali_mns.ERR_MNS_QUEUE_NAME_LENGTH_ERROR, &ali_mns.ERR_MNS_TOPIC_NAME_LENGTH_ERROR,
	}
}

type errorTemplate interface{ IsEqual(error) bool }

// classifyMNS maps an SDK error to a category by the SDK's own error identity. A context error
// (bounded gave up on the call) is returned as it is: the SDK takes no context, so it never
// wraps one itself.
func classifyMNS(op, name string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	for _, t := range mnsConfig() {
		if t.IsEqual(err) {
			return fmt.Errorf("%w: MNS %s %s: %w", handler.ErrConfig, op, name, err)
		}
	}
	if ali_mns.ERR_MNS_INVALID_ARGUMENT.IsEqual(err) {
		// Classified by what it says. MNS answers InvalidArgument for a body over the queue's or
		// topic's MaximumMessageSize as for an out-of-range delay or an over-long tag; only the
		// first is about this message's size (its documentation gives no separate code, so every
		// plausible wording of a size complaint is read as one).
		if (op == "SendMessage" || op == "PublishMessage") && mentionsSize(err.Error()) {
			return fmt.Errorf("%w: MNS %s %s: %w", handler.ErrTooLarge, op, name, err)
		}
		return fmt.Errorf("%w: MNS %s %s refused the request as invalid: %w", handler.ErrConfig, op, name, err)
	}
	return fmt.Errorf("%w: MNS %s %s: %w", handler.ErrTransient, op, name, err)
}

// bounded runs an idempotent SDK call and returns when it does or when ctx ends, whichever comes
// first. The MNS SDK takes no context, and its transport (fasthttp) retries an idempotent request
// that times out up to five times at the client's 35 s timeout: without this one receive or read
// of attributes could outrun a sweep's budget by minutes. An abandoned call finishes on its own;
// sends and publishes are never abandoned (a send that went through after all would start a second
// chain).
func bounded[T any](ctx context.Context, call func() (T, error)) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := call()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
