package fctest_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"iprodwatch/handler/clock"
	"iprodwatch/handler/fctest"
)

var requestIDPattern = regexp.MustCompile(`^1-[0-9a-f]{8}-[0-9a-f]{24}$`)

func TestSyncInvokeRoundTrip(t *testing.T) {
	srv, _ := startFunction(t, nil)
	tests := []struct {
		name    string
		payload string
		want    string
	}{
		{"a JSON object comes back as the handler returned it", `{"mode":"echo","n":1}`, `{"mode":"echo","n":1}`},
		{"a raw topic body reaches the []byte handler intact", `hello topic`, `{"raw":"hello topic"}`},
		{"an empty body reaches the handler as empty bytes", ``, `{"raw":""}`},
		{"a JSON array is passed through undecoded", `[{"id":1}]`, `{"raw":"[{\"id\":1}]"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustInvoke(t, srv, tc.payload, fctest.InvokeOptions{})
			if res.Outcome != fctest.OutcomeSuccess {
				t.Fatalf("Outcome = %s (%s: %s), want Success", res.Outcome, res.ErrorType, res.ErrorMessage)
			}
			if diff := cmp.Diff(tc.want, string(res.Body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if !requestIDPattern.MatchString(res.RequestID) {
				t.Errorf("RequestID = %q, want FC 3.0 form 1-<8 hex>-<24 hex>", res.RequestID)
			}
		})
	}
	t.Run("every invocation ran on the one instance started", func(t *testing.T) {
		c := srv.Counters()
		if c.Starts != 1 || c.Responses != len(tests) {
			t.Errorf("Starts = %d, Responses = %d; want 1, %d", c.Starts, c.Responses, len(tests))
		}
	})
}

func TestFunctionFailuresUseTheErrorPathAndTheProcessKeepsServing(t *testing.T) {
	srv, _ := startFunction(t, nil)
	tests := []struct {
		name      string
		payload   string
		wantType  string
		wantMsg   string
		wantStack bool
	}{
		{"a returned error is posted without a stack trace", `{"mode":"error","message":"plain failure"}`, "errorString", "plain failure", false},
		{"a panic is posted with a stack trace", `{"mode":"panic","message":"boom"}`, "string", "boom", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustInvoke(t, srv, tc.payload, fctest.InvokeOptions{})
			if res.Outcome != fctest.OutcomeError {
				t.Fatalf("Outcome = %s, want Error", res.Outcome)
			}
			got := struct{ Type, Msg string }{res.ErrorType, res.ErrorMessage}
			if diff := cmp.Diff(struct{ Type, Msg string }{tc.wantType, tc.wantMsg}, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if gotStack := len(res.StackTrace) > 0; gotStack != tc.wantStack {
				t.Errorf("stack trace present = %v, want %v (body %s)", gotStack, tc.wantStack, res.Body)
			}
			if !errors.Is(res.Err(), fctest.ErrFunction) {
				t.Errorf("Err() = %v, want one matching ErrFunction", res.Err())
			}
			after := mustInvoke(t, srv, `{"mode":"echo"}`, fctest.InvokeOptions{})
			if after.Outcome != fctest.OutcomeSuccess {
				t.Errorf("next invocation: Outcome = %s, want Success", after.Outcome)
			}
		})
	}
	t.Run("no failure restarted the process", func(t *testing.T) {
		if c := srv.Counters(); c.Starts != 1 || c.Restarts != 0 || c.Errors != len(tests) {
			t.Errorf("Starts, Restarts, Errors = %d, %d, %d; want 1, 0, %d", c.Starts, c.Restarts, c.Errors, len(tests))
		}
	})
}

func TestInvocationHeadersReachTheFunctionContext(t *testing.T) {
	wall := clock.NewManual(t0)
	srv, inst := startFunction(t, map[string]string{"FNTEST_USER": "user value"},
		fctest.WithWallClock(wall), fctest.WithRegion("cn-hangzhou"), fctest.WithAccount("5555555555555555"),
		fctest.WithFunction(fctest.Function{Name: "watch", Handler: "bin/main", MemoryMB: 128, Timeout: 30 * time.Second}),
		fctest.WithCredentials(fctest.Credentials{AccessKeyID: "STS.first", AccessKeySecret: "s1", SecurityToken: "t1"}))

	second := fctest.Credentials{AccessKeyID: "STS.second", AccessKeySecret: "s2", SecurityToken: "t2"}
	perCall := fctest.Credentials{AccessKeyID: "STS.percall", AccessKeySecret: "s3", SecurityToken: "t3"}
	tests := []struct {
		name   string
		rotate *fctest.Credentials // SetCredentials before the call
		opts   fctest.InvokeOptions
		want   fctest.Credentials
	}{
		{"the server's credentials are handed out", nil, fctest.InvokeOptions{}, fctest.Credentials{AccessKeyID: "STS.first", AccessKeySecret: "s1", SecurityToken: "t1"}},
		{"rotated credentials reach the next invocation", &second, fctest.InvokeOptions{}, second},
		{"per-invocation credentials win over the server's", nil, fctest.InvokeOptions{Credentials: &perCall, Timeout: 5 * time.Second}, perCall},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rotate != nil {
				srv.SetCredentials(*tc.rotate)
			}
			res := mustInvoke(t, srv, `{"mode":"context"}`, tc.opts)
			got := decode[contextReport](t, res.Body)
			timeout := 30
			if tc.opts.Timeout != 0 {
				timeout = int(tc.opts.Timeout / time.Second)
			}
			want := contextReport{
				RequestID:       res.RequestID,
				AccessKeyID:     tc.want.AccessKeyID,
				AccessKeySecret: tc.want.AccessKeySecret,
				SecurityToken:   tc.want.SecurityToken,
				FunctionName:    "watch",
				Handler:         "bin/main",
				Memory:          "128",
				Timeout:         timeout,
				Region:          "cn-hangzhou",
				AccountID:       "5555555555555555",
				Qualifier:       "LATEST",
				DeadlineMs:      t0.Add(time.Duration(timeout) * time.Second).UnixMilli(),
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(contextReport{}, "Env")); diff != "" {
				t.Errorf("fccontext (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("the process sees the FC system variables and the caller's", func(t *testing.T) {
		res := mustInvoke(t, srv, `{"mode":"context"}`, fctest.InvokeOptions{})
		got := decode[contextReport](t, res.Body).Env
		want := map[string]string{
			"FC_RUNTIME_API":                  inst.Addr(),
			"FC_REGION":                       "cn-hangzhou",
			"FC_ACCOUNT_ID":                   "5555555555555555",
			"FC_FUNCTION_NAME":                "watch",
			"FC_FUNCTION_HANDLER":             "bin/main",
			"FC_FUNCTION_MEMORY_SIZE":         "128",
			"FC_INSTANCE_ID":                  inst.ID(),
			"ALIBABA_CLOUD_ACCESS_KEY_ID":     "STS.first",
			"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s1",
			"ALIBABA_CLOUD_SECURITY_TOKEN":    "t1",
			"FNTEST_USER":                     "user value",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("environment (-want +got):\n%s", diff)
		}
	})
}

func TestTimeoutIsEnforcedAndTheProcessRestarted(t *testing.T) {
	clk := clock.NewManual(t0)
	srv, first := startFunction(t, nil, fctest.WithClock(clk))

	type outcome struct {
		res fctest.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := srv.Invoke(context.Background(), []byte(`{"mode":"sleep"}`), fctest.InvokeOptions{Timeout: 10 * time.Second})
		done <- outcome{res, err}
	}()
	eventually(t, "the sleeping invocation to be released", func() bool { return srv.Counters().Released == 1 })

	t.Run("just before the deadline the invocation still runs", func(t *testing.T) {
		clk.Advance(10*time.Second - time.Millisecond)
		srv.Wake()
		if c := srv.Counters(); c.Timeouts != 0 {
			t.Errorf("Timeouts = %d before the deadline", c.Timeouts)
		}
	})
	clk.Advance(time.Millisecond)
	srv.Wake()
	got := <-done

	t.Run("at the deadline it ends as a timeout", func(t *testing.T) {
		if got.err != nil {
			t.Fatalf("Invoke: %v", got.err)
		}
		if got.res.Outcome != fctest.OutcomeTimeout || !errors.Is(got.res.Err(), fctest.ErrTimeout) {
			t.Errorf("Outcome = %s, Err() = %v; want Timeout matching ErrTimeout", got.res.Outcome, got.res.Err())
		}
		if got.res.Duration != 10*time.Second {
			t.Errorf("Duration on the injected clock = %v, want 10s", got.res.Duration)
		}
	})
	t.Run("the timed-out process is killed and a new one serves", func(t *testing.T) {
		<-first.Exited()
		if code, _ := first.ExitCode(); code != -1 {
			t.Errorf("first instance exit code = %d, want -1 (killed)", code)
		}
		res := mustInvoke(t, srv, `{"mode":"echo"}`, fctest.InvokeOptions{})
		recs := srv.Records()
		if res.Outcome != fctest.OutcomeSuccess || recs[len(recs)-1].Instance != 1 {
			t.Errorf("after restart: Outcome = %s on instance %d, want Success on instance 1", res.Outcome, recs[len(recs)-1].Instance)
		}
		if c := srv.Counters(); c.Timeouts != 1 || c.Restarts != 1 {
			t.Errorf("Timeouts, Restarts = %d, %d; want 1, 1", c.Timeouts, c.Restarts)
		}
	})
}

// TestTimeoutOnTheWallClock runs the deadline on real time: a one-second timeout against a handler
// that sleeps ten minutes. Only the outcome is asserted.
func TestTimeoutOnTheWallClock(t *testing.T) {
	srv, _ := startFunction(t, nil, fctest.WithFunction(fctest.Function{Timeout: time.Second}))
	res := mustInvoke(t, srv, `{"mode":"sleep","sleepMs":600000}`, fctest.InvokeOptions{})
	if res.Outcome != fctest.OutcomeTimeout {
		t.Fatalf("Outcome = %s, want Timeout", res.Outcome)
	}
	if after := mustInvoke(t, srv, `{"mode":"echo"}`, fctest.InvokeOptions{}); after.Outcome != fctest.OutcomeSuccess {
		t.Errorf("after the timeout: Outcome = %s, want Success", after.Outcome)
	}
}

func TestAsyncInvocationsAreRetriedWithARisingRetryCount(t *testing.T) {
	tests := []struct {
		name        string
		maxRetries  int
		payload     string
		wantOutcome fctest.Outcome
		wantCounts  []string // x-fc-retry-count of each attempt
	}{
		{"a function that fails twice succeeds on the third attempt", 3, `{"mode":"failuntil","retries":2}`, fctest.OutcomeSuccess, []string{"0", "1", "2"}},
		{"a function that always fails is tried 1 + maxAsyncRetryAttempts times", 3, `{"mode":"error","message":"no"}`, fctest.OutcomeError, []string{"0", "1", "2", "3"}},
		{"with maxAsyncRetryAttempts 0 a failure is final", 0, `{"mode":"error","message":"no"}`, fctest.OutcomeError, []string{"0"}},
		{"a success is not retried", 3, `{"mode":"echo"}`, fctest.OutcomeSuccess, []string{"0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := startFunction(t, nil, fctest.WithMaxAsyncRetryAttempts(tc.maxRetries))
			a, err := srv.InvokeAsync(testCtx(t), []byte(tc.payload), fctest.InvokeOptions{})
			if err != nil {
				t.Fatalf("InvokeAsync: %v", err)
			}
			final, err := a.Wait(testCtx(t))
			if err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if final.Outcome != tc.wantOutcome || final.RetryCount != len(tc.wantCounts)-1 {
				t.Errorf("final Outcome, RetryCount = %s, %d; want %s, %d", final.Outcome, final.RetryCount, tc.wantOutcome, len(tc.wantCounts)-1)
			}
			var gotCounts []string
			for _, r := range srv.Records() {
				if r.RequestID != a.RequestID || !r.Async {
					t.Errorf("attempt %+v: want async with request id %s", r.RequestID, a.RequestID)
				}
				gotCounts = append(gotCounts, r.Header.Get("x-fc-retry-count"))
			}
			if diff := cmp.Diff(tc.wantCounts, gotCounts); diff != "" {
				t.Errorf("x-fc-retry-count per attempt (-want +got):\n%s", diff)
			}
			if tc.wantOutcome == fctest.OutcomeSuccess && len(tc.wantCounts) > 1 {
				seen := decode[map[string]int](t, final.Body)["succeededAt"]
				if seen != len(tc.wantCounts)-1 {
					t.Errorf("function saw RetryCount %d on success, want %d", seen, len(tc.wantCounts)-1)
				}
			}
		})
	}
}

func TestConcurrencyOneReleasesOneInvocationAtATime(t *testing.T) {
	srv, _ := startFunction(t, nil)
	const n = 4
	results := make(chan fctest.Result, n)
	for range n {
		go func() {
			res, err := srv.Invoke(testCtx(t), []byte(`{"mode":"hold","holdMs":20}`), fctest.InvokeOptions{})
			if err != nil {
				t.Errorf("Invoke: %v", err)
			}
			results <- res
		}()
	}
	for range n {
		res := <-results
		if peak := decode[map[string]int](t, res.Body)["peak"]; peak != 1 {
			t.Errorf("function observed %d invocations at once, want 1", peak)
		}
	}
	recs := srv.Records()
	for i := range recs {
		for j := range recs {
			a, b := recs[i], recs[j]
			if i != j && a.ReleaseSeq < b.ReleaseSeq && b.ReleaseSeq < a.FinishSeq {
				t.Errorf("invocation %s was released while %s was still running", b.RequestID, a.RequestID)
			}
		}
	}
}

func TestHigherConcurrencyLetsInvocationsOverlap(t *testing.T) {
	srv, _ := startFunction(t, nil)
	// Each invocation waits until two run at once; only concurrent release lets them meet.
	results := make(chan fctest.Result, 2)
	for range 2 {
		go func() {
			res, err := srv.Invoke(testCtx(t), []byte(`{"mode":"meet","count":2,"holdMs":30000}`), fctest.InvokeOptions{Concurrency: 2})
			if err != nil {
				t.Errorf("Invoke: %v", err)
			}
			results <- res
		}()
	}
	for range 2 {
		if peak := decode[map[string]int](t, (<-results).Body)["peak"]; peak != 2 {
			t.Errorf("function observed %d invocations at once, want 2", peak)
		}
	}
}

func TestProcessExitIsDetected(t *testing.T) {
	t.Run("a process that exits before its first /next is an init failure", func(t *testing.T) {
		srv, inst := startFunction(t, map[string]string{"FNTEST_UNSET_RUNTIME_API": "1"})
		err := srv.WaitReady(testCtx(t))
		var ie *fctest.InitError
		if !errors.Is(err, fctest.ErrInitFailed) || !errors.As(err, &ie) {
			t.Fatalf("WaitReady = %v, want an *InitError matching ErrInitFailed", err)
		}
		if ie.ExitCode != 1 || len(ie.Output) == 0 || !regexp.MustCompile(`FC_RUNTIME_API\] are not defined`).MatchString(ie.Output[len(ie.Output)-1]) {
			t.Errorf("InitError = %+v, want exit 1 with the SDK's log.Fatalf line", ie)
		}
		if code, ok := inst.ExitCode(); !ok || code != 1 {
			t.Errorf("ExitCode = %d, %v; want 1, true", code, ok)
		}
		if _, err := srv.Invoke(testCtx(t), []byte(`{}`), fctest.InvokeOptions{}); !errors.Is(err, fctest.ErrInitFailed) {
			t.Errorf("Invoke after init failure = %v, want ErrInitFailed", err)
		}
	})
	t.Run("a process that exits during an invocation fails it and is replaced", func(t *testing.T) {
		srv, first := startFunction(t, nil)
		res := mustInvoke(t, srv, `{"mode":"exit","code":3}`, fctest.InvokeOptions{})
		if res.Outcome != fctest.OutcomeCrashed || !errors.Is(res.Err(), fctest.ErrProcessExited) {
			t.Errorf("Outcome = %s, want Crashed matching ErrProcessExited", res.Outcome)
		}
		if code, ok := first.ExitCode(); !ok || code != 3 {
			t.Errorf("ExitCode = %d, %v; want 3, true", code, ok)
		}
		if after := mustInvoke(t, srv, `{"mode":"echo"}`, fctest.InvokeOptions{}); after.Outcome != fctest.OutcomeSuccess {
			t.Errorf("after the crash: Outcome = %s, want Success", after.Outcome)
		}
		if c := srv.Counters(); c.Crashes != 1 || c.Restarts != 1 {
			t.Errorf("Crashes, Restarts = %d, %d; want 1, 1", c.Crashes, c.Restarts)
		}
	})
}

func TestTargetTurnsFunctionFailuresIntoErrors(t *testing.T) {
	srv, _ := startFunction(t, nil, fctest.WithMaxAsyncRetryAttempts(1))
	tests := []struct {
		name    string
		target  func(context.Context, []byte) error
		payload string
		want    error // nil for success
	}{
		{"a sync success is nil", srv.Target(fctest.InvokeOptions{}), `{"mode":"echo"}`, nil},
		{"a sync function error matches ErrFunction", srv.Target(fctest.InvokeOptions{}), `{"mode":"error","message":"x"}`, fctest.ErrFunction},
		{"a sync panic matches ErrFunction", srv.Target(fctest.InvokeOptions{}), `{"mode":"panic","message":"x"}`, fctest.ErrFunction},
		{"an async target returns the last attempt's error", srv.AsyncTarget(fctest.InvokeOptions{}), `{"mode":"error","message":"x"}`, fctest.ErrFunction},
		{"an async target that recovers on retry is nil", srv.AsyncTarget(fctest.InvokeOptions{}), `{"mode":"failuntil","retries":1}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.target(testCtx(t), []byte(tc.payload))
			if tc.want == nil {
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				return
			}
			var ie *fctest.InvocationError
			if !errors.Is(err, tc.want) || !errors.As(err, &ie) {
				t.Errorf("err = %v, want an *InvocationError matching %v", err, tc.want)
			}
		})
	}
}
