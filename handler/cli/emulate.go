//go:build !iprodwatch.nodev

package cli

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
	"iprodwatch/handler/mnstest"
	"iprodwatch/handler/mpstest"
)

// The fixed local AccessKey pair of `iprodwatch emulate`: the emulators accept nothing else, and it
// is printed at start so any client can sign with it.
const (
	LocalAccessKeyID     = "LTAIiprodwatchLocal"
	LocalAccessKeySecret = "iprodwatch-local-secret"
)

const emulateUsage = `Usage: iprodwatch emulate [-mps ADDR] [-mns ADDR] [-account ID] [-region R] [-speed N] [-seed N]
                          [-check-queue Q] [-dlq Q] [-event-topic T] [-intake-topic T]

Runs the MPS and MNS emulators as real servers for local development, until interrupted (Ctrl-C).
It prints, as export lines, what a client and the function need; then it logs each request on one
line to standard error. Queues and topics are created through the MNS API; jobs through
SubmitIProductionJob, and a job submitted with a NotifyUrl naming an MNS queue of this emulator
gets its notification there when it ends.

Flags:
  -mps ADDR     MPS RPC API listen address (default 127.0.0.1:18180)
  -mns ADDR     MNS REST API listen address (default 127.0.0.1:18181)
  -account ID   account id the emulators answer for (default 1234567890123456)
  -region R     region (default cn-shanghai)
  -speed N      run job lifecycles, delays and visibility timeouts N times faster than the wall clock (default 1)
  -check-queue Q, -dlq Q, -event-topic T, -intake-topic T
                the function's queues and topics, created at start and printed (default s.yaml's:
                iprod-check, iprod-check-dlq, iprod-events, iprod-intake)
  -seed N       the seed of job, request and message ids and of the MNS delivery order; by default each
                start draws its own (printed), so ids, and the event ids built from them, never repeat
                across restarts; -seed N replays a run

Exit codes:
  0  stopped by an interrupt
  1  could not listen
  2  usage error
`

func emulateCommand() command {
	c := command{
		name:    "emulate",
		summary: "run the MPS and MNS emulators on 127.0.0.1 for local development",
		usage:   emulateUsage,
	}
	c.run = func(ctx context.Context, env Env, args []string) int { return runEmulate(ctx, env, &c, args) }
	return c
}

