package mnstest

import (
	"time"

	"iprodwatch/handler/clock"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	clock        clock.Clock
	wall         clock.Clock
	account      string
	region       string
	creds        []Credential
	seed         int64
	maxRealWait  time.Duration
	pollEvery    time.Duration
	maxSkew      time.Duration
	strictOrder  bool
	throttle     Throttle
	pushLatency  time.Duration
	maxLongPolls int
}

func defaultConfig() config {
	return config{
		clock:        clock.Real{},
		wall:         clock.Real{},
		account:      "1234567890123456",
		region:       "cn-hangzhou",
		seed:         1,
		pollEvery:    5 * time.Millisecond,
		maxSkew:      15 * time.Minute,
		maxLongPolls: defaultMaxLongPolls,
	}
}

// WithClock sets the clock every delivery behaviour reads: delays, visibility timeouts,
// retention, long-poll deadlines, message timestamps. Default: the wall clock.
func WithClock(c clock.Clock) Option { return func(o *config) { o.clock = c } }

// WithWallClock sets the clock the request Date header is checked against (15 minutes of skew
// allowed, as in the cloud). It is separate from WithClock because the SDK stamps requests with
// time.Now while tests move the delivery clock by days. Default: the wall clock.
func WithWallClock(c clock.Clock) Option { return func(o *config) { o.wall = c } }

// WithAccount sets the account id (TopicOwner, Subscriber, ClientEndpoint). Any Host header is
// accepted; the account always comes from here. Default "1234567890123456".
func WithAccount(id string) Option { return func(o *config) { o.account = id } }

// WithRegion sets the region used by ClientEndpoint and queue endpoints. Default "cn-hangzhou".
func WithRegion(region string) Option { return func(o *config) { o.region = region } }

// WithCredential registers an AccessKey pair of the account. Requests signed with any other
// pair are refused, as the cloud refuses them.
func WithCredential(id, secret string) Option {
	return func(o *config) { o.creds = append(o.creds, Credential{ID: id, Secret: secret}) }
}

// WithSTSCredential registers a temporary AccessKey pair: requests signed with it must also carry
// the security-token header with token.
func WithSTSCredential(id, secret, token string) Option {
	return func(o *config) { o.creds = append(o.creds, Credential{ID: id, Secret: secret, Token: token}) }
}

// WithSTSCredentialExpiring registers a temporary AccessKey pair that the server refuses from
// expires on (wall clock), as the cloud refuses an STS token past its Expiration.
func WithSTSCredentialExpiring(id, secret, token string, expires time.Time) Option {
	return func(o *config) {
		o.creds = append(o.creds, Credential{ID: id, Secret: secret, Token: token, Expires: expires})
	}
}

// WithStrictOrder makes delivery deterministic: priority, then the time a message became
// visible, then send order, and every batch as full as the queue allows. The default is the
// service's looser order and fill (order.go), seeded by WithSeed.
func WithStrictOrder() Option { return func(o *config) { o.strictOrder = true } }

// defaultMaxLongPolls is the cap on long polls parked on one queue. The service sets its cap
// dynamically (by the number of polls, their waits and the client IPs) and publishes no number;
// this one is a guess that no reasonable consumer reaches.
const defaultMaxLongPolls = 1000

// WithMaxLongPolls caps the long polls parked on one queue at once: a receive over the cap on an
// empty queue answers MessageNotExist at once instead of waiting, as the service's does. n <= 0:
// no cap.
func WithMaxLongPolls(n int) Option { return func(o *config) { o.maxLongPolls = n } }

// WithSeed seeds the random source behind ids, receipt handles and probabilistic faults, so a
// run can be replayed. Default 1.
func WithSeed(seed int64) Option { return func(o *config) { o.seed = seed } }

// WithMaxRealWait bounds how long, in real time, one long poll may hold a request. A long poll
// ends at whichever comes first: waitseconds of injected time, or min(waitseconds, this bound) of
// real time. Default 0: no extra bound, so with the wall clock a poll lasts waitseconds as in the
// cloud; tests on a manual clock set a small bound or advance the clock.
func WithMaxRealWait(d time.Duration) Option { return func(o *config) { o.maxRealWait = d } }

// WithPollInterval sets how often, in real time, a parked long poll re-reads the injected clock
// (for clocks that move by themselves, such as clock.Scaled). Advance and every state change wake
// polls at once regardless. Default 5ms.
func WithPollInterval(d time.Duration) Option { return func(o *config) { o.pollEvery = d } }
