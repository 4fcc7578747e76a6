package fctest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxEnvBytes is FC's 4 KB cap on a function's environment variables (keys plus values; how FC
// counts is not documented, this is our reading).
const maxEnvBytes = 4 << 10

var envKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// startSpec is what a restart needs to start the same function again.
type startSpec struct {
	ctx    context.Context
	binary string
	env    map[string]string
}

// Instance is one function process.
type Instance struct {
	s        *Server
	index    int
	id       string
	cmd      *exec.Cmd
	pid      atomic.Int64
	peakRSS  atomic.Int64
	exitedCh chan struct{}
	stdout   *lineWriter
	stderr   *lineWriter
	addr     string       // its own runtime API listener, FC_RUNTIME_API
	http     *http.Server // closed once the process is reaped, never before

	// Guarded by Server.mu.
	execAt    time.Time // real time just before exec
	firstNext time.Time // real time of the first GET /next
	firstPost time.Time // real time of the first /response or /error
	stopping  bool      // the emulator is killing it: no more releases, no auto-restart
	exited    bool
	exitCode  int
}

// Start runs the function binary as FC runs a go1 instance: FC_RUNTIME_API pointing at this
// server, the FC system variables, and env (FC's rules apply: no FC_ prefix, names of letters,
// digits and _, 4 KB in total). Nothing else from the test's environment is passed. The process
// lives until ctx ends or Close; a timeout restarts it, and so does a crash after it has served,
// while an exit before its first GET /next is an init failure (ErrInitFailed for every invoke
// until Start is called again).
func (s *Server) Start(ctx context.Context, binary string, env map[string]string) (*Instance, error) {
	if err := validateEnv(env); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(binary)
	if err != nil {
		return nil, fmt.Errorf("fctest: start %s: %w", binary, err)
	}
	spec := &startSpec{ctx: ctx, binary: abs, env: env}

	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if s.current != nil && !s.current.exited {
		s.mu.Unlock()
		return nil, ErrAlreadyStarted
	}
	s.spec, s.initErr, s.stopped = spec, nil, false
	s.mu.Unlock()

	inst, err := s.launchLocked(spec, false)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { s.stop(spec) })
	return inst, nil
}

// stop ends the process of spec for good (its Start context ended).
func (s *Server) stop(spec *startSpec) {
	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.mu.Lock()
	if s.spec != spec {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	inst := s.current
	for _, inv := range s.queue {
		s.finishLocked(inv, OutcomeCanceled, nil, "", "function stopped")
	}
	s.queue = nil
	s.mu.Unlock()
	if inst != nil {
		s.killLocked(inst)
	}
}

// restart replaces inst with a fresh process of the same spec, unless it was already replaced.
func (s *Server) restart(inst *Instance) {
	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.mu.Lock()
	ok := inst == s.current && !s.closing && !s.stopped && s.spec != nil
	spec := s.spec
	s.mu.Unlock()
	if !ok {
		return
	}
	s.killLocked(inst)
	_, _ = s.launchLocked(spec, true) // a failed exec leaves initErr set for the invokers
}

// launchLocked starts one process. The caller holds procMu.
func (s *Server) launchLocked(spec *startSpec, restart bool) (*Instance, error) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	inst := &Instance{s: s, index: len(s.instances), id: s.newInstanceIDLocked(), exitedCh: make(chan struct{})}
	inst.stdout = &lineWriter{inst: inst, stream: "stdout"}
	inst.stderr = &lineWriter{inst: inst, stream: "stderr"}
	s.instances = append(s.instances, inst)
	s.current = inst
	s.counters.Starts++
	if restart {
		s.counters.Restarts++
	}
	if err := s.serveInstance(inst); err != nil {
		inst.exited, inst.exitCode = true, -1
		close(inst.exitedCh)
		s.mu.Unlock()
		return nil, fmt.Errorf("fctest: runtime API listener: %w", err)
	}
	env := s.envLocked(inst, spec)
	s.wg.Add(1)
	s.mu.Unlock()

	cmd := exec.Command(spec.binary)
	cmd.Env = env
	cmd.Dir = filepath.Dir(spec.binary)
	cmd.Stdout = inst.stdout
	cmd.Stderr = inst.stderr
	inst.cmd = cmd
	// Under mu: the readers (ColdStart, Ready) have no other happens-before edge with this
	// goroutine, only one through the child process.
	s.mu.Lock()
	inst.execAt = time.Now()
	s.mu.Unlock()
	if err := cmd.Start(); err != nil {
		s.mu.Lock()
		inst.exited, inst.exitCode = true, -1
		s.initErr = &InitError{Instance: inst.index, ExitCode: -1, Output: []string{err.Error()}}
		s.counters.InitFailures++
		s.failQueueLocked(s.initErr)
		s.broadcastLocked()
		s.mu.Unlock()
		s.closeInstanceListener(inst)
		close(inst.exitedCh)
		s.wg.Done()
		return nil, fmt.Errorf("fctest: start %s: %w", spec.binary, err)
	}
	inst.pid.Store(int64(cmd.Process.Pid))
	s.event(EventInstanceStarted, inst, spec.binary)
	go s.reap(inst)
	return inst, nil
}