func runEmulate(ctx context.Context, env Env, c *command, args []string) int {
	fs := newFlagSet(c.name)
	mpsAddr := fs.String("mps", "127.0.0.1:18180", "")
	mnsAddr := fs.String("mns", "127.0.0.1:18181", "")
	account := fs.String("account", "1234567890123456", "")
	region := fs.String("region", "cn-shanghai", "")
	speed := fs.Float64("speed", 1, "")
	seed := fs.Int64("seed", 0, "")
	checkQueue := fs.String("check-queue", "iprod-check", "")
	dlq := fs.String("dlq", "iprod-check-dlq", "")
	eventTopic := fs.String("event-topic", "iprod-events", "")
	intakeTopic := fs.String("intake-topic", "iprod-intake", "")
	if err := parseFlags(fs, args); err != nil {
		return usageError(env, c, err)
	}
	switch {
	case *account == "" || !sourceAccount(*account):
		return usageError(env, c, fmt.Errorf("-account %q: want the numeric account id", *account))
	case *region == "" || !sourceRegion(*region):
		return usageError(env, c, fmt.Errorf("-region %q: want lower-case letters, digits and -, e.g. cn-shanghai", *region))
	case *speed <= 0:
		return usageError(env, c, fmt.Errorf("-speed %v: want a positive factor", *speed))
	}
	if *seed == 0 {
		*seed = drawSeed()
	}
	var clk clock.Clock = clock.Real{}
	if *speed != 1 {
		clk = clock.NewScaled(env.Now(), *speed)
	}
	mnsLn, err := net.Listen("tcp", *mnsAddr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "iprodwatch emulate: MNS: %v\n", err)
		return 1
	}
	mpsLn, err := net.Listen("tcp", *mpsAddr)
	if err != nil {
		mnsLn.Close()
		fmt.Fprintf(env.Stderr, "iprodwatch emulate: MPS: %v\n", err)
		return 1
	}
	mns := mnstest.NewServer(mnstest.WithClock(clk), mnstest.WithAccount(*account), mnstest.WithRegion(*region),
		mnstest.WithCredential(LocalAccessKeyID, LocalAccessKeySecret), mnstest.WithSeed(*seed))
	defer mns.Close()
	// The function's queues and topics, as s.yaml names them, with what iprodwatch setup creates
	// them with: setup run against the emulator finds them matching.
	cfg, err := handler.LoadConfig(func(name string) string {
		return map[string]string{"IPRODWATCH_REGION": *region, "IPRODWATCH_ACCOUNT_ID": *account, "IPRODWATCH_CHECK_QUEUE": *checkQueue,
			"IPRODWATCH_DLQ_QUEUE": *dlq, "IPRODWATCH_EVENT_TOPIC": *eventTopic, "IPRODWATCH_INTAKE_TOPIC": *intakeTopic}[name]
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "iprodwatch emulate: %v\n", err)
		return ExitUsage
	}
	for _, r := range resources(cfg) {
		if r.queue {
			a := r.createQueue
			err = mns.CreateQueue(r.Name, mnstest.QueueAttributes{DelaySeconds: int64(a.DelaySeconds), MaximumMessageSize: int64(a.MaxMessageSize),
				MessageRetentionPeriod: int64(a.RetentionSeconds), VisibilityTimeout: int64(a.VisibilitySeconds), PollingWaitSeconds: int64(a.PollingWaitSeconds)})
		} else {
			err = mns.CreateTopic(r.Name)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "iprodwatch emulate: %s %q: %v\n", r.Kind, r.Name, err)
			return ExitUsage
		}
	}
	// MPS announces ended jobs on the MNS emulator's queues, as the cloud does for a NotifyUrl.
	notify := mpstest.NotifierFunc(func(_ context.Context, queue string, body []byte) error {
		_, err := mns.Send(queue, string(body), 0, 8)
		return err
	})
	mps := mpstest.NewServer(mpstest.WithClock(clk), mpstest.WithAccount(*account), mpstest.WithRegion(*region),
		mpstest.WithCredential(LocalAccessKeyID, LocalAccessKeySecret), mpstest.WithNotifier(notify), mpstest.WithSeed(*seed))
	defer mps.Close()

	log := &lineLog{w: env.Stderr}
	servers := []*http.Server{
		{Handler: logRequests("mps", mps.Handler(), log, env.Now)},
		{Handler: logRequests("mns", mns.Handler(), log, env.Now)},
	}
	listeners := []net.Listener{mpsLn, mnsLn}
	for i, s := range servers {
		go s.Serve(listeners[i]) //nolint:errcheck // Serve returns ErrServerClosed at shutdown
	}
	delivery, stopDelivery := context.WithCancel(ctx)
	deliveryDone := make(chan struct{})
	go func() {
		defer close(deliveryDone)
		_ = mps.RunDelivery(delivery, 200*time.Millisecond)
	}()

	fmt.Fprintf(env.Stdout, "# iprodwatch emulate: MPS and MNS for account %s in %s; Ctrl-C stops.\n", *account, *region)
	fmt.Fprintf(env.Stdout, "# AccessKey pair accepted: %s / %s\n", LocalAccessKeyID, LocalAccessKeySecret)
	fmt.Fprintf(env.Stdout, "# seed %d (-seed %d replays this run's ids)\n", *seed, *seed)
	for _, kv := range [][2]string{
		{"IPRODWATCH_MPS_ENDPOINT", "http://" + mpsLn.Addr().String()},
		{"IPRODWATCH_MNS_ENDPOINT", "http://" + mnsLn.Addr().String()},
		{"IPRODWATCH_REGION", *region},
		{"IPRODWATCH_ACCOUNT_ID", *account},
		{"ALIBABA_CLOUD_ACCESS_KEY_ID", LocalAccessKeyID},
		{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", LocalAccessKeySecret},
		{"IPRODWATCH_CHECK_QUEUE", *checkQueue},
		{"IPRODWATCH_DLQ_QUEUE", *dlq},
		{"IPRODWATCH_EVENT_TOPIC", *eventTopic},
		{"IPRODWATCH_INTAKE_TOPIC", *intakeTopic},
	} {
		fmt.Fprintf(env.Stdout, "export %s=%s\n", kv[0], kv[1])
	}

	<-ctx.Done()
	stopDelivery()
	<-deliveryDone
	mns.Close() // ends parked long polls, so Shutdown need not wait for them
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(shutdown)
	}
	fmt.Fprintln(env.Stderr, "iprodwatch emulate: stopped")
	return ExitOK
}

// drawSeed is a fresh non-zero seed per start, from the system's random source.
func drawSeed() int64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return time.Now().UnixNano() // rand.Read does not fail on the systems Go supports
	}
	return int64(binary.BigEndian.Uint64(b[:])>>1) | 1
}

// lineLog serialises request lines from concurrent handlers.
type lineLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}

// logRequests writes one line per request: emulator, method, path with its query (signature and
// token redacted), status and duration.
func logRequests(name string, h http.Handler, log *lineLog, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			log.printf("%s %s %s %s %d %s\n", start.UTC().Format(time.RFC3339), name, r.Method,
				redact(r.URL), rec.status, now().Sub(start).Round(time.Millisecond))
		}()
		h.ServeHTTP(rec, r)
	})
}

// redact hides the query parameters a log line never shows.
func redact(u *url.URL) string {
	q := u.Query()
	for _, k := range []string{"Signature", "SecurityToken", "security-token"} {
		if q.Has(k) {
			q.Set(k, "REDACTED")
		}
	}
	if len(q) == 0 {
		return u.EscapedPath()
	}
	return u.EscapedPath() + "?" + q.Encode()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush and Unwrap keep long polls and http.ResponseController working through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
