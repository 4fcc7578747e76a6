//go:build !iprodwatch.nodev

package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/mts"
	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"iprodwatch/handler"
	"iprodwatch/handler/cli"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mnstest"
	"iprodwatch/parse"
)

// emulateVars is every variable emulate prints: what the function and the commands need.
var emulateVars = []string{"IPRODWATCH_MPS_ENDPOINT", "IPRODWATCH_MNS_ENDPOINT", "IPRODWATCH_REGION",
	"IPRODWATCH_ACCOUNT_ID", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
	"IPRODWATCH_CHECK_QUEUE", "IPRODWATCH_DLQ_QUEUE", "IPRODWATCH_EVENT_TOPIC", "IPRODWATCH_INTAKE_TOPIC"}

// startEmulate runs `iprodwatch emulate` in-process on free ports and returns the exported variables.
func startEmulate(t *testing.T, extra ...string) (vars map[string]string, stderr *handlertest.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	stderr = &handlertest.Buffer{}
	done := make(chan int, 1)
	args := append([]string{"emulate", "-mps", "127.0.0.1:0", "-mns", "127.0.0.1:0"}, extra...)
	go func() {
		done <- cli.Run(ctx, args, cli.Env{Stdout: w, Stderr: stderr, Getenv: func(string) string { return "" }, Now: time.Now})
		w.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("emulate exited %d; stderr:\n%s", code, stderr.String())
		}
		if !strings.Contains(stderr.String(), "iprodwatch emulate: stopped") {
			t.Errorf("emulate did not say it stopped; stderr:\n%s", stderr.String())
		}
	})
	// The export lines, read until all are there or for a minute at most: a missing one fails the
	// test instead of hanging it (emulate prints nothing more once it serves). The bound guards
	// against a hang; it measures nothing: emulate prints them within milliseconds.
	vars = map[string]string{}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	deadline := time.After(time.Minute)
read:
	for len(vars) < len(emulateVars) {
		select {
		case l, ok := <-lines:
			if !ok {
				break read
			}
			if k, v, ok := strings.Cut(strings.TrimPrefix(l, "export "), "="); ok && strings.HasPrefix(l, "export ") {
				vars[k] = v
			}
		case <-deadline:
			break read
		}
	}
	go func() {
		for range lines { // drain the rest
		}
	}()
	for _, k := range emulateVars {
		if vars[k] == "" {
			t.Fatalf("emulate printed no export line for %s (got %v)", k, vars)
		}
	}
	return vars, stderr
}

