package fctest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"iprodwatch/handler/fctest"
)

// fnBinary is testdata/fn, built once per test binary with the project's deploy flags (for this
// machine's GOOS/GOARCH).
var fnBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fctest-fn-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fnBinary = filepath.Join(dir, "main")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", fnBinary, "./testdata/fn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building testdata/fn: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// t0 is where manual clocks start.
var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// waitLimit bounds every wait in these tests; it is a hang guard, never an assertion.
const waitLimit = 20 * time.Second

// startFunction runs testdata/fn behind a new emulator; both are gone when the test ends. On
// failure the function's output is logged.
func startFunction(t *testing.T, env map[string]string, opts ...fctest.Option) (*fctest.Server, *fctest.Instance) {
	t.Helper()
	srv := fctest.NewServer(opts...)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("events: %+v", srv.Events())
			t.Logf("counters: %+v", srv.Counters())
			for _, inst := range srv.Instances() {
				for _, l := range inst.Lines() {
					t.Logf("fn[%d] %s: %s", inst.Index(), l.Stream, l.Text)
				}
			}
		}
	})
	inst, err := srv.Start(context.Background(), fnBinary, env)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return srv, inst
}

// testCtx is a context that ends before the test's own deadline would.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// mustInvoke runs a synchronous invocation that must reach the function.
func mustInvoke(t *testing.T, srv *fctest.Server, payload string, opts fctest.InvokeOptions) fctest.Result {
	t.Helper()
	res, err := srv.Invoke(testCtx(t), []byte(payload), opts)
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	return res
}

// decode unmarshals a response body into a fresh T.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return v
}

// eventually polls cond on a short real ticker until it holds; it fails only after waitLimit.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after %v", what, waitLimit)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// contextReport mirrors what testdata/fn answers in mode "context".
type contextReport struct {
	RequestID       string            `json:"requestId"`
	AccessKeyID     string            `json:"accessKeyId"`
	AccessKeySecret string            `json:"accessKeySecret"`
	SecurityToken   string            `json:"securityToken"`
	FunctionName    string            `json:"functionName"`
	Handler         string            `json:"handler"`
	Memory          string            `json:"memory"`
	Timeout         int               `json:"timeout"`
	Region          string            `json:"region"`
	AccountID       string            `json:"accountId"`
	Qualifier       string            `json:"qualifier"`
	RetryCount      int               `json:"retryCount"`
	DeadlineMs      int64             `json:"deadlineMs"`
	Env             map[string]string `json:"env"`
}
