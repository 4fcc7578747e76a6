package cli_test

import (
	"encoding/json"
	"encoding/xml"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mnstest"
)

// letters puts every fixture of testdata/dlq on the world's dead-letter queue, in name order, and
// returns their names.
func letters(t *testing.T, w *handlertest.World) []string {
	t.Helper()
	files, _ := filepath.Glob(testdata + "/dlq/*.json")
	slices.Sort(files)
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.MNS.Send(handlertest.DLQQueue, strings.TrimSpace(string(b)), 0, 8); err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(f))
	}
	return names
}

type dlqLine struct {
	MessageID, From, JobID, Trigger, Reason, Stuck, Redrive, Error string
}

func dlqLines(t *testing.T, stdout string) []dlqLine {
	t.Helper()
	var out []dlqLine
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if l == "" {
			continue
		}
		var d dlqLine
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("%v: %q", err, l)
		}
		out = append(out, d)
	}
	return out
}

func bodies(w *handlertest.World, queue string) []string {
	var out []string
	for _, m := range w.MNS.Messages(queue) {
		out = append(out, m.Body)
	}
	slices.Sort(out)
	return out
}

func TestDLQOnAnEmptyQueue(t *testing.T) {
	w := opsWorld(t)
	code, stdout, stderr := run(t, "", w.Env(), "dlq", "list")
	if code != 0 || !strings.Contains(stdout, handlertest.DLQQueue+": no visible message") {
		t.Errorf("list: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, stdout, _ := run(t, "", w.Env(), "dlq", "list", "-json"); code != 0 || stdout != "" {
		t.Errorf("list -json: exit %d, stdout %q; want 0 and nothing", code, stdout)
	}
	if code, stdout, _ := run(t, "", w.Env(), "dlq", "redrive", "-all"); code != 0 || !strings.Contains(stdout, "0 sent back, 0 left") {
		t.Errorf("redrive: exit %d, stdout %q", code, stdout)
	}
	if code, _, _ := run(t, "", w.Env(), "dlq"); code != 2 {
		t.Errorf("dlq alone: exit %d, want 2", code)
	}
}

// TestDLQListShowsEveryKindWithoutTakingIt: list reads the function's own dead letters,
// EventBridge's and FC's, and a peek leaves them as they were.
func TestDLQListShowsEveryKindWithoutTakingIt(t *testing.T) {
	w := opsWorld(t)
	letters(t, w)
	code, stdout, stderr := run(t, "", w.Env(), "dlq", "list", "-json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got []string
	for _, l := range dlqLines(t, stdout) {
		got = append(got, l.From+" "+l.Trigger+" "+l.JobID+" stuck="+boolWord(l.Stuck != ""))
	}
	want := []string{
		"trigger eventbridge 88c6ca184c0e432bbf5b665e2a15abcd stuck=no",
		"trigger timer  stuck=yes",
		"trigger topic 88c6ca184c0e432bbf5b665e2a15abcd stuck=no",
		"iprodwatch direct 88c6ca184c0e432bbf5b665e2a15abcd stuck=no",
		"iprodwatch eventbridge  stuck=no",
		"iprodwatch topic  stuck=yes",
		"unknown   stuck=yes",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	for _, m := range w.MNS.Messages(handlertest.DLQQueue) {
		if m.DequeueCount != 0 || m.State != mnstest.StateActive {
			t.Errorf("message %s: dequeued %d times, %s after a list", m.ID, m.DequeueCount, m.State)
		}
	}
	code, stdout, _ = run(t, "", w.Env(), "dlq", "list", "-n", "2")
	if code != 0 || !strings.Contains(stdout, "(2 shown: MNS peeks at most 2") || strings.Count(stdout, "\n") != 4 {
		t.Errorf("list -n 2: exit %d\n%s", code, stdout)
	}
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// TestDLQRedriveSendsBackWhatItCanAndLeavesTheRest: each letter's check requests go back to the
// check queue as first sent, and the letter is deleted; what cannot be sent back stays, visible
// again, and the exit code says some were left.
func TestDLQRedriveSendsBackWhatItCanAndLeavesTheRest(t *testing.T) {
	w := opsWorld(t)
	letters(t, w)
	all := bodies(w, handlertest.DLQQueue)
	code, stdout, stderr := run(t, "", w.Env(), "dlq", "redrive", "-all")
	if code != 3 || !strings.Contains(stdout, "4 sent back, 3 left") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 3 and 4 sent back, 3 left", code, stdout, stderr)
	}
	wantBack := []string{`{"JobId":"88c6ca184c0e432bbf5b665e2a15abcd"}`, `{"JobId":"88c6ca184c0e432bbf5b665e2a15abcd"}`, `{"JobId":"88c6ca184c0e432bbf5b665e2a15abcd"}`, `{"JobId":"bad id!"}`}
	if diff := cmp.Diff(wantBack, bodies(w, handlertest.CheckQueue)); diff != "" {
		t.Errorf("check queue (-want +got):\n%s", diff)
	}
	var left []string
	for _, b := range all {
		if strings.Contains(b, "bodyTruncated") || strings.Contains(b, "triggerTime") || strings.Contains(b, "Records") {
			left = append(left, b)
		}
	}
	if diff := cmp.Diff(left, bodies(w, handlertest.DLQQueue)); diff != "" {
		t.Errorf("dead-letter queue after (-want +got):\n%s", diff)
	}
	w.MNS.Advance(2 * time.Second)
	for _, m := range w.MNS.Messages(handlertest.DLQQueue) {
		if m.State != mnstest.StateActive {
			t.Errorf("a letter left is %s, not visible again", m.State)
		}
	}
}

func TestDLQRedriveByIDTakesOnlyThose(t *testing.T) {
	w := opsWorld(t)
	letters(t, w)
	var pick string
	for _, m := range w.MNS.Messages(handlertest.DLQQueue) {
		if strings.Contains(m.Body, "bad id!") {
			pick = m.ID
		}
	}
	code, stdout, stderr := run(t, "", w.Env(), "dlq", "redrive", "-id", pick, "-id", "NOSUCHID")
	if code != 3 || !strings.Contains(stdout, "sent back "+pick) || !strings.Contains(stdout, "left NOSUCHID") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if got := bodies(w, handlertest.CheckQueue); !slices.Equal(got, []string{`{"JobId":"bad id!"}`}) {
		t.Errorf("check queue %q, want the one picked", got)
	}
	if n := len(w.MNS.Messages(handlertest.DLQQueue)); n != 6 {
		t.Errorf("%d letters left, want 6", n)
	}
	if code, _, _ := run(t, "", w.Env(), "dlq", "redrive"); code != 2 {
		t.Errorf("redrive without -all or -id: exit %d, want 2", code)
	}
}

// TestDLQRedriveThatFailsHalfWayLosesNothing: the second send fails; the first letter is back on
// the check queue and gone from the dead-letter queue, every other letter is still there.
func TestDLQRedriveThatFailsHalfWayLosesNothing(t *testing.T) {
	w := opsWorld(t)
	letters(t, w)
	before := len(w.MNS.Messages(handlertest.DLQQueue))
	w.MNS.FailNext(mnstest.OpSendMessage, mnstest.Pass, mnstest.Fault{Status: 500, Code: "InternalError"})
	code, _, stderr := run(t, "", w.Env(), "dlq", "redrive", "-all")
	if code != 1 || !strings.Contains(stderr, "1 sent back before it") {
		t.Fatalf("exit %d, stderr %q; want 1 saying one was sent back", code, stderr)
	}
	back, left := len(w.MNS.Messages(handlertest.CheckQueue)), len(w.MNS.Messages(handlertest.DLQQueue))
	if back != 1 || left != before-1 {
		t.Errorf("%d on the check queue and %d letters left, want 1 and %d", back, left, before-1)
	}
}

// reDeadLettering is an MNS endpoint in front of w's that dead-letters every message sent to the
// check queue at once, before the send is answered, as a function that finds it bad again would:
// the new letter names the message (named false: a letter that does not, as a shape from
// elsewhere might). It returns the endpoint and the count of messages sent back.
func reDeadLettering(t *testing.T, w *handlertest.World, named bool) (string, *atomic.Int32) {
	t.Helper()
	target, _ := url.Parse(w.MNS.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var sentBack atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/queues/"+handlertest.CheckQueue+"/messages" {
			proxy.ServeHTTP(rw, r)
			return
		}
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, r)
		var sent struct{ MessageId string }
		_ = xml.Unmarshal(rec.Body.Bytes(), &sent)
		id := ""
		if named {
			id = `,"messageId":"` + sent.MessageId + `"`
		}
		sentBack.Add(1)
		_, _ = w.MNS.Send(handlertest.DLQQueue, `{"v":1,"reason":"bad check message: again","trigger":"eventbridge"`+id+`,"at":"2026-11-25T12:00:00Z","body":"x"}`, 0, 8)
		maps.Copy(rw.Header(), rec.Header())
		rw.WriteHeader(rec.Code)
		_, _ = rw.Write(rec.Body.Bytes())
	}))
	t.Cleanup(front.Close)
	return front.URL, &sentBack
}

