package triggertest

import (
	"errors"
	"fmt"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"iprodwatch/handler/clock"
)

// ErrInvalidConfig is wrapped by every constructor error caused by an option or argument the
// cloud would refuse (a window out of range, an unknown strategy, a bad cron expression).
var ErrInvalidConfig = errors.New("triggertest: invalid trigger configuration")

// Option configures a bridge. One Option type serves all three bridges; each option's comment
// names the bridges that read it, and the others ignore it.
type Option func(*config)

type config struct {
	clock       clock.Clock
	seed        int64
	tick        time.Duration
	concurrency int

	functionName string
	triggerName  string
	region       string
	account      string

	// EventBridge MNS-queue source.
	mode          Mode
	base64Decode  bool
	schema        EventSchema
	countWindow   int
	timeWindow    time.Duration
	tolerance     ErrorsTolerance
	dlq           ali_mns.AliMNSQueue
	publishAddr   string
	retry         RetryStrategy
	maxAsyncRetry int
	filterTag     string
	format        NotifyContentFormat
	subscription  string
}

func defaultConfig(trigger string) config {
	return config{
		clock:        clock.Real{},
		seed:         1,
		tick:         10 * time.Millisecond,
		concurrency:  1,
		functionName: "iprodwatch",
		triggerName:  trigger,
		region:       "cn-hangzhou",
		account:      "1234567890123456",
		mode:         EventStreaming,
		base64Decode: true,
		schema:       CloudEvents,
		countWindow:  1,
		tolerance:    ToleranceNone,
		publishAddr:  "127.0.0.1",
		retry:        BackoffRetry,
		// FC's asyncInvokeConfig.maxAsyncRetryAttempts default.
		maxAsyncRetry: 3,
		format:        FormatStream, // the FC 3.0 API's default (MNSTopicTriggerConfig)
	}
}

// WithClock sets the injected clock every schedule, window and retry reads (all bridges).
// Default: the wall clock.
func WithClock(c clock.Clock) Option { return func(o *config) { o.clock = c } }

// WithSeed seeds the random source behind event ids, request ids and retry jitter, so a run can
// be replayed (all bridges). Default 1.
func WithSeed(seed int64) Option { return func(o *config) { o.seed = seed } }

// WithTick sets how often, in real time, Run re-reads the injected clock and polls (all
// bridges). Default 10ms.
func WithTick(d time.Duration) Option { return func(o *config) { o.tick = d } }

// WithConcurrency lets a bridge run up to n invocations at once (all bridges). Default 1: one
// invocation at a time, as with reservedConcurrency 1. For the queue source n is the number of
// batches in flight, so with n > 1 batches may finish out of order.
func WithConcurrency(n int) Option { return func(o *config) { o.concurrency = n } }

// WithFunctionName names the function (queue source: source "MNS-<function>-<trigger>").
// Default "iprodwatch".
func WithFunctionName(name string) Option { return func(o *config) { o.functionName = name } }

// WithTriggerName names the trigger (all bridges). Defaults: "queueTrigger", "topicTrigger",
// "timerTrigger".
func WithTriggerName(name string) Option { return func(o *config) { o.triggerName = name } }

// WithRegion sets the region written into events (queue source subject and aliyunregionid).
// Default "cn-hangzhou", as mnstest.
func WithRegion(region string) Option { return func(o *config) { o.region = region } }

// WithAccount sets the account id written into events (queue source aliyun*accountid and
// subject; topic push TopicOwner and Subscriber). Default "1234567890123456", as mnstest.
func WithAccount(id string) Option { return func(o *config) { o.account = id } }

// WithMode selects event-streaming (a JSON array per batch, the default: what FC creates for
// MNS queue triggers) or event-driven (one object per message, no batching) (queue source).
func WithMode(m Mode) Option { return func(o *config) { o.mode = m } }

