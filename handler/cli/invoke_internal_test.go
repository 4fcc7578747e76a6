//go:build !iprodwatch.nodev

package cli

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler"
	"iprodwatch/parse"
)

// keys lists the JSON object keys of b, nested objects as "outer.inner".
func keys(t *testing.T, b []byte) []string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var out []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			out = append(out, prefix+k)
			if inner, ok := v.(map[string]any); ok {
				walk(prefix+k+".", inner)
			}
		}
	}
	walk("", v)
	slices.Sort(out)
	return out
}

// TestInvokeBuildsThePayloadsOfTestdataTriggers: each built payload has the fields of its trigger's
// fixture, is read as that trigger, and carries the job's first check.
func TestInvokeBuildsThePayloadsOfTestdataTriggers(t *testing.T) {
	cfg, err := handler.LoadConfig(func(k string) string {
		return map[string]string{"IPRODWATCH_REGION": "cn-shanghai", "IPRODWATCH_ACCOUNT_ID": "1234567890123456",
			"IPRODWATCH_CHECK_QUEUE": "iprod-check", "IPRODWATCH_DLQ_QUEUE": "iprod-check-dlq", "IPRODWATCH_EVENT_TOPIC": "iprod-events",
			"IPRODWATCH_INTAKE_TOPIC": "iprod-intake"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 4, 0, 0, 123e6, time.UTC)
	for _, tt := range []struct {
		trigger, fixture string
		kind             parse.TriggerKind
	}{
		{"queue", "eventbridge-single.json", parse.TriggerEventBridge},
		{"topic", "topic-json.json", parse.TriggerTopic},
		{"timer", "timer.json", parse.TriggerTimer},
		{"direct", "direct-check.json", parse.TriggerDirect},
	} {
		t.Run(tt.trigger, func(t *testing.T) {
			got, err := buildPayload(cfg, tt.trigger, "88c6ca184c0e432bbf5b665e2a15abcd", at)
			if err != nil {
				t.Fatal(err)
			}
			fixture, err := os.ReadFile("../../testdata/triggers/" + tt.fixture)
			if err != nil {
				t.Fatal(err)
			}
			want := keys(t, fixture)
			if tt.trigger == "direct" {
				want = []string{"attempt", "jobId", "v"} // the first check: no times yet
			}
			if diff := cmp.Diff(want, keys(t, got)); diff != "" {
				t.Errorf("fields (-fixture +built):\n%s", diff)
			}
			tr, err := parse.DecodeTrigger(got)
			if err != nil || tr.Kind != tt.kind {
				t.Fatalf("read as %v (%v), want %s", tr, err, tt.kind)
			}
			if tt.kind == parse.TriggerTimer {
				return
			}
			if len(tr.Messages) != 1 || tr.Messages[0].Err != nil || tr.Messages[0].Request.Check.JobID != "88c6ca184c0e432bbf5b665e2a15abcd" {
				t.Errorf("messages %+v, want the job's check", tr.Messages)
			}
		})
	}
	if _, err := buildPayload(cfg, "http", "j", at); err == nil {
		t.Error("an unknown trigger was built")
	}
}