func TestEmulateServesTheRealSDKsAndRoutesNotifications(t *testing.T) {
	vars, stderr := startEmulate(t, "-speed", "3600")
	if vars["ALIBABA_CLOUD_ACCESS_KEY_ID"] != cli.LocalAccessKeyID {
		t.Errorf("access key id = %q", vars["ALIBABA_CLOUD_ACCESS_KEY_ID"])
	}

	// MNS through the real SDK: the plain http://127.0.0.1:PORT endpoint is reached through the
	// SDK's transport hook, as the function's adapter does.
	mnsAddr := strings.TrimPrefix(vars["IPRODWATCH_MNS_ENDPOINT"], "http://")
	mc := ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{
		EndPoint:    "http://" + vars["IPRODWATCH_ACCOUNT_ID"] + ".mns." + vars["IPRODWATCH_REGION"] + ".aliyuncs.com",
		AccessKeyId: cli.LocalAccessKeyID, AccessKeySecret: cli.LocalAccessKeySecret,
	})
	mc.SetTransport(&mnstest.Transport{Addr: mnsAddr})
	if err := ali_mns.NewMNSQueueManager(mc).CreateQueue("notify", 0, 65536, 345600, 30, 0, 3); err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}

	// MPS through the real SDK: submit a job that notifies the queue, then query it.
	mc2 := mpsClient(t, vars)
	submit := mts.CreateSubmitIProductionJobRequest()
	submit.FunctionName = "ImageH2V"
	submit.Input = "oss://media.oss-cn-shanghai.aliyuncs.com/in/poster.jpg"
	submit.Output = "oss://media.oss-cn-shanghai.aliyuncs.com/out/{source}-v.jpg"
	submit.NotifyUrl = "mns://" + vars["IPRODWATCH_ACCOUNT_ID"] + ".mns." + vars["IPRODWATCH_REGION"] + ".aliyuncs.com/queues/notify"
	resp, err := mc2.SubmitIProductionJob(submit)
	if err != nil {
		t.Fatalf("SubmitIProductionJob: %v", err)
	}

	// At 3600x the job's few seconds pass in milliseconds; its notification reaches the queue.
	queue := ali_mns.NewMNSQueue("notify", mc)
	var note struct{ JobId, State, Type string }
	deadline := time.Now().Add(20 * time.Second)
	for note.JobId == "" && time.Now().Before(deadline) {
		msgs, errs := make(chan ali_mns.MessageReceiveResponse, 1), make(chan error, 1)
		queue.ReceiveMessage(msgs, errs, 1)
		select {
		case m := <-msgs:
			if err := json.Unmarshal([]byte(m.MessageBody), &note); err != nil {
				t.Fatalf("notification is not JSON: %v: %s", err, m.MessageBody)
			}
		case <-errs: // MessageNotExist until the job ends
		}
	}
	if note.JobId != resp.JobId || note.State != "Success" || note.Type != "IProduction" {
		t.Fatalf("notification = %+v, want job %s Success IProduction", note, resp.JobId)
	}
	query := mts.CreateQueryIProductionJobRequest()
	query.JobId = resp.JobId
	qr, err := mc2.QueryIProductionJob(query)
	if err != nil {
		t.Fatalf("QueryIProductionJob: %v", err)
	}
	job, err := parse.DecodeJob(qr.GetHttpContentBytes())
	if err != nil {
		t.Fatalf("DecodeJob: %v", err)
	}
	if job.State != parse.StateSuccess || job.FunctionName != "ImageH2V" {
		t.Errorf("job = %s %s, want ImageH2V Success", job.FunctionName, job.State)
	}

	// Each request is logged on one line, secrets redacted.
	log := stderr.String()
	if !strings.Contains(log, " mps POST /?") || !strings.Contains(log, " mns PUT /queues/notify") {
		t.Errorf("request log lacks MPS or MNS lines:\n%s", log)
	}
	if strings.Contains(log, "Signature=") && !strings.Contains(log, "Signature=REDACTED") {
		t.Errorf("request log shows a signature:\n%s", log)
	}
}

func TestEmulateAnswersOtherRPCClientShapes(t *testing.T) {
	vars, _ := startEmulate(t)
	base := vars["IPRODWATCH_MPS_ENDPOINT"]
	// An unknown action is refused as the cloud does, whatever the client (here an unsigned GET,
	// refused for its missing signature first) and whatever verb it uses.
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		req, _ := http.NewRequest(method, base+"/?"+url.Values{"Action": {"QueryIProductionJob"}, "Version": {"2014-06-18"}}.Encode(), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Code string }
		json.NewDecoder(resp.Body).Decode(&body) //nolint:errcheck // checked through Code
		resp.Body.Close()
		if resp.StatusCode < 400 || body.Code == "" {
			t.Errorf("%s unsigned: status %d code %q, want an error code", method, resp.StatusCode, body.Code)
		}
	}
}

func TestEmulateRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"emulate", "-speed", "0"},
		{"emulate", "-account", "abc"},
		{"emulate", "extra"},
	} {
		code, _, stderr := run(t, "", nil, args...)
		if code != 2 || !strings.Contains(stderr, "Usage: iprodwatch emulate") {
			t.Errorf("%v: exit %d, stderr %q; want 2 with usage", args, code, stderr)
		}
	}
}