// envLocked is the process environment: FC's system variables, then the caller's, sorted.
func (s *Server) envLocked(inst *Instance, spec *startSpec) []string {
	f := s.cfg.function
	env := []string{
		"FC_RUNTIME_API=" + inst.addr,
		"FC_REGION=" + s.cfg.region,
		"FC_ACCOUNT_ID=" + s.cfg.account,
		"FC_FUNCTION_NAME=" + f.Name,
		"FC_FUNCTION_HANDLER=" + f.Handler,
		"FC_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(f.MemoryMB),
		"FC_INSTANCE_ID=" + inst.id,
		"FC_FUNC_CODE_PATH=" + filepath.Dir(spec.binary),
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + s.creds.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + s.creds.AccessKeySecret,
		"ALIBABA_CLOUD_SECURITY_TOKEN=" + s.creds.SecurityToken,
	}
	keys := make([]string, 0, len(spec.env))
	for k := range spec.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+spec.env[k])
	}
	return env
}

func validateEnv(env map[string]string) error {
	total := 0
	for k, v := range env {
		if !envKey.MatchString(k) {
			return fmt.Errorf("%w: name %q", ErrInvalidEnv, k)
		}
		if strings.HasPrefix(strings.ToUpper(k), "FC_") {
			return fmt.Errorf("%w: %q uses the reserved FC_ prefix", ErrInvalidEnv, k)
		}
		total += len(k) + len(v)
	}
	if total > maxEnvBytes {
		return fmt.Errorf("%w: %d bytes in total, limit %d", ErrInvalidEnv, total, maxEnvBytes)
	}
	return nil
}

// reap waits for the process and settles what it leaves behind.
func (s *Server) reap(inst *Instance) {
	defer s.wg.Done()
	err := inst.cmd.Wait()
	inst.stdout.flush()
	inst.stderr.flush()
	code := -1
	var ee *exec.ExitError
	if err == nil || errors.As(err, &ee) {
		code = inst.cmd.ProcessState.ExitCode()
	}

	s.mu.Lock()
	inst.exited, inst.exitCode = true, code
	for _, inv := range s.running {
		if inv.inst == inst {
			s.counters.Crashes++
			s.finishLocked(inv, OutcomeCrashed, nil, "ProcessExited", fmt.Sprintf("function process exited: %s", inst.cmd.ProcessState))
		}
	}
	s.eventLocked(EventInstanceExited, inst, inst.cmd.ProcessState.String())
	restart := false
	if !inst.stopping && inst == s.current && !s.closing && !s.stopped {
		if inst.firstNext.IsZero() {
			s.initErr = &InitError{Instance: inst.index, ExitCode: code, Output: inst.tail(5)}
			s.counters.InitFailures++
			s.failQueueLocked(s.initErr)
		} else {
			restart = true
		}
	}
	s.broadcastLocked()
	s.mu.Unlock()
	s.closeInstanceListener(inst)
	close(inst.exitedCh)
	if restart {
		s.restart(inst)
	}
}

// closeInstanceListener shuts inst's runtime API down; only ever after its process is gone,
// because the SDK retries a refused /next at once, forever.
func (s *Server) closeInstanceListener(inst *Instance) {
	_ = inst.http.Close()
	s.event(EventListenerClosed, inst, inst.addr)
}

func (s *Server) failQueueLocked(err error) {
	for _, inv := range s.queue {
		inv.initErr = err
		s.finishLocked(inv, OutcomeInitFailed, nil, "InitFailed", err.Error())
	}
	s.queue = nil
}