// WithBase64Decode is sourceMNSParameters.IsBase64Decode (queue source). Default true, as in
// the cloud: bodies are base64-decoded before delivery (a body that is not valid base64 is
// delivered unchanged and counted in Stats.DecodeFailures). iprodwatch's producers send plain
// JSON and configure false: the body arrives exactly as sent.
func WithBase64Decode(on bool) Option { return func(o *config) { o.base64Decode = on } }

// WithEventSchema is eventSinkConfig.deliveryOption.eventSchema (queue source): CloudEvents
// (default) or RawData (only each event's data object).
func WithEventSchema(s EventSchema) Option { return func(o *config) { o.schema = s } }

// WithBatchWindow is runOptions.batchWindow (queue source, event-streaming only): a batch is
// pushed when count messages are buffered (CountBasedWindow, 1–10000) or window has passed on
// the injected clock since the first buffered message (TimeBasedWindow, 0–15 s, whole
// seconds), whichever comes first. Default 1 and 0: every message is pushed at once.
func WithBatchWindow(count int, window time.Duration) Option {
	return func(o *config) { o.countWindow, o.timeWindow = count, window }
}

// WithRetryStrategy is runOptions.retryStrategy.PushRetryStrategy (queue source) or the
// subscription's notifyStrategy (topic push). Default BackoffRetry.
func WithRetryStrategy(s RetryStrategy) Option {
	return func(o *config) { o.retry = s }
}

// WithErrorsTolerance is runOptions.errorsTolerance (queue source). Default ToleranceNone, the
// cloud's default: a batch that exhausts its retries blocks the stream.
func WithErrorsTolerance(t ErrorsTolerance) Option { return func(o *config) { o.tolerance = t } }

// WithDeadLetterQueue is runOptions.deadLetterQueue (queue source): with ToleranceAll, the
// events of a batch that exhausted its retries are sent there, one CloudEvent object per MNS
// message, through the SDK. Without it they are dropped.
func WithDeadLetterQueue(q ali_mns.AliMNSQueue) Option { return func(o *config) { o.dlq = q } }

// WithPublishAddr sets aliyunpublishaddr (queue source). Default "127.0.0.1".
func WithPublishAddr(addr string) Option { return func(o *config) { o.publishAddr = addr } }

// WithNotifyContentFormat is the topic trigger's notifyContentFormat (topic push): FormatJSON or
// FormatStream (the default, as in the FC 3.0 API's MNSTopicTriggerConfig: "The default format is
// STREAM").
func WithNotifyContentFormat(f NotifyContentFormat) Option {
	return func(o *config) { o.format = f }
}

// WithFilterTag is the topic trigger's filterTag (topic push, at most 16 characters): only
// messages published with exactly this tag are pushed. Default "": every message.
func WithFilterTag(tag string) Option { return func(o *config) { o.filterTag = tag } }

// WithSubscriptionName sets SubscriptionName in JSON notifications (topic push). Default: the
// trigger name.
func WithSubscriptionName(name string) Option { return func(o *config) { o.subscription = name } }

// WithMaxAsyncRetryAttempts is asyncInvokeConfig.maxAsyncRetryAttempts (timer), 0–8. Default 3.
func WithMaxAsyncRetryAttempts(n int) Option { return func(o *config) { o.maxAsyncRetry = n } }

func (c *config) validateCommon() error {
	if c.clock == nil {
		return fmt.Errorf("%w: nil clock", ErrInvalidConfig)
	}
	if c.tick <= 0 {
		return fmt.Errorf("%w: tick %v must be positive", ErrInvalidConfig, c.tick)
	}
	if c.concurrency < 1 {
		return fmt.Errorf("%w: concurrency %d must be at least 1", ErrInvalidConfig, c.concurrency)
	}
	if c.triggerName == "" {
		return fmt.Errorf("%w: empty trigger name", ErrInvalidConfig)
	}
	if _, ok := c.retry.policy(); !ok {
		return fmt.Errorf("%w: retry strategy %q", ErrInvalidConfig, c.retry)
	}
	return nil
}
