package mpstest

import (
	"time"

	"iprodwatch/handler/clock"
)

// Option configures a Server.
type Option func(*config)

// UnknownJobAnswer picks how QueryIProductionJob answers for a job id the account does not have.
type UnknownJobAnswer int

const (
	// UnknownJobEmpty answers 200 with only RequestId and JobId, the shape the project's parse
	// issue reports for jobs the account cannot see (the default).
	UnknownJobEmpty UnknownJobAnswer = iota
	// UnknownJobNotFound answers 400 InvalidParameter.JobNotFound, the IMS sibling API's code.
	UnknownJobNotFound
)

type credential struct {
	id, secret, token string
	expires           time.Time
}

type config struct {
	clock         clock.Clock
	wall          clock.Clock
	account       string
	region        string
	addr          string
	seed          int64
	qps           map[string]int
	creds         []credential
	notifier      Notifier
	notifyFormat  NotificationFormat
	defaultScript func(SubmitParams) Script
	unknownJob    UnknownJobAnswer
	resultForm    ResultForm
	lazyDelivery  bool
}

func defaultConfig() config {
	return config{
		clock:   clock.Real{},
		wall:    clock.Real{},
		account: "1234567890123456",
		region:  "cn-shanghai",
		addr:    "127.0.0.1:0",
		seed:    1,
		// QueryIProductionJob and SubmitIProductionJob: 100 calls/s per account (API pages).
		qps:           map[string]int{ActionQuery: 100, ActionSubmit: 100},
		defaultScript: DefaultScript,
		lazyDelivery:  true,
	}
}

// WithClock sets the clock that drives job lifecycles, the quota's seconds and notifications.
func WithClock(c clock.Clock) Option { return func(cf *config) { cf.clock = c } }

// WithWallClock sets the clock request Timestamps, nonce memory and STS expiry are judged by
// (the cloud uses real time for them, so tests of skew inject it separately).
func WithWallClock(c clock.Clock) Option { return func(cf *config) { cf.wall = c } }

// WithAccount sets the emulated account id (default 1234567890123456).
func WithAccount(id string) Option { return func(cf *config) { cf.account = id } }

// WithRegion sets the region named in HostId (default cn-shanghai).
func WithRegion(region string) Option { return func(cf *config) { cf.region = region } }

// WithCredential registers a long-term AccessKey pair of the account.
func WithCredential(id, secret string) Option {
	return func(cf *config) { cf.creds = append(cf.creds, credential{id: id, secret: secret}) }
}

// WithSTSCredential registers STS credentials; zero expires never expires.
func WithSTSCredential(id, secret, token string, expires time.Time) Option {
	return func(cf *config) {
		cf.creds = append(cf.creds, credential{id: id, secret: secret, token: token, expires: expires})
	}
}

// WithAddr listens on addr instead of 127.0.0.1:0 (for `iprodwatch emulate`).
func WithAddr(addr string) Option { return func(cf *config) { cf.addr = addr } }

// WithSeed seeds the source of job ids, request ids and probabilistic faults (default 1).
func WithSeed(seed int64) Option { return func(cf *config) { cf.seed = seed } }

// WithQPS sets the per-account quota of action per injected-clock second; 0 removes it.
func WithQPS(action string, n int) Option { return func(cf *config) { cf.qps[action] = n } }

// WithNotifier sets where job notifications go (default: recorded only).
func WithNotifier(n Notifier) Option { return func(cf *config) { cf.notifier = n } }

// WithNotificationFormat picks the notification body (default CallbackFormat).
func WithNotificationFormat(f NotificationFormat) Option {
	return func(cf *config) { cf.notifyFormat = f }
}

// WithDefaultScript sets the lifecycle of jobs created through SubmitIProductionJob.
func WithDefaultScript(fn func(SubmitParams) Script) Option {
	return func(cf *config) { cf.defaultScript = fn }
}

// WithUnknownJob picks the answer for an unknown job id (default UnknownJobEmpty).
func WithUnknownJob(a UnknownJobAnswer) Option { return func(cf *config) { cf.unknownJob = a } }

// ResultForm is how QueryIProductionJob carries a finished job's Result.
type ResultForm int

// The forms the documentation and the SDK show.
const (
	// ResultString is the envelope as a JSON string (double encoded), as the SDK's response type
	// (a string field) and the notes' probe show; the default.
	ResultString ResultForm = iota
	// ResultObject is the envelope as a JSON object, as the API reference page's own example
	// shows. The SDK cannot decode it into its typed response; a client reading the raw body can.
	ResultObject
)

// WithResultForm picks the form of Result in QueryIProductionJob answers (default ResultString).
func WithResultForm(f ResultForm) Option { return func(cf *config) { cf.resultForm = f } }

// WithLazyDelivery turns off (or on) delivering due notifications at the start of each request;
// DeliverDue and RunDelivery work either way.
func WithLazyDelivery(on bool) Option { return func(cf *config) { cf.lazyDelivery = on } }
