// Package handlertest sets up the cloud around the function on 127.0.0.1, as httptest does for a
// server: the MPS and MNS emulators on one injected clock, the queues and topics iprodwatch
// expects, a Config and credentials pointing at them, and the handler built on them. Handler tests,
// the end-to-end tests and the demo share it, so they all run the same wiring.
package handlertest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
	"iprodwatch/handler/cloud"
	"iprodwatch/handler/mnstest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/parse"
)

// Names and keys of the world.
const (
	Region      = "cn-shanghai"
	Account     = "1234567890123456"
	AccessKeyID = "LTAItestid"
	Secret      = "testsecret"
	CheckQueue  = "iprod-check"
	DLQQueue    = "iprod-dlq"
	EventTopic  = "iprod-events"
	IntakeTopic = "iprod-intake"
	// ServiceKeyID and ServiceSecret are the other pair both emulators accept: the cloud's own
	// services and the submitters around the function (EventBridge consuming the check queue, a
	// workflow submitting jobs) sign with it, so that the function's calls, signed with
	// AccessKeyID, can be told from theirs (CheckPolicy).
	ServiceKeyID  = "LTAIservice"
	ServiceSecret = "servicesecret"
)

// World is the emulated cloud.
type World struct {
	Clock  clock.Clock
	MPS    *mpstest.Server
	MNS    *mnstest.Server
	Config handler.Config
	Cred   cloud.Credentials
	// Wrap, when set, wraps the clients of every invocation of the handlers built afterwards (a
	// chaos test injects faults there).
	Wrap func(*handler.Clients) *handler.Clients

	virtual *virtual // one scheduler for every handler on a manual clock
}

// Options tune a World.
type Options struct {
	Clock clock.Clock // default: a manual clock at 2026-11-25T12:00:00Z
	// Retention of the check queue; default 7 days (longer than the default deadline).
	Retention time.Duration
	// MaxMessage is the check and dead-letter queues' MaximumMessageSize; default 64 KiB.
	MaxMessage int
	// Env overrides IPRODWATCH_* variables before the Config is loaded.
	Env map[string]string
	// MPS options, after the world's own (clock, account, region, credential).
	MPS []mpstest.Option
	// MNS options, after the world's own; e.g. mnstest.WithStrictOrder for a test about one
	// batch, which the service's loose batch filling would split.
	MNS []mnstest.Option
	// Notify, when set, decides how many copies of each MPS job notification reach the queue
	// (0 loses it); default 1.
	Notify func(body []byte) int
}

// New starts the emulators and creates the queues and topics. Close stops them.
func New(o Options) (*World, error) {
	if o.Clock == nil {
		o.Clock = clock.NewManual(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	}
	if o.Retention == 0 {
		o.Retention = 7 * 24 * time.Hour
	}
	w := &World{Clock: o.Clock, Cred: cloud.Credentials{AccessKeyID: AccessKeyID, AccessKeySecret: Secret}}
	if m, ok := o.Clock.(*clock.Manual); ok {
		w.virtual = newVirtual(m)
	}
	w.MNS = mnstest.NewServer(append([]mnstest.Option{mnstest.WithClock(o.Clock), mnstest.WithAccount(Account),
		mnstest.WithRegion(Region), mnstest.WithCredential(AccessKeyID, Secret), mnstest.WithCredential(ServiceKeyID, ServiceSecret)}, o.MNS...)...)
	notify := mpstest.NotifierFunc(func(_ context.Context, queue string, body []byte) error {
		copies := 1
		if o.Notify != nil {
			copies = o.Notify(body)
		}
		for range copies {
			if _, err := w.MNS.Send(queue, string(body), 0, 8); err != nil {
				return err
			}
		}
		return nil
	})
	mpsOpts := append([]mpstest.Option{mpstest.WithClock(o.Clock), mpstest.WithAccount(Account), mpstest.WithRegion(Region),
		mpstest.WithCredential(AccessKeyID, Secret), mpstest.WithCredential(ServiceKeyID, ServiceSecret), mpstest.WithNotifier(notify)}, o.MPS...)
	w.MPS = mpstest.NewServer(mpsOpts...)
	attrs := mnstest.DefaultQueueAttributes()
	attrs.MessageRetentionPeriod = int64(o.Retention / time.Second)
	if o.MaxMessage != 0 {
		attrs.MaximumMessageSize = int64(o.MaxMessage)
	}
	for _, q := range []string{CheckQueue, DLQQueue} {
		if err := w.MNS.CreateQueue(q, attrs); err != nil {
			w.Close()
			return nil, err
		}
	}
	for _, t := range []string{EventTopic, IntakeTopic} {
		if err := w.MNS.CreateTopic(t); err != nil {
			w.Close()
			return nil, err
		}
	}
	env := w.Env()
	for k, v := range o.Env {
		env[k] = v
	}
	cfg, err := handler.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		w.Close()
		return nil, err
	}
	w.Config = cfg
	return w, nil
}

