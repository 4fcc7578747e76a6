package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mnstest"
)

type setupLine struct {
	Kind, Name, Status string
	Differences        []struct{ Attribute, Have, Want string }
}

func setupLines(t *testing.T, stdout string) []setupLine {
	t.Helper()
	var out []setupLine
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var s setupLine
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("%v: %q", err, l)
		}
		out = append(out, s)
	}
	return out
}

func statuses(ls []setupLine) map[string]string {
	m := map[string]string{}
	for _, l := range ls {
		m[l.Name] = l.Status
	}
	return m
}

func mutations(w *handlertest.World) int {
	n := 0
	for _, op := range []mnstest.Op{mnstest.OpCreateQueue, mnstest.OpSetQueueAttributes, mnstest.OpCreateTopic, mnstest.OpSetTopicAttributes} {
		n += w.MNS.CallCount(op)
	}
	return n
}

// TestSetupCreatesThenFindsEverythingMatching: on an account without them, setup creates the
// queues and topics with what they must have; run again, it finds them matching and changes nothing.
func TestSetupCreatesThenFindsEverythingMatching(t *testing.T) {
	w := opsWorld(t)
	args := []string{"setup", "-json", "-check-queue", "new-check", "-dlq", "new-dlq", "-event-topic", "new-events", "-intake-topic", "new-intake"}
	code, stdout, stderr := run(t, "", w.Env(), args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := map[string]string{"new-check": "created", "new-dlq": "created", "new-events": "created", "new-intake": "created"}
	if diff := cmp.Diff(want, statuses(setupLines(t, stdout))); diff != "" {
		t.Errorf("first run (-want +got):\n%s", diff)
	}
	a, err := w.MNS.QueueAttributes("new-check")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(mnstest.QueueAttributes{MaximumMessageSize: 65536, MessageRetentionPeriod: 604800, VisibilityTimeout: 60}, a); diff != "" {
		t.Errorf("check queue created with (-want +got):\n%s", diff)
	}
	before := mutations(w)
	code, stdout, _ = run(t, "", w.Env(), args...)
	for k := range want {
		want[k] = "matches"
	}
	if diff := cmp.Diff(want, statuses(setupLines(t, stdout))); code != 0 || diff != "" {
		t.Errorf("second run: exit %d (-want +got):\n%s", code, diff)
	}
	if n := mutations(w) - before; n != 0 {
		t.Errorf("the second run made %d create or set calls, want none", n)
	}
}

// TestSetupNeverChangesAQueueWithoutFix: a queue with the wrong attributes is reported with each
// difference (exit 3) and left as it is; -fix sets them and says so; then it matches.
func TestSetupNeverChangesAQueueWithoutFix(t *testing.T) {
	w := opsWorld(t)
	wrong := mnstest.QueueAttributes{DelaySeconds: 5, MaximumMessageSize: 4096, MessageRetentionPeriod: 3600, VisibilityTimeout: 30}
	if err := w.MNS.CreateQueue("old-check", wrong); err != nil {
		t.Fatal(err)
	}
	args := []string{"setup", "-json", "-check-queue", "old-check"}
	code, stdout, _ := run(t, "", w.Env(), args...)
	if code != 3 {
		t.Fatalf("exit %d, want 3", code)
	}
	var check setupLine
	for _, l := range setupLines(t, stdout) {
		if l.Name == "old-check" {
			check = l
		}
	}
	var got []string
	for _, d := range check.Differences {
		got = append(got, d.Attribute+": "+d.Have+" -> "+d.Want)
	}
	wantDiffs := []string{
		"MaximumMessageSize: 4096 B -> 65536 B",
		"MessageRetentionPeriod: 3600 s -> at least 91800 s",
		"VisibilityTimeout: 30 s -> at least 60 s",
		"DelaySeconds: 5 s -> 0 s",
	}
	if diff := cmp.Diff(wantDiffs, got); check.Status != "differs" || diff != "" {
		t.Errorf("status %q, differences (-want +got):\n%s", check.Status, diff)
	}
	if a, _ := w.MNS.QueueAttributes("old-check"); a != wrong {
		t.Errorf("setup without -fix changed the queue to %+v", a)
	}
	code, stdout, _ = run(t, "", w.Env(), append(args, "-fix")...)
	if st := statuses(setupLines(t, stdout)); code != 0 || st["old-check"] != "fixed" {
		t.Errorf("-fix: exit %d, statuses %v", code, st)
	}
	if a, _ := w.MNS.QueueAttributes("old-check"); a != (mnstest.QueueAttributes{MaximumMessageSize: 65536, MessageRetentionPeriod: 604800, VisibilityTimeout: 60}) {
		t.Errorf("-fix left the queue at %+v", a)
	}
	code, stdout, _ = run(t, "", w.Env(), "setup", "-check-queue", "old-check")
	if code != 0 || strings.Contains(stdout, "differs") {
		t.Errorf("after -fix: exit %d\n%s", code, stdout)
	}
}

func TestSetupStopsAtAFailedCall(t *testing.T) {
	w := opsWorld(t)
	w.MNS.FailNext(mnstest.OpGetQueueAttributes, mnstest.Fault{Status: 500})
	code, _, stderr := run(t, "", w.Env(), "setup")
	if code != 1 || !strings.Contains(stderr, "check queue "+handlertest.CheckQueue) {
		t.Errorf("exit %d, stderr %q; want 1 naming the check queue", code, stderr)
	}
}

// TestSetupNeverAsksMoreThanMNSTakes: a pull budget of a day asks a visibility timeout MNS cannot
// set; setup creates the queue with MNS's longest (found by review: CreateQueue was refused).
func TestSetupNeverAsksMoreThanMNSTakes(t *testing.T) {
	w := opsWorld(t)
	env := with(w.Env(), "IPRODWATCH_PULL_BUDGET", "24h", "IPRODWATCH_DEADLINE", "166h30m")
	if code, stdout, stderr := run(t, "", env, "setup", "-check-queue", "long-check"); code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	if a, _ := w.MNS.QueueAttributes("long-check"); a.VisibilityTimeout != 43200 || a.MessageRetentionPeriod != 604800 {
		t.Errorf("created with %+v", a)
	}
}
