package mpstest

import (
	"cmp"
	"context"
	"crypto/md5"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"
)

// API identity of the emulated service.
const (
	APIVersion   = "2014-06-18"
	ActionQuery  = "QueryIProductionJob"
	ActionSubmit = "SubmitIProductionJob"
)

// Server is an MPS intelligent-production emulator listening on 127.0.0.1.
type Server struct {
	// URL is http://127.0.0.1:PORT; the SDK's client.Domain is URL without the scheme.
	URL string

	cfg             config
	ts              *httptest.Server
	defaultPipeline string

	mu            sync.Mutex
	rng           *rand.Rand
	keys          map[string]*accessKey
	nonces        map[string]time.Time
	nonceOrder    []nonceSeen
	jobs          map[string]*job
	unnotified    map[string]*job // jobs with a NotifyUrl not yet notified: DeliverDue scans only these
	jobOrder      []string
	jobSeq        int
	defaultScript func(SubmitParams) Script
	faults        []*faultRule
	calls         []Call
	qps           map[string]int
	windows       map[string]quotaWindow
	notifier      Notifier
	notifications []Notification
}

// NewServer starts an emulator on 127.0.0.1 (a free port unless WithAddr). It panics if it
// cannot listen, like httptest.NewServer.
func NewServer(opts ...Option) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		cfg:             cfg,
		defaultPipeline: fmt.Sprintf("%x", md5.Sum([]byte("pipeline/"+cfg.account))),
		rng:             rand.New(rand.NewSource(cfg.seed)),
		keys:            map[string]*accessKey{},
		nonces:          map[string]time.Time{},
		jobs:            map[string]*job{},
		unnotified:      map[string]*job{},
		defaultScript:   cfg.defaultScript,
		qps:             cfg.qps,
		windows:         map[string]quotaWindow{},
		notifier:        cfg.notifier,
	}
	for _, c := range cfg.creds {
		s.keys[c.id] = &accessKey{secret: c.secret, token: c.token, expires: c.expires}
	}
	s.ts = httptest.NewUnstartedServer(s.Handler())
	if cfg.addr != "127.0.0.1:0" {
		l, err := net.Listen("tcp", cfg.addr)
		if err != nil {
			panic(fmt.Sprintf("mpstest: listen on %s: %v", cfg.addr, err))
		}
		s.ts.Listener.Close()
		s.ts.Listener = l
	}
	s.ts.Start()
	s.URL = s.ts.URL
	return s
}

// Close shuts the listener down and waits for requests in flight.
func (s *Server) Close() { s.ts.Close() }

// Handler is the wire API, for mounting the emulator in another server.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Account is the emulated account id.
func (s *Server) Account() string { return s.cfg.account }

// Region is the emulated region.
func (s *Server) Region() string { return s.cfg.region }

// serveHTTP runs one RPC call through the gateway checks, faults and quota, then the action.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cfg.lazyDelivery {
		_ = s.DeliverDue(context.WithoutCancel(r.Context())) // failures are recorded and retried
	}
	now := s.cfg.clock.Now()
	c := Call{At: now, Method: r.Method}
	recorded := false
	defer func() {
		if !recorded {
			s.record(c)
		}
	}()

	v3 := isV3(r)
	ps, body, apiErr := parseParams(r, v3)
	if apiErr != nil {
		s.answerError(w, &c, apiErr)
		return
	}
	if v3 {
		ps = v3Params(r, ps)
	}
	c.Params = ps.values()
	c.Action, c.JobID, c.AccessKeyID = ps.get("Action"), ps.get("JobId"), ps.get("AccessKeyId")
	auth, authOK := parseV3Auth(r.Header.Get("Authorization"))
	if v3 && authOK {
		c.AccessKeyID = auth.credential
	}
	if v3 {
		for _, h := range [...]string{hdrAction, hdrVersion} {
			if r.Header.Get(h) == "" {
				s.answerError(w, &c, errMissing(h))
				return
			}
		}
	}
	if apiErr := checkAction(r, ps); apiErr != nil {
		s.answerError(w, &c, apiErr)
		return
	}
	var id string
	if v3 {
		id, apiErr = s.authenticateV3(r, auth, authOK, body)
	} else {
		id, apiErr = s.authenticate(r.Method, ps)
	}
	if apiErr != nil {
		s.answerError(w, &c, apiErr)
		return
	}
	c.AccessKeyID = id

	s.mu.Lock()
	f, faulty := s.pickFault(c.Action, c.JobID)
	s.mu.Unlock()
	// fault answers f instead of the call's own answer, and reports whether it did.
	fault := func() bool {
		sleep(r, f.Delay)
		if f.Drop && drop(w, func() { c.Dropped, recorded = true, true; s.record(c) }) {
			return true
		}
		if f.Error != nil {
			s.answerError(w, &c, f.Error)
			return true
		}
		if f.RawBody != nil {
			c.Status = cmp.Or(f.RawStatus, http.StatusOK)
			w.Header().Set("Content-Type", "application/json;charset=utf-8")
			w.WriteHeader(c.Status)
			_, _ = w.Write(f.RawBody)
			return true
		}
		return false
	}
	if faulty && !f.AfterApply && fault() {
		return
	}
	if faulty && f.AfterApply {
		// The call takes effect (its answer is thrown away), then the fault answers.
		// With a Delay alone, the answer comes late but whole (a client timeout loses it).
		if c.Action == ActionSubmit {
			sub, apiErr := s.submit(ps, now)
			c.JobID = sub.JobID
			if !fault() {
				if apiErr != nil {
					s.answerError(w, &c, apiErr)
					return
				}
				s.answer(w, &c, http.StatusOK, sub)
			}
			return
		}
		if fault() {
			return
		}
	}

	s.mu.Lock()
	admitted := s.admit(c.Action, now)
	s.mu.Unlock()
	if !admitted {
		s.answerError(w, &c, errThrottlingUser())
		return
	}

	switch c.Action {
	case ActionQuery:
		body, apiErr := s.query(ps, now)
		if apiErr != nil {
			s.answerError(w, &c, apiErr)
			return
		}
		s.answer(w, &c, http.StatusOK, body)
	case ActionSubmit:
		body, apiErr := s.submit(ps, now)
		if apiErr != nil {
			s.answerError(w, &c, apiErr)
			return
		}
		c.JobID = body.JobID // so CallCount can find the submit of a job
		s.answer(w, &c, http.StatusOK, body)
	}
}

// checkAction finds the API before authenticating, as the gateway must to know how to check
// the call: unknown paths, methods, actions and versions are InvalidAction.NotFound.
func checkAction(r *http.Request, ps params) *APIError {
	if r.URL.Path != "/" || r.Method != http.MethodGet && r.Method != http.MethodPost {
		return errActionNotFound()
	}
	action, ok := ps.lookup("Action")
	if !ok || action == "" {
		return errMissing("Action")
	}
	version, ok := ps.lookup("Version")
	if !ok || version == "" {
		return errMissing("Version")
	}
	if action != ActionQuery && action != ActionSubmit || version != APIVersion {
		return errActionNotFound()
	}
	return nil
}

func (ps params) values() url.Values {
	v := url.Values{}
	for _, p := range ps {
		v.Add(p.key, p.value)
	}
	return v
}