// Env is the function's environment for this world: the IPRODWATCH_* variables and the
// ALIBABA_CLOUD_* credentials.
func (w *World) Env() map[string]string {
	return map[string]string{
		"IPRODWATCH_REGION":               Region,
		"IPRODWATCH_ACCOUNT_ID":           Account,
		"IPRODWATCH_MPS_ENDPOINT":         w.MPS.URL,
		"IPRODWATCH_MNS_ENDPOINT":         w.MNS.URL,
		"IPRODWATCH_CHECK_QUEUE":          CheckQueue,
		"IPRODWATCH_EVENT_TOPIC":          EventTopic,
		"IPRODWATCH_DLQ_QUEUE":            DLQQueue,
		"IPRODWATCH_INTAKE_TOPIC":         IntakeTopic,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": Secret,
	}
}

// Close stops the emulators.
func (w *World) Close() {
	if w.MPS != nil {
		w.MPS.Close()
	}
	if w.MNS != nil {
		w.MNS.Close()
	}
}

// Handler builds the function on this world: the real SDK adapters and the world's clock. On a
// manual clock the handler's waits go through a virtual-time scheduler (see virtual.go) instead of
// sleeping, so a day of checks runs in milliseconds with the query budget still honoured per second.
func (w *World) Handler(opts ...handler.Option) *handler.Handler {
	return w.HandlerFor(w.Config, opts...)
}

// HandlerFor is Handler with another configuration (a second check queue for pull mode, say).
// Every handler of a world on a manual clock shares one scheduler, as instances share time.
func (w *World) HandlerFor(cfg handler.Config, opts ...handler.Option) *handler.Handler {
	inner := cloud.Connector(cfg, cloud.WithCredentials(func(context.Context) (cloud.Credentials, error) { return w.Cred, nil }))
	connect := func(ctx context.Context) (*handler.Clients, error) {
		shared, err := inner(ctx)
		if err != nil {
			return nil, err
		}
		cl := &handler.Clients{Jobs: shared.Jobs, Queues: shared.Queues, Topics: shared.Topics} // wrap a copy: the connector reuses its clients
		if w.virtual != nil {
			cl.Jobs = virtualJobs{cl.Jobs, w.virtual}
		}
		if w.Wrap != nil {
			cl = w.Wrap(cl)
		}
		return cl, nil
	}
	base := []handler.Option{
		handler.WithClock(w.Clock),
	}
	if w.virtual != nil {
		// Waits move the manual clock; pauses between retries of a send cost nothing.
		base = append(base, handler.WithSleep(w.virtual.sleep),
			handler.WithPause(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	}
	return handler.New(cfg, connect, append(base, opts...)...)
}

// NotifyURL is the NotifyUrl that makes MPS notify the check queue (the fast path).
func (w *World) NotifyURL() string {
	return "mns://" + Account + ".mns." + Region + ".aliyuncs.com/queues/" + CheckQueue
}

// SendCheck puts a check request on the check queue, as a submitter does.
func (w *World) SendCheck(body string) error {
	_, err := w.MNS.Send(CheckQueue, body, 0, 8)
	return err
}

// Events decodes every event published to the event topic, in order, with its MessageTag.
func (w *World) Events() ([]Published, error) {
	var out []Published
	for _, m := range w.MNS.Published(EventTopic) {
		var e parse.Event
		if err := json.Unmarshal([]byte(m.Body), &e); err != nil {
			return nil, fmt.Errorf("event %s is not an event: %w", m.MessageID, err)
		}
		out = append(out, Published{Event: e, Tag: m.Tag, Body: m.Body})
	}
	return out, nil
}

// Published is one event as it went out.
type Published struct {
	Event parse.Event
	Tag   string
	Body  string
}

// DeadLetters lists the bodies in the dead-letter queue.
func (w *World) DeadLetters() []string {
	var out []string
	for _, m := range w.MNS.Messages(DLQQueue) {
		out = append(out, m.Body)
	}
	return out
}

// NextVisible is when the next delayed or in-flight message of the check queue becomes visible;
// ok is false when none is waiting.
func (w *World) NextVisible() (t time.Time, ok bool) {
	for _, m := range w.MNS.Messages(CheckQueue) {
		if m.State == mnstest.StateActive {
			return w.Clock.Now(), true
		}
		if !ok || m.NextVisibleTime.Before(t) {
			t, ok = m.NextVisibleTime, true
		}
	}
	return t, ok
}
