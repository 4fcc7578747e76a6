//go:build !iprodwatch.nodev

package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mpstest"
)

func TestInvokeRunsTheFunctionOnceWithTheTriggersPayload(t *testing.T) {
	w := opsWorld(t)
	seed(t, w, "jobrunning", mpstest.Script{Never: true})
	seed(t, w, "jobdone", mpstest.Script{})
	type summary struct {
		Trigger   string
		Queries   int
		Decisions []struct{ JobID, Decision string }
	}
	decode := func(stdout string) summary {
		var s summary
		if err := json.Unmarshal([]byte(stdout), &s); err != nil {
			t.Fatalf("%v: %q", err, stdout)
		}
		return s
	}
	code, stdout, stderr := run(t, "", w.Env(), "invoke", "-trigger", "queue", "-job", "jobrunning")
	if s := decode(stdout); code != 0 || s.Trigger != "eventbridge" || len(s.Decisions) != 1 || s.Decisions[0].Decision != "requeued" {
		t.Fatalf("queue: exit %d, %+v, stderr %q", code, s, stderr)
	}
	if !strings.Contains(stderr, `"msg":"decision"`) {
		t.Errorf("the function's log lines are not on stderr: %q", stderr)
	}
	if checks := checkMessages(t, w); len(checks) != 1 || checks[0].Attempt != 2 {
		t.Errorf("check queue %+v, want the requeued attempt 2", checks)
	}
	code, stdout, _ = run(t, "", w.Env(), "invoke", "-trigger", "topic", "-job", "jobdone")
	if s := decode(stdout); code != 0 || s.Trigger != "topic" || s.Decisions[0].Decision != "published" {
		t.Errorf("topic: exit %d, %+v", code, s)
	}
	if pub := w.MNS.Published(handlertest.EventTopic); len(pub) != 1 || pub[0].Tag != "succeeded" {
		t.Errorf("published %+v, want jobdone's event", pub)
	}
	w.MNS.Advance(time.Hour) // the requeued check is due
	code, stdout, _ = run(t, "", w.Env(), "invoke", "-trigger", "timer")
	if s := decode(stdout); code != 0 || s.Trigger != "timer" || s.Queries != 1 {
		t.Errorf("timer: exit %d, %+v; want the sweep of the requeued check", code, s)
	}
	code, stdout, _ = run(t, `{"JobId":"jobdone"}`, w.Env(), "invoke", "-")
	if s := decode(stdout); code != 0 || s.Trigger != "direct" {
		t.Errorf("payload from stdin: exit %d, %+v", code, s)
	}
	if code, _, _ := run(t, "", w.Env(), "invoke", "-trigger", "queue"); code != 2 {
		t.Errorf("queue without -job: exit %d, want 2", code)
	}
	// A fault the trigger would deliver again for: the function fails.
	code, _, stderr = run(t, "", with(w.Env(), "IPRODWATCH_EVENT_TOPIC", "no-such-topic"), "invoke", "-trigger", "direct", "-job", "jobdone")
	if code != 1 || !strings.Contains(stderr, "the function failed") {
		t.Errorf("no event topic: exit %d, stderr %q; want 1", code, stderr)
	}
}

func TestInvokeRefusesAnUnknownTriggerFirst(t *testing.T) {
	if code, _, stderr := run(t, "", nil, "invoke", "-trigger", "http"); code != 2 || !strings.Contains(stderr, `-trigger "http": want queue, topic, timer or direct`) {
		t.Errorf("exit %d, %q", code, stderr)
	}
}
