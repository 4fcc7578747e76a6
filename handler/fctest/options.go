package fctest

import (
	"io"
	"time"

	"iprodwatch/handler/clock"
)

// Option configures a Server.
type Option func(*config)

// Function is the function configuration FC would hold (s.yaml props): it fills the x-fc-function-*
// headers and the FC_FUNCTION_* variables.
type Function struct {
	Name     string
	Handler  string
	MemoryMB int
	// Timeout is the function timeout, whole seconds from 1 s to 86400 s.
	Timeout time.Duration
}

// Credentials are the STS credentials of the function's role, handed to the function per
// invocation (x-fc-access-key-id and friends) and at start (ALIBABA_CLOUD_*).
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

type config struct {
	clock        clock.Clock
	wall         clock.Clock
	seed         int64
	pollEvery    time.Duration
	region       string
	account      string
	function     Function
	creds        Credentials
	concurrency  int
	asyncRetries int
	output       io.Writer
}

func defaultConfig() config {
	return config{
		clock:     clock.Real{},
		wall:      clock.Real{},
		seed:      1,
		pollEvery: 5 * time.Millisecond,
		region:    "cn-shanghai",
		account:   "1234567890123456",
		function:  Function{Name: "iprodwatch", Handler: "main", MemoryMB: 512, Timeout: 60 * time.Second},
		creds: Credentials{
			AccessKeyID:     "STS.fctestaccesskeyid",
			AccessKeySecret: "fctestaccesskeysecret",
			SecurityToken:   "fctestsecuritytoken",
		},
		concurrency:  1,
		asyncRetries: 3,
	}
}

// WithClock sets the clock the emulator enforces timeouts with and stamps records with: an
// invocation released at t times out once this clock reads t + timeout. Default: the wall clock.
func WithClock(c clock.Clock) Option { return func(o *config) { o.clock = c } }

// WithWallClock sets the clock behind x-fc-function-deadline. It is separate from WithClock because
// the function compares that header with its own wall clock (ctx.Deadline), while tests move the
// enforcement clock at will. Default: the wall clock.
func WithWallClock(c clock.Clock) Option { return func(o *config) { o.wall = c } }

// WithSeed seeds the random source behind request and instance ids. Default 1.
func WithSeed(seed int64) Option { return func(o *config) { o.seed = seed } }

// WithPollInterval sets how often, in real time, the timeout monitor re-reads the injected clock.
// Wake checks at once. Default 5ms.
func WithPollInterval(d time.Duration) Option { return func(o *config) { o.pollEvery = d } }

// WithRegion sets x-fc-region and FC_REGION. Default "cn-shanghai".
func WithRegion(region string) Option { return func(o *config) { o.region = region } }

// WithAccount sets x-fc-account-id and FC_ACCOUNT_ID. Default "1234567890123456".
func WithAccount(id string) Option { return func(o *config) { o.account = id } }

// WithFunction sets the function configuration. Zero fields keep their defaults: "iprodwatch",
// handler "main", 512 MB, 60 s.
func WithFunction(f Function) Option {
	return func(o *config) {
		if f.Name != "" {
			o.function.Name = f.Name
		}
		if f.Handler != "" {
			o.function.Handler = f.Handler
		}
		if f.MemoryMB != 0 {
			o.function.MemoryMB = f.MemoryMB
		}
		if f.Timeout != 0 {
			o.function.Timeout = f.Timeout
		}
	}
}

// WithCredentials sets the role credentials handed out until SetCredentials changes them.
func WithCredentials(c Credentials) Option { return func(o *config) { o.creds = c } }

// WithInstanceConcurrency sets how many invocations one instance runs at once. Default 1, which is
// what a go1 function gets (instanceConcurrency applies to custom runtimes only).
func WithInstanceConcurrency(n int) Option { return func(o *config) { o.concurrency = max(n, 1) } }

// WithMaxAsyncRetryAttempts sets asyncInvokeConfig.maxAsyncRetryAttempts, 0 to 8. Default 3.
func WithMaxAsyncRetryAttempts(n int) Option {
	return func(o *config) { o.asyncRetries = min(max(n, 0), 8) }
}

// WithOutput copies every line the function writes (stdout and stderr) to w, for example a
// writer that calls t.Log.
func WithOutput(w io.Writer) Option { return func(o *config) { o.output = w } }
