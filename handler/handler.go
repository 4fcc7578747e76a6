package handler

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"iprodwatch/handler/clock"
	"iprodwatch/parse"
)

// Handler is the function. One Handler serves every invocation of an instance; it keeps no job
// state, only the instance's query budget.
type Handler struct {
	cfg     Config
	connect Connector
	clock   clock.Clock
	sleep   Sleeper
	pause   func(ctx context.Context, d time.Duration) error // between in-invocation retries of a send
	wall    func() time.Time                                 // real time, for budgets against the function timeout
	log     *slog.Logger
	observe func(Record)
	budget  *budget
	rules   Rules
	sizes   sizes
	chains  advanced

	salt uint64
}

// Option configures a Handler.
type Option func(*Handler)

// WithClock sets the clock of the policy, deadlines and the query budget (default: the wall clock).
func WithClock(c clock.Clock) Option { return func(h *Handler) { h.clock = c } }

// Sleeper waits for a query's turn: it takes the turn from grant (given the clock's now, grant
// returns the instant the query may go) and waits until then. Taking the turn inside the sleeper
// lets a virtual clock in tests read now and reserve the turn in one step, so no other waiter can
// move time past a turn already handed out.
type Sleeper func(ctx context.Context, grant func(now time.Time) time.Time) error

// WithSleep sets the Sleeper (default: a real timer on the handler's clock, right for the wall
// clock). Tests and the demo, on a manual clock, move it instead.
func WithSleep(fn Sleeper) Option { return func(h *Handler) { h.sleep = fn } }

// WithPause sets how the handler pauses between in-invocation retries of a failed send (default:
// a real timer). Tests on a manual clock skip the pause.
func WithPause(fn func(ctx context.Context, d time.Duration) error) Option {
	return func(h *Handler) { h.pause = fn }
}

// WithWallClock sets the real clock that time budgets are measured against (default time.Now).
func WithWallClock(fn func() time.Time) Option { return func(h *Handler) { h.wall = fn } }

// WithLogger sets the structured logger (default: JSON to standard error).
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithSalt salts the policy's jitter (default 0). Every instance of a deployment must use the
// same salt, so that copies of a check agree on their next slot (see Rules.schedule).
func WithSalt(salt uint64) Option { return func(h *Handler) { h.salt = salt } }

// WithObserver hands every decision record to fn as it is made, beside the log: the demo and the
// tests follow decisions with it instead of reading logs. fn is called from the invocation's
// goroutines at once, so it must be safe for concurrent use.
func WithObserver(fn func(Record)) Option { return func(h *Handler) { h.observe = fn } }

// New returns the function for cfg; connect builds each invocation's clients (cloud.Connector in
// production).
func New(cfg Config, connect Connector, opts ...Option) *Handler {
	h := &Handler{
		cfg:     cfg,
		connect: connect,
		clock:   clock.Real{},
		wall:    time.Now,
		pause:   clock.Sleep,
		log:     slog.New(slog.NewJSONHandler(os.Stderr, nil)),
	}
	h.sleep = func(ctx context.Context, grant func(time.Time) time.Time) error {
		now := h.clock.Now()
		return clock.Sleep(ctx, grant(now).Sub(now))
	}
	for _, o := range opts {
		o(h)
	}
	h.budget = newBudget(cfg.QPS, h.clock, h.sleep)
	h.rules = RulesOf(cfg, h.salt)
	return h
}

// Handle is the FC handler: the payload arrives as raw bytes (the SDK's event types are unsafe for
// real payloads) and the answer is a JSON summary of what was decided. It fails only when the
// trigger should deliver the payload again: a configuration fault, or a send that kept failing.
// No panic escapes it.
func (h *Handler) Handle(ctx context.Context, payload []byte) (json.RawMessage, error) {
	inv := h.newInvocation(ctx)
	err := inv.contained(func() error { return inv.handle(ctx, payload) })
	inv.finish(err)
	if err != nil {
		return nil, err
	}
	return inv.summary()
}

func (inv *invocation) handle(ctx context.Context, payload []byte) error {
	h := inv.h
	cl, err := h.connect(ctx)
	if err != nil {
		return err
	}
	tr, err := parse.DecodeTrigger(payload)
	if err != nil {
		inv.setTrigger("unknown")
		inv.useSizes(ctx, cl)
		return inv.carryOutPush(ctx, cl, parse.Message{Body: payload, Err: err}, Rejected(err))
	}
	inv.setTrigger(string(tr.Kind))
	if tr.Kind == parse.TriggerTimer {
		return inv.sweep(ctx, cl) // which reads the sizes within its budget
	}
	inv.useSizes(ctx, cl)
	return inv.push(ctx, cl, tr.Messages)
}

// requestID is the FC request id of the invocation, "" outside FC.
func requestID(ctx context.Context) string {
	if fc, ok := fccontext.FromContext(ctx); ok {
		return fc.RequestID
	}
	return ""
}
