package cli_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler"
	"iprodwatch/handler/cloud"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mpstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sYAMLEnv is the configuration s.yaml deploys, with the test account.
var sYAMLEnv = map[string]string{
	"IPRODWATCH_REGION": "cn-shanghai", "IPRODWATCH_ACCOUNT_ID": "1234567890123456", "IPRODWATCH_CHECK_QUEUE": "iprod-check",
	"IPRODWATCH_DLQ_QUEUE": "iprod-check-dlq", "IPRODWATCH_EVENT_TOPIC": "iprod-events", "IPRODWATCH_INTAKE_TOPIC": "iprod-intake",
}

// TestPolicyPrintsTheGoldenDocuments: the README shows these files.
func TestPolicyPrintsTheGoldenDocuments(t *testing.T) {
	for _, tt := range []struct {
		golden string
		args   []string
	}{
		{"function.json", []string{"policy"}},
		{"operator.json", []string{"policy", "-operator"}},
	} {
		code, stdout, stderr := run(t, "", sYAMLEnv, tt.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, stderr)
		}
		path := testdata + "/policy/" + tt.golden
		if *update {
			if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(readFile(t, path), stdout); diff != "" {
			t.Errorf("%v differs from %s (go test -update rewrites it) (-want +got):\n%s", tt.args, path, diff)
		}
	}
	if code, stdout, _ := run(t, "", sYAMLEnv, "policy", "-log-project", ""); code != 0 || strings.Contains(stdout, "log:") {
		t.Errorf(`-log-project "": exit %d, a log statement left in`, code)
	}
	if code, _, stderr := run(t, "", nil, "policy"); code != 1 || !strings.Contains(stderr, "IPRODWATCH_REGION: required") {
		t.Errorf("no configuration: exit %d, %q", code, stderr)
	}
}

// TestOperatorPolicyAllowsEveryCallOfTheCommandsAndNothingElse runs every operator command on
// resources that do not exist yet, and holds each call to iprodwatch policy -operator: every call
// allowed, every grant used.
func TestOperatorPolicyAllowsEveryCallOfTheCommandsAndNothingElse(t *testing.T) {
	w := opsWorld(t)
	env := with(w.Env(), "IPRODWATCH_CHECK_QUEUE", "op-check", "IPRODWATCH_DLQ_QUEUE", "op-dlq", "IPRODWATCH_EVENT_TOPIC", "op-events", "IPRODWATCH_INTAKE_TOPIC", "op-intake")
	cfg, err := handler.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	seed(t, w, "jobdone", mpstest.Script{})
	if code, _, stderr := run(t, "", env, "setup"); code != 0 {
		t.Fatalf("setup: exit %d: %s", code, stderr)
	}
	// Then someone else shrinks them all: setup -fix sets each back.
	service := w.MNS.NewSDKClient(handlertest.ServiceKeyID, handlertest.ServiceSecret, "", 0)
	for _, q := range []string{"op-check", "op-dlq"} {
		if err := ali_mns.NewMNSQueueManager(service).SetQueueAttributesWithOptions(q, ali_mns.WithMaxMessageSize(1024)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tp := range []string{"op-events", "op-intake"} {
		if err := ali_mns.NewMNSTopicManager(service).SetTopicAttributes(tp, 1024, false); err != nil {
			t.Fatal(err)
		}
	}
	steps := [][]string{
		{"setup", "-fix"},
		append(append([]string{}, submitArgs...), "-no-notify"),
		{"watch", "jobdone"},
		{"check", "-publish", "jobdone"},
	}
	for _, args := range steps {
		if code, _, stderr := run(t, "", env, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	// A dead letter to send back and one to leave (hidden while redrive runs, then shown again).
	for _, body := range []string{readFile(t, testdata+"/dlq/iprodwatch-text.json"), readFile(t, testdata+"/dlq/iprodwatch-truncated.json")} {
		if _, err := w.MNS.Send("op-dlq", strings.TrimSpace(body), 0, 8); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"dlq", "list"}, {"dlq", "redrive", "-all"}} {
		if code, _, stderr := run(t, "", env, args...); code > 3 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	pc := w.CheckPolicy(cloud.OperatorPolicy(cfg), cfg, nil)
	if len(pc.Denied) > 0 || len(pc.Unused) > 0 {
		t.Errorf("the operator policy denies %q\nand allows, unused, %q", pc.Denied, pc.Unused)
	}
}