// killLocked stops inst with SIGKILL and waits until it is reaped; the caller holds procMu.
func (s *Server) killLocked(inst *Instance) {
	s.mu.Lock()
	if inst.exited {
		s.mu.Unlock()
		return
	}
	inst.stopping = true
	s.broadcastLocked()
	s.mu.Unlock()
	inst.sampleRSS()
	s.event(EventInstanceKilled, inst, "")
	_ = inst.cmd.Process.Kill()
	<-inst.exitedCh
}

// Instances returns every process started so far, restarts included, oldest first.
func (s *Server) Instances() []*Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Instance(nil), s.instances...)
}

// Current returns the instance /next calls are served to, nil before Start.
func (s *Server) Current() *Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// WaitReady blocks until the current instance has asked for its first invocation, or returns the
// init failure.
func (s *Server) WaitReady(ctx context.Context) error {
	s.mu.Lock()
	for {
		if s.initErr != nil {
			err := s.initErr
			s.mu.Unlock()
			return err
		}
		if s.current != nil && !s.current.firstNext.IsZero() && !s.current.exited {
			s.mu.Unlock()
			return nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return ErrClosed
		}
		s.mu.Lock()
	}
}

// Index is the instance's position in Instances.
func (i *Instance) Index() int { return i.index }

// ID is its FC_INSTANCE_ID.
func (i *Instance) ID() string { return i.id }

// Addr is the instance's runtime API address, its FC_RUNTIME_API.
func (i *Instance) Addr() string { return i.addr }

// PID is the process id.
func (i *Instance) PID() int { return int(i.pid.Load()) }

// Exited is closed once the process has been reaped.
func (i *Instance) Exited() <-chan struct{} { return i.exitedCh }

// ExitCode is the exit status (-1 when killed by a signal); ok is false while it runs.
func (i *Instance) ExitCode() (code int, ok bool) {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	return i.exitCode, i.exited
}

// ColdStart is the real time from exec to the first /response or /error it posted: start-up,
// the first GET /next and the first handler run. ok is false until it has answered once.
func (i *Instance) ColdStart() (d time.Duration, ok bool) {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	if i.firstPost.IsZero() {
		return 0, false
	}
	return i.firstPost.Sub(i.execAt), true
}

// Ready is the real time from exec to its first GET /next.
func (i *Instance) Ready() (d time.Duration, ok bool) {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	if i.firstNext.IsZero() {
		return 0, false
	}
	return i.firstNext.Sub(i.execAt), true
}

// PeakRSS is the largest VmHWM (bytes) read from /proc/<pid>/status: after each answer it posts
// and just before the emulator kills it. 0 off Linux.
func (i *Instance) PeakRSS() int64 { return i.peakRSS.Load() }

func (i *Instance) sampleRSS() {
	pid := i.PID()
	if pid == 0 {
		return
	}
	v := readPeakRSS(pid)
	for {
		old := i.peakRSS.Load()
		if v <= old || i.peakRSS.CompareAndSwap(old, v) {
			return
		}
	}
}

// Line is one line of function output.
type Line struct {
	Stream string // "stdout" or "stderr"
	Text   string
}

// Lines returns what the process has written so far, both streams interleaved in arrival order.
func (i *Instance) Lines() []Line {
	i.s.outMu.Lock()
	defer i.s.outMu.Unlock()
	var out []Line
	for _, l := range i.s.lines {
		if l.inst == i {
			out = append(out, l.Line)
		}
	}
	return out
}

func (i *Instance) tail(n int) []string {
	lines := i.Lines()
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := make([]string, len(lines))
	for k, l := range lines {
		out[k] = l.Text
	}
	return out
}

// instLine is a line tagged with its instance, kept in one server-wide log.
type instLine struct {
	inst *Instance
	Line
}

// lineWriter splits a process stream into lines.
type lineWriter struct {
	inst   *Instance
	stream string
	mu     sync.Mutex
	buf    []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.inst.s.addLine(w.inst, w.stream, string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.inst.s.addLine(w.inst, w.stream, string(w.buf))
		w.buf = nil
	}
}

func (s *Server) addLine(inst *Instance, stream, text string) {
	s.outMu.Lock()
	s.lines = append(s.lines, instLine{inst: inst, Line: Line{Stream: stream, Text: text}})
	s.outMu.Unlock()
	if s.cfg.output != nil {
		fmt.Fprintf(s.cfg.output, "fn[%d] %s: %s\n", inst.index, stream, text)
	}
}
