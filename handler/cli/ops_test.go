package cli_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mnstest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/parse"
)

// The operator commands run in-process against the emulators of a handlertest world, through the
// real SDKs, configured as the function is (its Env).

func opsWorld(t *testing.T) *handlertest.World {
	t.Helper()
	w, err := handlertest.New(handlertest.Options{MNS: []mnstest.Option{mnstest.WithStrictOrder()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// with is env with the given variables changed ("" removes one).
func with(env map[string]string, kv ...string) map[string]string {
	out := maps.Clone(env)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
			continue
		}
		out[kv[i]] = kv[i+1]
	}
	return out
}

func seed(t *testing.T, w *handlertest.World, id string, sc mpstest.Script) {
	t.Helper()
	if err := w.MPS.SeedJob(mpstest.Job{ID: id, Params: mpstest.SubmitParams{FunctionName: "Cover", Input: "oss://b/in.mp4", Output: "oss://b/out/{fileName}"}, Script: sc}); err != nil {
		t.Fatal(err)
	}
}

// TestEveryOperatorCommandSaysWhatConfigurationIsMissing: with nothing set, each command names the
// variables and the credentials it needs, exits 1 and calls nothing.
func TestEveryOperatorCommandSaysWhatConfigurationIsMissing(t *testing.T) {
	w := opsWorld(t)
	for _, args := range [][]string{
		{"setup"}, {"check", "abc"}, {"watch", "abc"}, {"dlq", "list"}, {"dlq", "redrive", "-all"},
		{"submit", "-function", "Cover", "-input", "oss://b/i", "-output", "oss://b/o"}, {"invoke", "-trigger", "timer"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, _, stderr := run(t, "", nil, args...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			for _, v := range []string{"IPRODWATCH_REGION: required", "IPRODWATCH_CHECK_QUEUE: required", "IPRODWATCH_DLQ_QUEUE: required"} {
				if !strings.Contains(stderr, v) {
					t.Errorf("stderr does not name %q:\n%s", v, stderr)
				}
			}
			code, _, stderr = run(t, "", with(w.Env(), "ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""), args...)
			if args[0] != "invoke" && (code != 1 || !strings.Contains(stderr, "ALIBABA_CLOUD_ACCESS_KEY_SECRET")) {
				t.Errorf("without a secret: exit %d, stderr %q; want 1 naming the variable", code, stderr)
			}
		})
	}
	if n := len(w.MPS.Calls()) + len(w.MNS.Calls()); n != 0 {
		t.Errorf("%d calls made without a configuration", n)
	}
}

// TestAWrongKeyIsAnErrorNamingTheService: a secret the cloud does not know fails every command
// with exit 1 and the service's own code.
func TestAWrongKeyIsAnErrorNamingTheService(t *testing.T) {
	w := opsWorld(t)
	env := with(w.Env(), "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong")
	for _, tt := range []struct {
		args []string
		code string
	}{
		{[]string{"setup"}, "SignatureDoesNotMatch"},
		{[]string{"check", "abc"}, "SignatureDoesNotMatch"},
		{[]string{"watch", "abc"}, "SignatureDoesNotMatch"},
		{[]string{"dlq", "list"}, "SignatureDoesNotMatch"},
		{[]string{"submit", "-function", "Cover", "-input", "oss://b/i", "-output", "oss://b/o"}, "SignatureDoesNotMatch"},
	} {
		code, _, stderr := run(t, "", env, tt.args...)
		if code != 1 || !strings.Contains(stderr, tt.code) {
			t.Errorf("%v: exit %d, stderr %q; want 1 with %s", tt.args, code, stderr, tt.code)
		}
	}
}

func TestCheckExitsByTheJobsStateAndPrintsTheFunctionsEvent(t *testing.T) {
	w := opsWorld(t)
	seed(t, w, "jobsucceeded", mpstest.Script{})
	seed(t, w, "jobfailed", mpstest.Script{Final: mpstest.StateFail})
	seed(t, w, "jobrunning", mpstest.Script{Never: true})
	tests := []struct {
		job     string
		code    int
		state   parse.State
		outcome parse.Outcome
	}{
		{"jobsucceeded", 0, parse.StateSuccess, parse.OutcomeSucceeded},
		{"jobfailed", 3, parse.StateFail, parse.OutcomeFailed},
		{"jobrunning", 4, parse.StateAnalysing, ""},
	}
	for _, tt := range tests {
		t.Run(tt.job, func(t *testing.T) {
			code, stdout, stderr := run(t, "", w.Env(), "check", "-json", tt.job)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			var got struct {
				JobID, Algorithm string
				State            parse.State
				Outcome          parse.Outcome
				Event            *parse.Event
			}
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("%v: %q", err, stdout)
			}
			if got.JobID != tt.job || got.Algorithm != "Cover" || got.State != tt.state || got.Outcome != tt.outcome {
				t.Errorf("got %+v", got)
			}
			if tt.outcome == "" {
				if got.Event != nil {
					t.Errorf("a running job has an event: %+v", got.Event)
				}
				return
			}
			if got.Event == nil || got.Event.ID != parse.EventID(tt.job, tt.outcome) {
				t.Errorf("event %+v, want the function's id %s", got.Event, parse.EventID(tt.job, tt.outcome))
			}
		})
	}
	if n := len(w.MNS.Published(handlertest.EventTopic)); n != 0 {
		t.Errorf("check without -publish published %d events", n)
	}
}

func TestCheckPublishSendsTheEventWithItsOutcomeTag(t *testing.T) {
	w := opsWorld(t)
	seed(t, w, "jobfailed", mpstest.Script{Final: mpstest.StateFail})
	seed(t, w, "jobrunning", mpstest.Script{Never: true})
	if code, _, stderr := run(t, "", w.Env(), "check", "-publish", "jobrunning"); code != 4 {
		t.Fatalf("running: exit %d; %s", code, stderr)
	}
	code, stdout, stderr := run(t, "", w.Env(), "check", "-publish", "jobfailed")
	if code != 3 {
		t.Fatalf("exit %d, want 3; %s", code, stderr)
	}
	pub := w.MNS.Published(handlertest.EventTopic)
	if len(pub) != 1 || pub[0].Tag != "failed" {
		t.Fatalf("published %+v, want one event tagged failed", pub)
	}
	var e parse.Event
	if err := json.Unmarshal([]byte(pub[0].Body), &e); err != nil || e.ID != parse.EventID("jobfailed", parse.OutcomeFailed) {
		t.Errorf("published event %v (%v), want id %s", e.ID, err, parse.EventID("jobfailed", parse.OutcomeFailed))
	}
	if !strings.Contains(stdout, "published to topic "+handlertest.EventTopic) {
		t.Errorf("stdout does not say it published:\n%s", stdout)
	}
}

func TestCheckErrors(t *testing.T) {
	w := opsWorld(t)
	seed(t, w, "jobslow", mpstest.Script{Never: true})
	w.MPS.FailNext(mpstest.ActionQuery, "jobslow", 1, mpstest.Fault{RawStatus: http.StatusBadGateway, RawBody: []byte("<html><body>502 Bad Gateway</body></html>")})
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown job", []string{"check", "nosuchjob"}, 1, "MPS has no job nosuchjob"},
		{"a gateway's page", []string{"check", "jobslow"}, 1, "not the API's answer"},
		{"not a job id", []string{"check", "bad id"}, 2, "invalid job id"},
		{"no job id", []string{"check"}, 2, "want one job id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, "", w.Env(), tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d with %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}

// checkMessages returns the check messages on the check queue, decoded.
func checkMessages(t *testing.T, w *handlertest.World) []parse.Check {
	t.Helper()
	var out []parse.Check
	for _, m := range w.MNS.Messages(handlertest.CheckQueue) {
		r, err := parse.DecodeCheck([]byte(m.Body))
		if err != nil {
			t.Fatalf("a check message that does not decode: %v: %s", err, m.Body)
		}
		out = append(out, r.Check)
	}
	return out
}

func TestWatchSendsOneFirstCheckPerJob(t *testing.T) {
	w := opsWorld(t)
	code, stdout, stderr := run(t, "job-a job-b\n# a comment\njob-a\n", w.Env(), "watch", "-expected", "90", "-deadline", "2h", "-json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := strings.Count(stdout, `"queue":"iprod-check"`); got != 2 {
		t.Errorf("stdout has %d sent lines, want 2:\n%s", got, stdout)
	}
	var got []parse.Check
	for _, c := range checkMessages(t, w) {
		got = append(got, parse.Check{JobID: c.JobID, Attempt: c.Attempt, FirstCheckedAt: c.FirstCheckedAt, Deadline: c.Deadline, ExpectedSeconds: c.ExpectedSeconds, Version: c.Version})
	}
	want := []parse.Check{
		{Version: 1, JobID: "job-a", Attempt: 1, FirstCheckedAt: now, Deadline: now.Add(2 * time.Hour), ExpectedSeconds: 90},
		{Version: 1, JobID: "job-b", Attempt: 1, FirstCheckedAt: now, Deadline: now.Add(2 * time.Hour), ExpectedSeconds: 90},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("check messages (-want +got):\n%s", diff)
	}
}

func TestWatchRefusesBadIdsAndReportsAFailedSend(t *testing.T) {
	w := opsWorld(t)
	if code, _, stderr := run(t, "", w.Env(), "watch", "good", "bad id!"); code != 2 || !strings.Contains(stderr, `invalid job id "bad id!"`) {
		t.Errorf("a bad id: exit %d, %q; want 2 naming it", code, stderr)
	}
	if code, _, _ := run(t, "", w.Env(), "watch", "-deadline", "30s", "good"); code != 2 {
		t.Errorf("-deadline 30s: exit %d, want 2", code)
	}
	if n := len(w.MNS.Messages(handlertest.CheckQueue)); n != 0 {
		t.Fatalf("%d messages sent for refused arguments", n)
	}
	w.MNS.FailNext(mnstest.OpSendMessage, mnstest.Fault{Status: 500}, mnstest.Pass)
	code, stdout, stderr := run(t, "", w.Env(), "watch", "one", "two")
	if code != 1 || !strings.Contains(stderr, "job one not watched") || !strings.Contains(stdout, "watching two") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, one failed and two sent", code, stdout, stderr)
	}
}

var submitArgs = []string{"submit", "-function", "VideoH2V", "-input", "oss://b/in.mp4", "-output", "oss://b/out/{fileName}", "-user-data", `{"flow":"f-1"}`}

func submits(w *handlertest.World) []mpstest.Call {
	var out []mpstest.Call
	for _, c := range w.MPS.Calls() {
		if c.Action == mpstest.ActionSubmit {
			out = append(out, c)
		}
	}
	return out
}

func TestSubmitSubmitsWithTheFastPathAndWatches(t *testing.T) {
	w := opsWorld(t)
	code, stdout, stderr := run(t, "", w.Env(), append(submitArgs, "-json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct{ JobID, RequestID string }
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.JobID == "" || got.RequestID == "" {
		t.Fatalf("stdout %q (%v), want {jobId, requestId}", stdout, err)
	}
	subs := submits(w)
	if len(subs) != 1 {
		t.Fatalf("%d submits, want 1", len(subs))
	}
	p := subs[0].Params
	if p.Get("NotifyUrl") != w.NotifyURL() || p.Get("FunctionName") != "VideoH2V" || p.Get("UserData") != `{"flow":"f-1"}` {
		t.Errorf("submitted %v", p)
	}
	checks := checkMessages(t, w)
	if len(checks) != 1 || checks[0].JobID != got.JobID || checks[0].Attempt != 1 || !checks[0].Notified {
		t.Errorf("check queue holds %+v, want the job's first check, marked notified (its chain is the backstop)", checks)
	}
	// -no-notify: no NotifyUrl, and a chain that polls at full density.
	if code, _, _ := run(t, "", w.Env(), append(submitArgs, "-no-notify")...); code != 0 || submits(w)[1].Params.Has("NotifyUrl") {
		t.Errorf("-no-notify: exit %d, params %v", code, submits(w)[1].Params)
	}
	if checks := checkMessages(t, w); len(checks) != 2 || checks[1].Notified {
		t.Errorf("-no-notify: check queue holds %+v, want the second unmarked", checks)
	}
}

// TestSubmitIsNeverRetriedAndSaysWhetherAJobMayExist: a refused submit is safe to repeat (exit 1);
// one whose answer is lost after the job was created is not (exit 5, nothing watched, no second
// submit); one whose first check cannot be sent names the job to watch (exit 6).
func TestSubmitIsNeverRetriedAndSaysWhetherAJobMayExist(t *testing.T) {
	tests := []struct {
		name     string
		mps      *mpstest.Fault
		mns      *mnstest.Fault
		code     int
		stderr   string
		jobs     int // jobs that exist after it
		checks   int
		printsID bool
	}{
		{name: "refused", mps: &mpstest.Fault{Error: &mpstest.APIError{Status: 400, Code: "InvalidParameter.Input", Message: "The specified parameter Input is not valid."}},
			code: 1, stderr: "submitting again is safe", jobs: 0},
		{name: "throttled", mps: &mpstest.Fault{Error: &mpstest.APIError{Status: 400, Code: "Throttling.User", Message: "Request was denied due to user flow control."}},
			code: 1, stderr: "submitting again is safe", jobs: 0},
		{name: "answer lost", mps: &mpstest.Fault{Drop: true, AfterApply: true}, code: 5, stderr: "Do not submit again", jobs: 1},
		// A gateway's 408 page says nothing of the request: the job may exist (found by review).
		{name: "gateway 408 after the submit", mps: &mpstest.Fault{RawStatus: 408, RawBody: []byte("<html>408 Request Timeout</html>"), AfterApply: true},
			code: 5, stderr: "Do not submit again", jobs: 1},
		{name: "gateway 502 after the submit", mps: &mpstest.Fault{RawStatus: 502, RawBody: []byte("<html>502 Bad Gateway</html>"), AfterApply: true},
			code: 5, stderr: "Do not submit again", jobs: 1},
		{name: "first check not sent", mns: &mnstest.Fault{Status: 500}, code: 6, stderr: "Run: iprodwatch watch", jobs: 1, printsID: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := opsWorld(t)
			if tt.mps != nil {
				w.MPS.FailNext(mpstest.ActionSubmit, "", 1, *tt.mps)
			}
			if tt.mns != nil {
				w.MNS.FailNext(mnstest.OpSendMessage, *tt.mns, *tt.mns, *tt.mns)
			}
			code, stdout, stderr := run(t, "", w.Env(), submitArgs...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d with %q", code, stderr, tt.code, tt.stderr)
			}
			subs := submits(w)
			if len(subs) != 1 {
				t.Errorf("%d submit requests, want exactly 1 (never retried)", len(subs))
			}
			created := 0
			for _, s := range subs {
				if s.JobID != "" {
					created++
				}
			}
			if created != tt.jobs {
				t.Errorf("%d jobs created, want %d", created, tt.jobs)
			}
			if n := len(w.MNS.Messages(handlertest.CheckQueue)); n != tt.checks {
				t.Errorf("%d check messages, want %d", n, tt.checks)
			}
			if tt.printsID && (created == 0 || strings.TrimSpace(stdout) != subs[0].JobID) {
				t.Errorf("stdout %q, want the job id", stdout)
			}
		})
	}
}