// TestDLQRedriveNeverLoops: a function that dead-letters every message sent back at once (a new
// letter, a new id) does not keep a redrive going: each letter there at the start is sent back
// once, and the new ones wait; and where a letter does not say which message it is about, -max
// bounds the run.
func TestDLQRedriveNeverLoops(t *testing.T) {
	for _, tt := range []struct {
		name     string
		named    bool
		args     []string
		sentBack int32
	}{
		{"the new letters name the message", true, nil, 3},
		{"the new letters do not", false, []string{"-max", "10"}, 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := opsWorld(t)
			for range 3 {
				if _, err := w.MNS.Send(handlertest.DLQQueue, `{"v":1,"reason":"bad check message: empty body","trigger":"eventbridge","at":"2026-11-25T12:00:00Z","body":"x"}`, 0, 8); err != nil {
					t.Fatal(err)
				}
			}
			endpoint, sentBack := reDeadLettering(t, w, tt.named)
			code, _, stderr := run(t, "", with(w.Env(), "IPRODWATCH_MNS_ENDPOINT", endpoint), append([]string{"dlq", "redrive", "-all"}, tt.args...)...)
			if code != 0 && code != 3 || sentBack.Load() != tt.sentBack {
				t.Fatalf("exit %d, %d sent back (stderr %.300q); want %d", code, sentBack.Load(), stderr, tt.sentBack)
			}
			if n := len(w.MNS.Messages(handlertest.DLQQueue)); n != 3 {
				t.Errorf("%d letters left, want the 3 newest", n)
			}
		})
	}
}

