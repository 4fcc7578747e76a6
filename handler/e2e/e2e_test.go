package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"iprodwatch/handler/clock"
	"iprodwatch/handler/cloud"
	"iprodwatch/handler/fctest"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mnstest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/handler/triggertest"
	"iprodwatch/parse"
)

// binary is iprodwatch built as it is deployed (make build): the function alone, CGO off,
// trimmed, stripped.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "iprodwatch-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "main")
	cmd := exec.Command("go", "build", "-tags", "iprodwatch.nodev", "-trimpath", "-ldflags", "-s -w", "-o", binary, "iprodwatch")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the function: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const job1 = "88c6ca184c0e432bbf5b665e2a15abcd"

// t0 is where the emulators' clock starts: now. The compiled function runs on the wall clock and
// bounds the times it is given by it (a message sent more than its deadline and 7 days ago is a
// wrong clock), so a fixed date here would start failing a week after it was written.
var t0 = time.Now().UTC().Truncate(time.Second)

// stack is the whole emulated cloud with the compiled function in it.
type stack struct {
	t   *testing.T
	clk *clock.Manual
	w   *handlertest.World
	fc  *fctest.Server
}

func newStack(t *testing.T, env map[string]string) *stack {
	t.Helper()
	clk := clock.NewManual(t0)
	w, err := handlertest.New(handlertest.Options{Clock: clk, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	srv := fctest.NewServer(
		fctest.WithRegion(handlertest.Region), fctest.WithAccount(handlertest.Account),
		fctest.WithFunction(fctest.Function{Name: "iprodwatch", Handler: "main", MemoryMB: 128, Timeout: 60 * time.Second}),
		fctest.WithCredentials(fctest.Credentials{AccessKeyID: handlertest.AccessKeyID, AccessKeySecret: handlertest.Secret}),
	)
	t.Cleanup(srv.Close)
	fenv := map[string]string{}
	for k, v := range w.Env() {
		if strings.HasPrefix(k, "IPRODWATCH_") {
			fenv[k] = v
		}
	}
	for k, v := range env {
		fenv[k] = v
	}
	if _, err := srv.Start(context.Background(), binary, fenv); err != nil {
		t.Fatal(err)
	}
	// Whatever the test did, the role iprodwatch policy prints allowed every call the function made.
	t.Cleanup(func() {
		if pc := w.CheckPolicy(cloud.FunctionPolicy(w.Config, cloud.LogStore{}), w.Config, nil); len(pc.Denied) > 0 {
			t.Errorf("the function's policy denies calls it made: %q", pc.Denied)
		}
	})
	return &stack{t: t, clk: clk, w: w, fc: srv}
}

func (s *stack) seed(id, algorithm string, sc mpstest.Script) {
	s.t.Helper()
	p := mpstest.SubmitParams{FunctionName: algorithm, Input: "oss://media.oss-cn-shanghai.aliyuncs.com/in/a.mp4",
		Output: "oss://media.oss-cn-shanghai.aliyuncs.com/out/{source}-{sequenceId}.mp4"}
	if err := s.w.MPS.SeedJob(mpstest.Job{ID: id, Params: p, Script: sc}); err != nil {
		s.t.Fatal(err)
	}
}

func (s *stack) events(jobID string) []parse.Event {
	s.t.Helper()
	ps, err := s.w.Events()
	if err != nil {
		s.t.Fatal(err)
	}
	var out []parse.Event
	for _, p := range ps {
		if p.Event.Subject == jobID {
			out = append(out, p.Event)
		}
	}
	return out
}

type stepper interface {
	RunDue(ctx context.Context) (int, error)
}

// drive runs the bridges and moves the clock to the next delayed message until done.
func (s *stack) drive(done func() bool, steps int, bridges ...stepper) {
	s.t.Helper()
	for range steps {
		if done() {
			return
		}
		moved := 0
		for _, b := range bridges {
			n, _ := b.RunDue(context.Background())
			moved += n
		}
		if done() || moved > 0 {
			continue
		}
		next, ok := s.w.NextVisible()
		if !ok || !next.After(s.clk.Now()) {
			next = s.clk.Now().Add(time.Second)
		}
		s.clk.AdvanceTo(next)
	}
	if !done() {
		s.t.Fatalf("not done after %d steps; function output:\n%s", steps, s.lines())
	}
}

func (s *stack) lines() string {
	var b strings.Builder
	for _, inst := range s.fc.Instances() {
		for _, l := range inst.Lines() {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

func (s *stack) queueTrigger() *triggertest.QueueSource {
	s.t.Helper()
	// EventBridge signs as itself (its service-linked role), not as the function.
	q := ali_mns.NewMNSQueue(handlertest.CheckQueue, s.w.MNS.NewSDKClient(handlertest.ServiceKeyID, handlertest.ServiceSecret, "", 0))
	src, err := triggertest.NewQueueSource(q, s.fc.Target(fctest.InvokeOptions{}), triggertest.WithClock(s.clk),
		triggertest.WithBase64Decode(false), triggertest.WithBatchWindow(16, 0), triggertest.WithRegion(handlertest.Region))
	if err != nil {
		s.t.Fatal(err)
	}
	return src
}

func TestTheCompiledFunctionFollowsAJobFromTheQueueTrigger(t *testing.T) {
	s := newStack(t, nil)
	s.seed(job1, "VideoClip", mpstest.Script{Analysing: 5 * time.Second, Done: 4 * time.Minute})
	if err := s.w.SendCheck(`{"JobId":"` + job1 + `"}`); err != nil {
		t.Fatal(err)
	}
	s.drive(func() bool { return len(s.events(job1)) > 0 }, 300, s.queueTrigger())
	if ev := s.events(job1)[0]; ev.Outcome != parse.OutcomeSucceeded || ev.Data.Checks.Attempts < 2 {
		t.Errorf("event %s after %d checks", ev.Outcome, ev.Data.Checks.Attempts)
	}
	if c := s.fc.Counters(); c.Errors != 0 || c.Crashes != 0 || c.Restarts != 0 {
		t.Errorf("counters %+v, want no errors, crashes or restarts", c)
	}
}

func TestTheCompiledFunctionOnEveryTrigger(t *testing.T) {
	s := newStack(t, nil)
	s.seed(job1, "ImageH2V", mpstest.Script{Done: time.Second})
	s.clk.AdvanceTo(t0.Add(2 * time.Second))
	for _, format := range []triggertest.NotifyContentFormat{triggertest.FormatJSON, triggertest.FormatStream} {
		push, err := triggertest.NewTopicPush(s.w.MNS, handlertest.IntakeTopic, s.fc.Target(fctest.InvokeOptions{}),
			triggertest.WithClock(s.clk), triggertest.WithNotifyContentFormat(format))
		if err != nil {
			t.Fatal(err)
		}
		before := len(s.events(job1))
		if _, err := s.w.MNS.Publish(handlertest.IntakeTopic, `{"JobId":"`+job1+`"}`, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := push.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		push.Close()
		if got := len(s.events(job1)); got != before+1 {
			t.Errorf("topic %s: %d events, want %d", format, got, before+1)
		}
	}
	// Timer: pull mode sweeps the check queue.
	if err := s.w.SendCheck(`{"JobId":"` + job1 + `"}`); err != nil {
		t.Fatal(err)
	}
	timer, err := triggertest.NewTimer("@every 60s", `{"mode":"sweep"}`, s.fc.Target(fctest.InvokeOptions{}), triggertest.WithClock(s.clk))
	if err != nil {
		t.Fatal(err)
	}
	before := len(s.events(job1))
	s.drive(func() bool { return len(s.events(job1)) > before }, 100, timer)
	if left := s.w.MNS.Messages(handlertest.CheckQueue); len(left) != 0 {
		t.Errorf("pull mode left %d messages", len(left))
	}
	// Direct invoke, and a bad payload dead-lettered.
	res, err := s.fc.Invoke(context.Background(), []byte(`{"JobId":"`+job1+`"}`), fctest.InvokeOptions{})
	if err != nil || res.IsError() || !strings.Contains(string(res.Body), `"published":1`) {
		t.Errorf("direct invoke: %s %s %v", res.Outcome, res.Body, err)
	}
	res, err = s.fc.Invoke(context.Background(), []byte("\x00\x01 not a payload"), fctest.InvokeOptions{})
	if err != nil || res.IsError() || len(s.w.DeadLetters()) != 1 {
		t.Errorf("bad payload: %s %s %v; dead letters %v", res.Outcome, res.Body, err, s.w.DeadLetters())
	}
}

func TestAHandlerErrorGoesOnTheErrorPathAndTheProcessKeepsServing(t *testing.T) {
	s := newStack(t, map[string]string{"IPRODWATCH_EVENT_TOPIC": "no-such-topic"})
	s.seed(job1, "ImageH2V", mpstest.Script{Done: time.Second})
	s.clk.AdvanceTo(t0.Add(2 * time.Second))
	res, err := s.fc.Invoke(context.Background(), []byte(`{"JobId":"`+job1+`"}`), fctest.InvokeOptions{})
	if err != nil || !res.IsError() || !strings.Contains(res.ErrorMessage, "configuration fault") {
		t.Fatalf("invoke: %s %q %v, want an error naming the configuration fault", res.Outcome, res.ErrorMessage, err)
	}
	res, err = s.fc.Invoke(context.Background(), []byte(`{"JobId":"5d41402abc4b2a76b9719d911017c592"}`), fctest.InvokeOptions{})
	if err != nil || res.IsError() {
		t.Errorf("the next invocation: %s %v", res.Outcome, err)
	}
	if c := s.fc.Counters(); c.Restarts != 0 || c.Crashes != 0 {
		t.Errorf("the process was restarted: %+v", c)
	}
}

func TestAPanicInsideTheSDKIsContainedAndTheJobRetried(t *testing.T) {
	s := newStack(t, nil)
	s.seed(job1, "ImageH2V", mpstest.Script{Done: time.Second})
	s.clk.AdvanceTo(t0.Add(2 * time.Second))
	// An error body whose Code is a number makes alibaba-cloud-sdk-go panic while reading it.
	s.w.MPS.FailNext(mpstest.ActionQuery, job1, 1, mpstest.Fault{RawStatus: 400, RawBody: []byte(`{"Code":400,"Message":"boom","RequestId":"R"}`)})
	res, err := s.fc.Invoke(context.Background(), []byte(`{"JobId":"`+job1+`"}`), fctest.InvokeOptions{})
	if err != nil || res.IsError() || !strings.Contains(string(res.Body), `"retried":1`) {
		t.Fatalf("invoke: %s %s %s %v", res.Outcome, res.Body, res.ErrorMessage, err)
	}
	if c := s.fc.Counters(); c.Restarts != 0 || c.Crashes != 0 {
		t.Errorf("the process was restarted: %+v", c)
	}
}

func TestCredentialsThatChangeBetweenInvocationsReachTheEmulators(t *testing.T) {
	s := newStack(t, nil)
	s.seed(job1, "ImageH2V", mpstest.Script{Done: time.Second})
	s.clk.AdvanceTo(t0.Add(2 * time.Second))
	s.w.MPS.AddSTSCredential("STS.rotated", "rotated-secret", "rotated-token", time.Now().Add(time.Hour)) // STS expiry is wall time
	s.w.MNS.AddCredential(mnstest.Credential{ID: "STS.rotated", Secret: "rotated-secret", Token: "rotated-token"})
	for _, cred := range []*fctest.Credentials{nil, {AccessKeyID: "STS.rotated", AccessKeySecret: "rotated-secret", SecurityToken: "rotated-token"}} {
		res, err := s.fc.Invoke(context.Background(), []byte(`{"JobId":"`+job1+`"}`), fctest.InvokeOptions{Credentials: cred})
		if err != nil || res.IsError() {
			t.Fatalf("invoke: %s %s %v", res.Outcome, res.ErrorMessage, err)
		}
	}
	calls := s.w.MPS.Calls()
	if len(calls) != 2 || calls[0].AccessKeyID != handlertest.AccessKeyID || calls[1].AccessKeyID != "STS.rotated" {
		t.Errorf("MPS saw keys %v, want the role's, then the rotated one", keys(calls))
	}
	var mnsKeys []string
	for _, r := range s.w.MNS.Calls() {
		mnsKeys = append(mnsKeys, r.AccessKeyID)
	}
	if mnsKeys[len(mnsKeys)-1] != "STS.rotated" {
		t.Errorf("MNS last saw key %q, want the rotated one", mnsKeys[len(mnsKeys)-1])
	}
}

func keys(calls []mpstest.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.AccessKeyID)
	}
	return out
}

func TestAnInvalidConfigurationStopsTheFunctionAtStart(t *testing.T) {
	srv := fctest.NewServer()
	t.Cleanup(srv.Close)
	_, err := srv.Start(context.Background(), binary, map[string]string{"IPRODWATCH_REGION": "cn-shanghai"})
	if err == nil {
		err = srv.WaitReady(context.Background())
	}
	var ie *fctest.InitError
	if !errors.As(err, &ie) || !strings.Contains(strings.Join(ie.Output, "\n"), "IPRODWATCH_CHECK_QUEUE: required") {
		t.Errorf("start = %v, want an init failure naming the missing variable", err)
	}
}
