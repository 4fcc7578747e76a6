package triggertest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"iprodwatch/handler/mnstest"
)

// NotifyContentFormat is the MNS topic trigger's notifyContentFormat.
type NotifyContentFormat string

const (
	// FormatJSON pushes one JSON object per message (section 3.2 of the trigger notes).
	FormatJSON NotifyContentFormat = "JSON"
	// FormatStream pushes the raw message body.
	FormatStream NotifyContentFormat = "STREAM"
)

// maxFilterTagLen is the topic trigger's filterTag limit.
const maxFilterTagLen = 16

// Publisher is where the topic push hears of published messages; *mnstest.Server is one.
type Publisher interface {
	OnPublish(topic string, fn func(mnstest.PublishedMessage)) (cancel func())
}

// TopicPush is an MNS topic subscription pushing to a function (the mns_topic trigger). It
// hears each message through the emulator's OnPublish hook, queues it, and delivers it from
// RunDue or Run, never inside the hook: the hook runs inside PublishMessage, and a function that
// publishes or sends to MNS would otherwise wait on itself.
type TopicPush struct {
	pendingQueue
	topic  string
	cancel func()
	seq    int // guarded by mu
}

// NewTopicPush subscribes fn to topic. Options: WithNotifyContentFormat, WithFilterTag,
// WithRetryStrategy (the notifyStrategy), WithSubscriptionName, WithAccount, WithTriggerName,
// WithClock, WithSeed, WithTick, WithConcurrency. Close unsubscribes.
func NewTopicPush(p Publisher, topic string, fn Func, opts ...Option) (*TopicPush, error) {
	cfg := defaultConfig("topicTrigger")
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.subscription == "" {
		cfg.subscription = cfg.triggerName
	}
	if cfg.format != FormatJSON && cfg.format != FormatStream {
		return nil, fmt.Errorf("%w: notifyContentFormat %q (want JSON or STREAM)", ErrInvalidConfig, cfg.format)
	}
	if utf8.RuneCountInString(cfg.filterTag) > maxFilterTagLen {
		return nil, fmt.Errorf("%w: filterTag %q longer than %d characters", ErrInvalidConfig, cfg.filterTag, maxFilterTagLen)
	}
	if topic == "" {
		return nil, fmt.Errorf("%w: empty topic name", ErrInvalidConfig)
	}
	pol, _ := cfg.retry.policy()
	t := &TopicPush{pendingQueue: pendingQueue{retries: pol.retries, delay: pol.delay}, topic: topic}
	if err := t.init(cfg, KindTopic, fn); err != nil {
		return nil, err
	}
	t.cancel = p.OnPublish(topic, t.published)
	return t, nil
}

// published is the OnPublish hook: filter, format, queue. It only takes t.mu, never the step
// lock, so it cannot wait on a running function.
func (t *TopicPush) published(m mnstest.PublishedMessage) {
	if t.cfg.filterTag != "" && m.Tag != t.cfg.filterTag {
		t.mu.Lock()
		t.stats.Filtered++
		t.mu.Unlock()
		return
	}
	payload := t.format(m)
	t.mu.Lock()
	t.seq++
	seq := t.seq
	t.mu.Unlock()
	t.add(&pending{seq: seq, payload: payload, ids: []string{m.MessageID}, due: t.cfg.clock.Now()})
}

// topicNotification is the JSON-format event, fields in the documented order.
type topicNotification struct {
	TopicOwner       string `json:"TopicOwner"`
	Message          string `json:"Message"`
	Subscriber       string `json:"Subscriber"`
	PublishTime      int64  `json:"PublishTime"` // epoch ms, an integer (not the SDK event type's time.Time)
	SubscriptionName string `json:"SubscriptionName"`
	MessageMD5       string `json:"MessageMD5"`
	TopicName        string `json:"TopicName"`
	MessageID        string `json:"MessageId"`
}

func (t *TopicPush) format(m mnstest.PublishedMessage) []byte {
	if t.cfg.format == FormatStream {
		return []byte(m.Body)
	}
	sum := md5.Sum([]byte(m.Body))
	return marshalCompact(topicNotification{
		TopicOwner: t.cfg.account, Message: m.Body, Subscriber: t.cfg.account,
		PublishTime: m.PublishTime.UnixMilli(), SubscriptionName: t.cfg.subscription,
		MessageMD5: strings.ToUpper(hex.EncodeToString(sum[:])), TopicName: t.topic, MessageID: m.MessageID,
	})
}

// RunDue delivers every queued message and retry due at the injected now and returns the
// invocations made. Failed pushes are retried per the notifyStrategy, then dropped.
func (t *TopicPush) RunDue(ctx context.Context) (int, error) {
	t.step.Lock()
	defer t.step.Unlock()
	return t.deliverDue(ctx), nil
}

// Run calls RunDue on every real tick and as soon as a message is published, until ctx ends;
// it returns ctx.Err().
func (t *TopicPush) Run(ctx context.Context) error { return t.run(ctx, t.RunDue) }

// Close removes the subscription; queued messages stay deliverable by RunDue.
func (t *TopicPush) Close() { t.cancel() }
