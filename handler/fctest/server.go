package fctest

import (
	"fmt"
	mathrand "math/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"iprodwatch/handler/clock"
)

// Server is an FC runtime API on 127.0.0.1 plus the instance manager and the invoker.
type Server struct {
	// URL is "http://127.0.0.1:PORT".
	URL string

	srv   *httptest.Server
	cfg   config
	clock clock.Clock
	done  chan struct{} // closed by Close: ends parked /next calls and async drivers
	wake  chan struct{} // nudges the timeout monitor
	once  sync.Once
	wg    sync.WaitGroup // background goroutines Close waits for

	procMu sync.Mutex // serialises starting and killing processes

	outMu sync.Mutex
	lines []instLine

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every state change: wakes /next waiters
	closing   bool
	rng       *mathrand.Rand
	seq       int64
	creds     Credentials
	queue     []*invocation
	running   map[string]*invocation // by request id
	latest    map[string]*invocation // last attempt per request id, for /response and /error
	records   []*invocation
	counters  Counters
	events    []Event
	instances []*Instance
	current   *Instance // the instance /next waiters belong to; nil before Start
	spec      *startSpec
	stopped   bool // the Start context ended: no process, no restarts
	initErr   error
}

// NewServer starts the runtime API on 127.0.0.1:0. No function runs until Start. Close it when
// done: Close kills the function process before it closes the listener.
func NewServer(opts ...Option) *Server {
	s := newServer(opts...)
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	return s
}

func newServer(opts ...Option) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		cfg:     cfg,
		clock:   cfg.clock,
		done:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
		changed: make(chan struct{}),
		rng:     mathrand.New(mathrand.NewSource(cfg.seed)),
		creds:   cfg.creds,
		running: map[string]*invocation{},
		latest:  map[string]*invocation{},
	}
	s.wg.Add(1)
	go s.monitor()
	return s
}

// Handler returns the runtime API as an http.Handler, for mounting elsewhere (as URL serves
// it). Processes started by Start always get a listener of their own.
func (s *Server) Handler() http.Handler { return s }

// Addr is "127.0.0.1:PORT" of URL. A process started by Start gets its own listener instead
// (Instance.Addr), as each FC instance has its own runtime API.
func (s *Server) Addr() string { return strings.TrimPrefix(s.URL, "http://") }

// Close kills the function process, fails whatever is still queued, then closes the listeners. The
// order matters: the SDK retries a failed /next at once with no back-off, so a process that
// outlived the listener would spin at full CPU.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		s.procMu.Lock()
		s.mu.Lock()
		inst := s.current
		s.mu.Unlock()
		if inst != nil {
			s.killLocked(inst)
		}
		s.procMu.Unlock()
		s.mu.Lock()
		for _, inv := range s.queue {
			s.finishLocked(inv, OutcomeCanceled, nil, "", "server closed")
		}
		s.queue = nil
		s.broadcastLocked()
		s.mu.Unlock()
		close(s.done)
		s.wg.Wait()
		s.event(EventListenerClosed, nil, "")
		if s.srv != nil {
			s.srv.Close()
		}
	})
}

// SetCredentials changes the credentials handed to later invocations (as FC refreshes the role's
// STS token); InvokeOptions.Credentials overrides them per call.
func (s *Server) SetCredentials(c Credentials) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creds = c
}

// Counters returns a snapshot of the traffic counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counters
}

// Events returns the lifecycle log in order.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// Records returns every invocation attempt in the order they were queued.
func (s *Server) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, 0, len(s.records))
	for _, inv := range s.records {
		out = append(out, inv.recordLocked())
	}
	return out
}

// Wake makes the timeout monitor re-read the clock now, for tests that just advanced a manual
// clock.
func (s *Server) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Server) event(kind EventKind, inst *Instance, detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventLocked(kind, inst, detail)
}

func (s *Server) eventLocked(kind EventKind, inst *Instance, detail string) {
	e := Event{Kind: kind, Instance: -1, Detail: detail}
	if inst != nil {
		e.Instance, e.PID = inst.index, inst.PID()
	}
	s.events = append(s.events, e)
}

// broadcastLocked wakes every parked /next call and invoker.
func (s *Server) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// newRequestID returns an FC 3.0 style id, 1-<8 hex>-<24 hex>: the first part is the injected
// clock's Unix seconds (as the cloud's ids read), the rest comes from the seeded source.
func (s *Server) newRequestIDLocked() string {
	return fmt.Sprintf("1-%08x-%012x%012x", uint32(s.clock.Now().Unix()), s.rng.Int63()&0xffffffffffff, s.rng.Int63()&0xffffffffffff)
}

// newInstanceIDLocked returns an FC_INSTANCE_ID; the real format is not documented (inferred).
func (s *Server) newInstanceIDLocked() string {
	return fmt.Sprintf("c-%08x-%012x%012x", uint32(s.clock.Now().Unix()), s.rng.Int63()&0xffffffffffff, s.rng.Int63()&0xffffffffffff)
}
