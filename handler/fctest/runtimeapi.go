package fctest

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// invocationPath is the runtime API base the SDK builds from FC_RUNTIME_API.
const invocationPath = "/2020-11-11/runtime/invocation/"

// maxPostBody bounds a /response or /error body (a sync result may be as large as a sync
// payload, 32 MB).
const maxPostBody = 32 << 20

// ServeHTTP answers the three runtime API calls the SDK makes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, invocationPath)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if rest == "next" {
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		s.next(w, r)
		return
	}
	id, kind, ok := cutLast(rest)
	if !ok || (kind != "response" && kind != "error") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	s.post(w, r, id, kind == "error")
}

type instanceKey struct{}

// instanceOf tells which process a request came from: each instance has its own listener, so a
// request still in a dead process's socket can never be taken for its successor's.
func instanceOf(r *http.Request) *Instance {
	inst, _ := r.Context().Value(instanceKey{}).(*Instance)
	return inst
}

// serveInstance starts inst's own runtime API listener, FC_RUNTIME_API for that process.
func (s *Server) serveInstance(inst *Instance) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	inst.addr = ln.Addr().String()
	inst.http = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), instanceKey{}, inst)))
	})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = inst.http.Serve(ln)
	}()
	return nil
}

func cutLast(p string) (id, kind string, ok bool) {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "", "", false
	}
	return p[:i], p[i+1:], true
}

// next parks until an invocation may be released to this caller. It never answers with an error
// status: the SDK retries a failed /next at once, forever.
func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	inst := instanceOf(r)
	s.mu.Lock()
	s.counters.Next++
	if inst != nil && inst.firstNext.IsZero() && !inst.stopping {
		inst.firstNext = time.Now()
	}
	for {
		if inv := s.releasableLocked(inst); inv != nil {
			s.releaseLocked(inv, inst)
			h := w.Header()
			for k, v := range inv.header {
				h[k] = v
			}
			payload := inv.payload
			s.mu.Unlock()
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(payload)
			return
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-r.Context().Done():
			s.mu.Lock()
			s.counters.DroppedWaiters++
			s.mu.Unlock()
			return
		case <-s.done:
			// The process is already dead by now (Close kills it first); just drop the connection.
			panic(http.ErrAbortHandler)
		}
		s.mu.Lock()
	}
}

// releasableLocked returns the queue head if the caller's instance may take it now: the caller
// must belong to the current, live instance (a /next left over from a dead process gets nothing;
// callers on the shared URL get something only while no process is managed), and the instance
// must be under the head's concurrency.
func (s *Server) releasableLocked(inst *Instance) *invocation {
	if len(s.queue) == 0 || s.closing || inst != s.current {
		return nil
	}
	if inst != nil && (inst.stopping || inst.exited) {
		return nil
	}
	head := s.queue[0]
	if s.runningOnLocked(inst) >= head.concurrency {
		return nil
	}
	return head
}

func (s *Server) runningOnLocked(inst *Instance) int {
	n := 0
	for _, inv := range s.running {
		if inv.inst == inst {
			n++
		}
	}
	return n
}

func (s *Server) post(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPostBody+1))
	if err != nil {
		return // the function went away mid-body; nobody is left to answer
	}
	s.mu.Lock()
	inv, ok := s.latest[id]
	if !ok {
		s.counters.UnknownPosts++
		s.mu.Unlock()
		http.Error(w, "unknown request id", http.StatusNotFound)
		return
	}
	if s.running[id] != inv {
		inv.latePosts++
		s.counters.LatePosts++
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return
	}
	if inst := inv.inst; inst != nil && inst.firstPost.IsZero() {
		inst.firstPost = time.Now()
	}
	if isError {
		s.counters.Errors++
		typ, msg, stack := parseErrorBody(body)
		inv.stack = stack
		s.finishLocked(inv, OutcomeError, body, typ, msg)
	} else {
		s.counters.Responses++
		s.finishLocked(inv, OutcomeSuccess, body, "", "")
	}
	inst := inv.inst
	s.mu.Unlock()
	if inst != nil {
		inst.sampleRSS()
	}
	w.WriteHeader(http.StatusOK)
}
