package fctest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler/fctest"
)

const nextPath = "/2020-11-11/runtime/invocation/next"

// rawNext is one GET /next made without the SDK.
type rawNext struct {
	status int
	header http.Header
	body   string
	err    error
}

func getNext(ctx context.Context, srv *fctest.Server) rawNext {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+nextPath, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return rawNext{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return rawNext{status: resp.StatusCode, header: resp.Header, body: string(b), err: err}
}

func post(t *testing.T, srv *fctest.Server, id, kind, body string) int {
	t.Helper()
	resp, err := http.Post(srv.URL+"/2020-11-11/runtime/invocation/"+id+"/"+kind, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s/%s: %v", id, kind, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRuntimeAPIWire speaks to the runtime API directly, with no process started: several parked
// waiters, the headers the SDK requires, answers by id, 404 for unknown ids.
func TestRuntimeAPIWire(t *testing.T) {
	srv := fctest.NewServer(fctest.WithInstanceConcurrency(2), fctest.WithFunction(fctest.Function{Timeout: 45 * time.Second}))
	t.Cleanup(srv.Close)
	ctx := testCtx(t)

	nexts := make(chan rawNext, 2)
	for range 2 {
		go func() { nexts <- getNext(ctx, srv) }()
	}
	eventually(t, "two parked /next calls", func() bool { return srv.Counters().Next == 2 })
	if c := srv.Counters(); c.Released != 0 {
		t.Fatalf("Released = %d with nothing queued", c.Released)
	}

	type invoked struct {
		res fctest.Result
		err error
	}
	results := make(chan invoked, 2)
	for _, p := range []string{"first", "second"} {
		go func() {
			res, err := srv.Invoke(ctx, []byte(p), fctest.InvokeOptions{})
			results <- invoked{res, err}
		}()
	}
	got := map[string]rawNext{}
	for range 2 {
		n := <-nexts
		if n.err != nil || n.status != http.StatusOK {
			t.Fatalf("GET /next = %d, %v; want 200", n.status, n.err)
		}
		got[n.body] = n
	}

	t.Run("each parked waiter gets one invocation with the mandatory headers", func(t *testing.T) {
		for _, body := range []string{"first", "second"} {
			n, ok := got[body]
			if !ok {
				t.Fatalf("no /next answer carried %q; got %v", body, got)
			}
			h := n.header
			if !requestIDPattern.MatchString(h.Get("x-fc-request-id")) {
				t.Errorf("x-fc-request-id = %q", h.Get("x-fc-request-id"))
			}
			if _, err := strconv.ParseInt(h.Get("x-fc-function-deadline"), 10, 64); err != nil {
				t.Errorf("x-fc-function-deadline = %q, want epoch ms", h.Get("x-fc-function-deadline"))
			}
			fixed := map[string]string{
				"x-fc-function-timeout": "45", "x-fc-retry-count": "0", "x-fc-qualifier": "LATEST",
				"x-fc-function-name": "iprodwatch", "x-fc-function-handler": "main", "x-fc-function-memory": "512",
				"x-fc-region": "cn-shanghai", "x-fc-account-id": "1234567890123456",
				"x-fc-access-key-id": "STS.fctestaccesskeyid", "x-fc-access-key-secret": "fctestaccesskeysecret",
				"x-fc-security-token": "fctestsecuritytoken",
			}
			gotFixed := map[string]string{}
			for k := range fixed {
				gotFixed[k] = h.Get(k)
			}
			if diff := cmp.Diff(fixed, gotFixed); diff != "" {
				t.Errorf("headers for %q (-want +got):\n%s", body, diff)
			}
		}
	})

	firstID, secondID := got["first"].header.Get("x-fc-request-id"), got["second"].header.Get("x-fc-request-id")
	t.Run("posts settle the invocation they name", func(t *testing.T) {
		if s := post(t, srv, firstID, "response", `{"ok":true}`); s != http.StatusOK {
			t.Errorf("POST response = %d, want 200", s)
		}
		if s := post(t, srv, secondID, "error", `{"errorMessage":"bad","errorType":"errorString"}`); s != http.StatusOK {
			t.Errorf("POST error = %d, want 200", s)
		}
		byID := map[string]fctest.Result{}
		for range 2 {
			r := <-results
			if r.err != nil {
				t.Fatalf("Invoke: %v", r.err)
			}
			byID[r.res.RequestID] = r.res
		}
		if r := byID[firstID]; r.Outcome != fctest.OutcomeSuccess || string(r.Body) != `{"ok":true}` {
			t.Errorf("first = %s %s, want Success {\"ok\":true}", r.Outcome, r.Body)
		}
		if r := byID[secondID]; r.Outcome != fctest.OutcomeError || r.ErrorType != "errorString" || r.ErrorMessage != "bad" {
			t.Errorf("second = %s %s/%s, want Error errorString/bad", r.Outcome, r.ErrorType, r.ErrorMessage)
		}
	})
	t.Run("a second post for a known id is accepted and counted late", func(t *testing.T) {
		if s := post(t, srv, firstID, "error", `{}`); s != http.StatusOK {
			t.Errorf("late POST = %d, want 200", s)
		}
		if c := srv.Counters(); c.LatePosts != 1 {
			t.Errorf("LatePosts = %d, want 1", c.LatePosts)
		}
	})
	t.Run("a post for an id never handed out is 404", func(t *testing.T) {
		if s := post(t, srv, "1-00000000-000000000000000000000000", "response", `{}`); s != http.StatusNotFound {
			t.Errorf("POST unknown = %d, want 404", s)
		}
	})
}

func TestAParkedWaiterIsDroppedWhenItsClientLeaves(t *testing.T) {
	srv := fctest.NewServer()
	t.Cleanup(srv.Close)
	gone, cancel := context.WithCancel(context.Background())
	first := make(chan rawNext, 1)
	go func() { first <- getNext(gone, srv) }()
	eventually(t, "the /next to park", func() bool { return srv.Counters().Next == 1 })
	cancel()
	<-first
	eventually(t, "the waiter to be dropped", func() bool { return srv.Counters().DroppedWaiters == 1 })

	// The next invocation goes to a live waiter, not to the one that left.
	done := make(chan fctest.Result, 1)
	go func() {
		res, _ := srv.Invoke(testCtx(t), []byte("x"), fctest.InvokeOptions{})
		done <- res
	}()
	n := getNext(testCtx(t), srv)
	if n.status != http.StatusOK || n.body != "x" {
		t.Fatalf("GET /next = %d %q, want 200 \"x\"", n.status, n.body)
	}
	post(t, srv, n.header.Get("x-fc-request-id"), "response", `1`)
	if res := <-done; res.Outcome != fctest.OutcomeSuccess {
		t.Errorf("Outcome = %s, want Success", res.Outcome)
	}
}

func TestCloseKillsTheProcessBeforeClosingTheListener(t *testing.T) {
	srv, inst := startFunction(t, nil)
	mustInvoke(t, srv, `{"mode":"echo"}`, fctest.InvokeOptions{})
	pid := inst.PID()
	srv.Close()

	t.Run("the process was reaped before any listener closed", func(t *testing.T) {
		exited, instListener, serverListener := -1, -1, -1
		for i, e := range srv.Events() {
			switch {
			case e.Kind == fctest.EventInstanceExited && e.Instance == 0:
				exited = i
			case e.Kind == fctest.EventListenerClosed && e.Instance == 0:
				instListener = i
			case e.Kind == fctest.EventListenerClosed && e.Instance == -1:
				serverListener = i
			}
		}
		if exited < 0 || exited > instListener || exited > serverListener {
			t.Errorf("events %+v: want InstanceExited before both ListenerClosed", srv.Events())
		}
		if !processGone(pid) {
			t.Errorf("process %d still exists after Close", pid)
		}
	})
	t.Run("the SDK never saw a connection error", func(t *testing.T) {
		for _, l := range inst.Lines() {
			if strings.Contains(l.Text, "failed to get invoke request") {
				t.Errorf("function logged %q", l.Text)
			}
		}
	})
	t.Run("invoking a closed server fails", func(t *testing.T) {
		if _, err := srv.Invoke(testCtx(t), []byte(`{}`), fctest.InvokeOptions{}); !errors.Is(err, fctest.ErrClosed) {
			t.Errorf("Invoke = %v, want ErrClosed", err)
		}
	})
}

func TestEndingTheStartContextStopsTheFunction(t *testing.T) {
	srv := fctest.NewServer()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	inst, err := srv.Start(ctx, fnBinary, nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	cancel()
	<-inst.Exited()
	if _, err := srv.Invoke(testCtx(t), []byte(`{}`), fctest.InvokeOptions{}); !errors.Is(err, fctest.ErrNotRunning) {
		t.Errorf("Invoke = %v, want ErrNotRunning", err)
	}
}

func TestRequestsFCWouldRefuse(t *testing.T) {
	srv := fctest.NewServer()
	t.Cleanup(srv.Close)
	ctx := testCtx(t)
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"a variable with the FC_ prefix", func() error {
			_, err := srv.Start(ctx, fnBinary, map[string]string{"FC_OWN": "x"})
			return err
		}, fctest.ErrInvalidEnv},
		{"a variable name starting with a digit", func() error {
			_, err := srv.Start(ctx, fnBinary, map[string]string{"1VAR": "x"})
			return err
		}, fctest.ErrInvalidEnv},
		{"variables over 4 KB in total", func() error {
			_, err := srv.Start(ctx, fnBinary, map[string]string{"BIG": strings.Repeat("x", 4096)})
			return err
		}, fctest.ErrInvalidEnv},
		{"an async payload over 128 KB", func() error {
			_, err := srv.InvokeAsync(ctx, bytes.Repeat([]byte("x"), fctest.MaxAsyncPayload+1), fctest.InvokeOptions{})
			return err
		}, fctest.ErrEntityTooLarge},
		{"a sync payload over 32 MB", func() error {
			_, err := srv.Invoke(ctx, make([]byte, fctest.MaxSyncPayload+1), fctest.InvokeOptions{})
			return err
		}, fctest.ErrEntityTooLarge},
		{"a timeout that is not whole seconds", func() error {
			_, err := srv.Invoke(ctx, nil, fctest.InvokeOptions{Timeout: 1500 * time.Millisecond})
			return err
		}, fctest.ErrInvalidTimeout},
		{"a timeout over 86400 s", func() error {
			_, err := srv.Invoke(ctx, nil, fctest.InvokeOptions{Timeout: 86401 * time.Second})
			return err
		}, fctest.ErrInvalidTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			if err := tc.do(); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if n := len(srv.Instances()); n != 0 {
		t.Errorf("%d processes started, want none", n)
	}
}
