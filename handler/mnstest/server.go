package mnstest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	mathrand "math/rand"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"iprodwatch/handler/clock"
)

// maxRequestBody bounds what the emulator reads of a request; larger requests are refused before
// any parsing (the cloud's own 64 KiB checks apply to the decoded message bodies).
const maxRequestBody = 1 << 20

// Server is an MNS endpoint on 127.0.0.1 with a test API beside the wire API.
type Server struct {
	// URL is the base URL of the listener, "http://127.0.0.1:PORT".
	URL string

	srv   *httptest.Server
	cfg   config
	clock clock.Clock
	done  chan struct{}
	once  sync.Once

	mu            sync.Mutex
	creds         map[string]Credential
	queues        map[string]*queue
	topics        map[string]*topic
	rng           *mathrand.Rand
	order         *mathrand.Rand // delivery order and push retry jitter, apart from rng so faults replay alike
	seq           uint64
	calls         map[Op]int
	records       []Call
	faults        faultTable
	changed       chan struct{} // closed and replaced on every state change: wakes long polls
	pollers       map[string]int
	hooks         map[string]map[int]func(PublishedMessage)
	windows       map[string]window // throttling: each threshold's use this second
	pushes        []*push           // topic pushes to queues not yet carried out (push.go)
	droppedPushes []DroppedPush
	nextHook      int
}

// Credential is an AccessKey pair of the account; Token is set for STS pairs, and Expires, when
// not zero, ends an STS pair (judged on the wall clock, like the Date header).
type Credential struct {
	ID, Secret, Token string
	Expires           time.Time
}

// NewServer starts an emulator on 127.0.0.1:0. Close it when done.
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
	cfg.throttle = cfg.throttle.withDefaults()
	s := &Server{
		cfg:     cfg,
		clock:   cfg.clock,
		done:    make(chan struct{}),
		creds:   map[string]Credential{},
		queues:  map[string]*queue{},
		topics:  map[string]*topic{},
		rng:     mathrand.New(mathrand.NewSource(cfg.seed)),
		order:   mathrand.New(mathrand.NewSource(cfg.seed + 1)),
		calls:   map[Op]int{},
		faults:  newFaultTable(),
		windows: map[string]window{},
		changed: make(chan struct{}),
		pollers: map[string]int{},
		hooks:   map[string]map[int]func(PublishedMessage){},
	}
	for _, c := range cfg.creds {
		s.creds[c.ID] = c
	}
	return s
}

// Close ends parked long polls, then shuts the listener down.
func (s *Server) Close() {
	s.once.Do(func() { close(s.done) })
	if s.srv != nil {
		s.srv.Close()
	}
}

// Handler returns the emulator as an http.Handler, for mounting without the listener.
func (s *Server) Handler() http.Handler { return s }

// Addr is the listener's "127.0.0.1:PORT".
func (s *Server) Addr() string { return strings.TrimPrefix(s.URL, "http://") }

// AddCredential registers another AccessKey pair while the server runs (token "" for a
// permanent pair).
func (s *Server) AddCredential(c Credential) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creds[c.ID] = c
}

// RemoveCredential revokes an AccessKey pair: later requests signed with it get
// InvalidAccessKeyId.
func (s *Server) RemoveCredential(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.creds, id)
}

// call is one routed request.
type call struct {
	r      *http.Request
	op     Op
	queue  string
	topic  string
	sub    string
	body   []byte
	q      params
	reqID  string
	authID string
}

// answer is a handler's successful (or batch-partial) reply.
type answer struct {
	status int
	body   []byte
	// location is the path of the resource a create made, answered in Location on the host the
	// request named (the account's endpoint, in the cloud).
	location string
}

