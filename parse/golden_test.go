package parse_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/parse"
	"iprodwatch/parse/parsetest"
)

var update = flag.Bool("update", false, "rewrite the golden events in testdata/events")

// fixedParams are the configuration and checks every golden event is built with.
func fixedParams() parse.Params {
	detected := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	return parse.Params{
		Region:  "cn-shanghai",
		Account: "1234567890123456",
		Time:    detected,
		Checks: parse.Checks{
			Attempts:       3,
			FirstCheckedAt: detected.Add(-95 * time.Second),
			DetectedAt:     detected,
		},
	}
}

// responseFixtures lists every response fixture of a job (all but testdata/mps/errors).
func responseFixtures(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../testdata/mps/*/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if filepath.Base(filepath.Dir(f)) != "errors" {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatal("no fixtures found under ../testdata/mps")
	}
	return out
}

// goldenPath maps testdata/mps/<algorithm>/<case>.json to testdata/events/<algorithm>/<case>.json.
func goldenPath(fixture string) string {
	return filepath.Join("..", "testdata", "events", filepath.Base(filepath.Dir(fixture)), filepath.Base(fixture))
}

func TestEventsMatchGoldenFilesAndSchema(t *testing.T) {
	v := mustValidator(t)
	for _, fixture := range responseFixtures(t) {
		name := strings.TrimPrefix(fixture, "../testdata/mps/")
		t.Run(name, func(t *testing.T) {
			job, err := parse.DecodeJob(mustRead(t, fixture))
			if err != nil {
				t.Fatalf("DecodeJob: %v", err)
			}
			golden := goldenPath(fixture)
			event, err := parse.NewEvent(job, fixedParams())
			if !job.State.Final() {
				if !errors.Is(err, parse.ErrNotFinal) {
					t.Fatalf("NewEvent on a %s job: err = %v, want ErrNotFinal", job.State, err)
				}
				if _, err := os.Stat(golden); err == nil {
					t.Errorf("%s exists for a job that is not final", golden)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewEvent: %v", err)
			}
			got, err := parse.EncodeEvent(event, "  ")
			if err != nil {
				t.Fatalf("EncodeEvent: %v", err)
			}
			checkGolden(t, golden, got)
			if err := v.Validate(got); err != nil {
				t.Errorf("event does not follow the schema: %v", err)
			}
		})
	}
}

func TestTimedOutEventsMatchGoldenFilesAndSchema(t *testing.T) {
	v := mustValidator(t)
	analysing, err := parse.DecodeJob(mustRead(t, "../testdata/mps/VideoH2V/analysing.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := fixedParams()
	p.Checks.Deadline = p.Time.Add(-time.Second)
	tests := []struct {
		name  string
		jobID string
		last  *parse.Job
	}{
		{"never-answered", "5d41402abc4b2a76b9719d911017c592", nil},
		{"last-seen-analysing", analysing.JobID, analysing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			event, err := parse.NewTimedOutEvent(tt.jobID, tt.last, p)
			if err != nil {
				t.Fatalf("NewTimedOutEvent: %v", err)
			}
			got, err := parse.EncodeEvent(event, "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("..", "testdata", "events", "timedout", tt.name+".json"), got)
			if err := v.Validate(got); err != nil {
				t.Errorf("event does not follow the schema: %v", err)
			}
		})
	}
}

// checkGolden compares got with the golden file as decoded JSON, or rewrites it under -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test ./parse -update to create it): %v", err)
	}
	if diff := cmp.Diff(decodeAny(t, want), decodeAny(t, got)); diff != "" {
		t.Errorf("event differs from %s (-want +got):\n%s", path, diff)
	}
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustValidator(t *testing.T) *parsetest.Validator {
	t.Helper()
	v, err := parsetest.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