// TestDLQRedriveByIDStopsOnceItFoundThem: the other letters are not all taken (found by review:
// -id took the whole queue, hiding every letter and counting a receive on each).
func TestDLQRedriveByIDStopsOnceItFoundThem(t *testing.T) {
	w := opsWorld(t)
	for i := range 40 {
		if _, err := w.MNS.Send(handlertest.DLQQueue, `{"v":1,"reason":"r","trigger":"direct","at":"2026-11-25T12:00:00Z","body":"{\"JobId\":\"j`+strconv.Itoa(i)+`\"}"}`, 0, 8); err != nil {
			t.Fatal(err)
		}
	}
	head := w.MNS.Messages(handlertest.DLQQueue)[0].ID
	if code, _, stderr := run(t, "", w.Env(), "dlq", "redrive", "-id", head); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := w.MNS.CallCount(mnstest.OpBatchReceiveMessage); n != 1 {
		t.Errorf("%d receives for the letter at the head, want 1", n)
	}
	w.MNS.Advance(2 * time.Second)
	taken := 0
	for _, m := range w.MNS.Messages(handlertest.DLQQueue) {
		if m.DequeueCount > 0 {
			taken++
		}
		if m.State != mnstest.StateActive {
			t.Errorf("letter %s is %s after the redrive, not visible", m.ID, m.State)
		}
	}
	if taken > 15 {
		t.Errorf("%d other letters were received, want at most the rest of one batch", taken)
	}
}