// ServeHTTP answers one MNS request: route, faults, authentication, operation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{r: r, reqID: s.newRequestID()}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		// The client went away mid-body; nothing useful can be answered.
		return
	}
	c.body = body

	c.q = parseQuery(r.URL.RawQuery)
	c.op = route(r.Method, r.URL.Path, c.q, body, c)
	s.mu.Lock()
	s.calls[c.op]++
	f, faulted := s.faults.pick(c.op, s.rng)
	s.mu.Unlock()

	if faulted && f.Delay > 0 {
		if !s.sleepReal(r, f.Delay) {
			s.record(c, 0, "", "client gone during delay")
			panic(http.ErrAbortHandler)
		}
	}
	if faulted && !f.AfterApply && (f.Drop || f.Status != 0) {
		s.applyFault(w, c, f)
		return
	}

	ans, apiErr := s.serve(c)
	if faulted && f.AfterApply && (f.Drop || f.Status != 0) {
		s.applyFault(w, c, f)
		return
	}
	if apiErr != nil {
		s.writeError(w, c, apiErr, "")
		return
	}
	s.write(w, c, ans, "")
}

func (s *Server) serve(c *call) (answer, *APIError) {
	if len(c.body) > maxRequestBody {
		return answer{}, errInvalidArgument("The request body is too large")
	}
	if e := s.authenticate(c); e != nil {
		return answer{}, e
	}
	s.mu.Lock()
	admitted := s.admitLocked(c, s.clock.Now())
	s.mu.Unlock()
	if !admitted {
		return answer{}, s.throttled(c.r)
	}
	h, ok := handlers[c.op]
	if !ok {
		return answer{}, apiErr(http.StatusBadRequest, "InvalidRequestURL", "The request URL %s is invalid", c.r.URL.Path)
	}
	return h(s, c)
}

func (s *Server) applyFault(w http.ResponseWriter, c *call, f Fault) {
	if f.Drop {
		s.record(c, 0, "", "dropped connection")
		// ErrAbortHandler makes net/http close the connection without an answer.
		panic(http.ErrAbortHandler)
	}
	e := &APIError{Status: f.Status, Code: f.Code, Message: f.Message}
	if e.Code == "" {
		e.Code, e.Message = ErrInternal.Code, ErrInternal.Message
	}
	s.writeError(w, c, e, "injected fault")
}

// sleepReal waits d of real time for a slow-answer fault; false when the client or the server
// went away first.
func (s *Server) sleepReal(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

func (s *Server) writeError(w http.ResponseWriter, c *call, e *APIError, note string) {
	body := marshalAnswer(wireError{Code: e.Code, Message: e.Message, RequestID: c.reqID, HostID: s.hostID()})
	s.write(w, c, answer{status: e.Status, body: body}, note)
}

func (s *Server) write(w http.ResponseWriter, c *call, a answer, note string) {
	h := w.Header()
	h.Set("x-mns-request-id", c.reqID)
	h.Set("x-mns-version", "2015-06-06")
	h.Set("Date", s.cfg.wall.Now().UTC().Format(http.TimeFormat))
	h.Set("Server", "AliyunMNS")
	if len(a.body) > 0 {
		h.Set("Content-Type", "text/xml;charset=utf-8")
	}
	// Always a length, as the service sends: net/http would chunk a body over 2 KiB.
	if a.status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
	}
	if a.location != "" {
		scheme := "http"
		if c.r.TLS != nil {
			scheme = "https"
		}
		h.Set("Location", scheme+"://"+c.r.Host+a.location)
	}
	w.WriteHeader(a.status)
	_, _ = io.Copy(w, bytes.NewReader(a.body))
	s.record(c, a.status, errorCode(a), note)
}

// errorCode extracts <Code> from an error body for the request record.
func errorCode(a answer) string {
	if a.status < 300 {
		return ""
	}
	i := bytes.Index(a.body, []byte("<Code>"))
	j := bytes.Index(a.body, []byte("</Code>"))
	if i < 0 || j < i {
		return ""
	}
	return string(a.body[i+len("<Code>") : j])
}

func (s *Server) hostID() string {
	return fmt.Sprintf("http://%s.mns.%s.aliyuncs.com", s.cfg.account, s.cfg.region)
}

// newRequestID returns 24 upper-case hex digits like the cloud's x-mns-request-id. Crypto
// randomness keeps it out of the seeded stream, so replayed runs keep their message ids.
func (s *Server) newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(fmt.Sprintf("%x", b))
}

// notifyLocked wakes every parked long poll and waiter; s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}