// mpsClient is the real mts client pointed at the emulator emulate printed.
func mpsClient(t *testing.T, vars map[string]string) *mts.Client {
	t.Helper()
	c, err := mts.NewClientWithAccessKey(vars["IPRODWATCH_REGION"], cli.LocalAccessKeyID, cli.LocalAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = strings.TrimPrefix(vars["IPRODWATCH_MPS_ENDPOINT"], "http://")
	return c
}

func startEmulateVars(t *testing.T, extra ...string) map[string]string {
	t.Helper()
	vars, _ := startEmulate(t, extra...)
	return vars
}

// firstJobID starts `iprodwatch emulate` with extra flags and returns the id of the first job
// submitted to it.
func firstJobID(t *testing.T, extra ...string) string {
	t.Helper()
	c := mpsClient(t, startEmulateVars(t, extra...))
	submit := mts.CreateSubmitIProductionJobRequest()
	submit.Scheme = "http"
	submit.FunctionName, submit.Input, submit.Output = "Cover", "oss://b/in.mp4", "oss://b/out/{index}.jpg"
	resp, err := c.SubmitIProductionJob(submit)
	if err != nil {
		t.Fatalf("SubmitIProductionJob: %v", err)
	}
	return resp.JobId
}

// Issue 16: every start gave the same sequence of job and request ids, so event ids repeated
// after a restart and a consumer's deduplication store dropped new events. Each start now draws
// its seed; -seed replays one.
func TestEmulateDrawsItsIdsPerStartAndReplaysASeed(t *testing.T) {
	a, b := firstJobID(t), firstJobID(t)
	if a == b {
		t.Errorf("two starts gave the same first job id %s", a)
	}
	if c, d := firstJobID(t, "-seed", "42"), firstJobID(t, "-seed", "42"); c != d {
		t.Errorf("-seed 42 gave %s and then %s, want the same", c, d)
	}
}

// Issue 16: emulate printed no queue or topic names and created none, so the function and the
// commands could not run against it from its export lines alone. It prints them (s.yaml's names)
// and creates them: the function's configuration loads from the printed lines, and the queues and
// topics exist.
func TestEmulatePrintsAndCreatesTheQueuesAndTopics(t *testing.T) {
	vars := startEmulateVars(t)
	if _, err := handler.LoadConfig(func(k string) string { return vars[k] }); err != nil {
		t.Errorf("the printed variables do not configure the function: %v", err)
	}
	mc := ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{
		EndPoint:    "http://" + vars["IPRODWATCH_ACCOUNT_ID"] + ".mns." + vars["IPRODWATCH_REGION"] + ".aliyuncs.com",
		AccessKeyId: cli.LocalAccessKeyID, AccessKeySecret: cli.LocalAccessKeySecret,
	})
	mc.SetTransport(&mnstest.Transport{Addr: strings.TrimPrefix(vars["IPRODWATCH_MNS_ENDPOINT"], "http://")})
	for _, q := range []string{vars["IPRODWATCH_CHECK_QUEUE"], vars["IPRODWATCH_DLQ_QUEUE"]} {
		if _, err := ali_mns.NewMNSQueueManager(mc).GetQueueAttributes(q); err != nil {
			t.Errorf("queue %q: %v", q, err)
		}
	}
	for _, tp := range []string{vars["IPRODWATCH_EVENT_TOPIC"], vars["IPRODWATCH_INTAKE_TOPIC"]} {
		if _, err := ali_mns.NewMNSTopicManager(mc).GetTopicAttributes(tp); err != nil {
			t.Errorf("topic %q: %v", tp, err)
		}
	}
}

// TestTheREADMEsSessionRunsAgainstEmulate is Operations' session: emulate's export lines configure
// setup, submit, invoke and check, end to end (issue 16). Emulate runs 1000 times faster than the
// wall clock, so the job ends within a second.
func TestTheREADMEsSessionRunsAgainstEmulate(t *testing.T) {
	vars := startEmulateVars(t, "-speed", "1000")
	do := func(stdin string, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := cli.Run(context.Background(), args, cli.Env{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
			Getenv: func(k string) string { return vars[k] }, Now: time.Now})
		return code, stdout.String(), stderr.String()
	}
	if code, stdout, stderr := do("", "setup"); code != 0 || strings.Count(stdout, ": matches") != 4 {
		t.Fatalf("setup: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr := do("", "submit", "-function", "Cover", "-input", "oss://media/in/a.mp4", "-output", "oss://media/out/{fileName}")
	job := strings.TrimSpace(stdout)
	if code != 0 || parse.ValidateJobID(job) != nil {
		t.Fatalf("submit: exit %d, %q %s", code, stdout, stderr)
	}
	if code, stdout, stderr := do("", "invoke", "-trigger", "queue", "-job", job); code != 0 || !strings.Contains(stdout, `"trigger": "eventbridge"`) {
		t.Fatalf("invoke: exit %d\n%s%s", code, stdout, stderr)
	}
	// The job ends after a few emulated minutes at most: a few hundred milliseconds here. The
	// loop's bound guards against a hang; it measures nothing.
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		code, stdout, stderr = do("", "check", "-json", job)
		if code != 4 || time.Since(start) > time.Minute {
			break
		}
	}
	if code != 0 || !strings.Contains(stdout, `"outcome":"succeeded"`) || !strings.Contains(stdout, parse.EventID(job, parse.OutcomeSucceeded)) {
		t.Errorf("check: exit %d\n%s%s", code, stdout, stderr)
	}
}
