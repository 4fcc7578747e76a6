package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler/cli"
	"iprodwatch/parse/parsetest"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// run runs the command line in-process and returns its exit code, standard output and error.
func run(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{
		Stdin:  strings.NewReader(stdin),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string { return env[k] },
		Now:    func() time.Time { return now },
	})
	return code, stdout.String(), stderr.String()
}

const testdata = "../../testdata"

func TestParsePrintsTheEventOfEverySuccessFixture(t *testing.T) {
	v, err := parsetest.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	fixtures, _ := filepath.Glob(testdata + "/mps/*/success.json")
	if len(fixtures) < 14 {
		t.Fatalf("found %d success fixtures, want one per algorithm", len(fixtures))
	}
	env := map[string]string{"IPRODWATCH_REGION": "cn-shanghai", "IPRODWATCH_ACCOUNT_ID": "1234567890123456"}
	for _, f := range fixtures {
		algorithm := filepath.Base(filepath.Dir(f))
		t.Run(algorithm, func(t *testing.T) {
			code, stdout, stderr := run(t, "", env, "parse", f)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if err := v.Validate([]byte(stdout)); err != nil {
				t.Errorf("output does not follow the schema: %v", err)
			}
			got, want := decode(t, stdout), decode(t, readFile(t, filepath.Join(testdata, "events", algorithm, "success.json")))
			// The golden event was built with other checks and another time; everything else agrees.
			for _, k := range []string{"id", "source", "type", "subject", "algorithm", "outcome"} {
				if got[k] != want[k] {
					t.Errorf("%s = %v, want %v", k, got[k], want[k])
				}
			}
			gotData, wantData := got["data"].(map[string]any), want["data"].(map[string]any)
			delete(gotData, "checks")
			delete(wantData, "checks")
			if diff := cmp.Diff(wantData, gotData); diff != "" {
				t.Errorf("data differs from the golden event (-want +got):\n%s", diff)
			}
			if got["time"] != "2026-11-25T12:00:00Z" {
				t.Errorf("time = %v, want the injected clock's", got["time"])
			}
		})
	}
}

func TestParseConventions(t *testing.T) {
	success := testdata + "/mps/Cover/success.json"
	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantStdout string // a substring; "" means stdout must be empty
		wantStderr string // a substring; "" means stderr must be empty
	}{
		{"a running job gets a one-line summary", "", []string{"parse", testdata + "/mps/VideoH2V/queuing.json"}, 0,
			"job 79827718fe8045dcabf1340b40ddc6bb (VideoH2V) is Queuing: not final, no event yet\n", ""},
		{"-json summarises a running job as JSON", "", []string{"parse", "-json", testdata + "/mps/VideoH2V/analysing.json"}, 0,
			`{"jobId":"05c21008e0a3de067c5cf7a3a9ad1ba8","algorithm":"VideoH2V","state":"Analysing","final":false}` + "\n", ""},
		{"standard input is read when FILE is absent", readFile(t, success), []string{"parse"}, 0, `"subject": "6f202e96d80e622b0c7acad9d237b998"`, ""},
		{"- names standard input", readFile(t, success), []string{"parse", "-"}, 0, `"outcome": "succeeded"`, ""},
		{"flags may follow the file", "", []string{"parse", success, "-json", "-region", "cn-beijing"}, 0,
			`"source":"acs:mts:cn-beijing::iproduction"`, ""},
		{"bad input exits 1 naming the file and the problem", "", []string{"parse", testdata + "/mps/errors/unknown-state.json"}, 1,
			"", `unknown-state.json: job "42d6306b2e3b8080ddc357d450f268d0": unknown State "Cancelled"`},
		{"an unknown job exits 1", "", []string{"parse", testdata + "/mps/errors/no-such-job.json"}, 1, "", "no intelligent-production job"},
		{"a missing file exits 1", "", []string{"parse", "nope.json"}, 1, "", "nope.json: no such file"},
		{"two files are a usage error", "", []string{"parse", success, success}, 2, "", "want at most one FILE"},
		{"an unknown flag is a usage error", "", []string{"parse", "-x"}, 2, "", "flag provided but not defined: -x"},
		{"a malformed region is a usage error", "", []string{"parse", "-region", "cn shanghai", success}, 2, "", `-region "cn shanghai"`},
		{"help lists the verbs", "", []string{"help"}, 0, "parse    show the event", ""},
		{"help VERB prints its usage and exit codes", "", []string{"help", "parse"}, 0, "Exit codes:\n  0  printed\n  1  bad input", ""},
		{"no arguments prints usage to stderr", "", nil, 2, "", "Usage:\n  iprodwatch <command>"},
		{"an unknown verb is a usage error", "", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tt.stdin, nil, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			check := func(stream, got, want string) {
				if want == "" && got != "" {
					t.Errorf("%s = %q, want nothing", stream, got)
				}
				if !strings.Contains(got, want) {
					t.Errorf("%s = %q, want it to contain %q", stream, got, want)
				}
			}
			check("stdout", stdout, tt.wantStdout)
			check("stderr", stderr, tt.wantStderr)
		})
	}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, s)
	}
	return m
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Issue 16: `iprodwatch help help` answered "unknown command"; `version` and `-version` did not
// exist.
func TestHelpVersionAndTheirFlags(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string // a substring of standard output
	}{
		{[]string{"help", "help"}, 0, "Usage: iprodwatch help [COMMAND | config]"},
		{[]string{"help", "version"}, 0, "Usage: iprodwatch version [-json]"},
		{[]string{"version"}, 0, "iprodwatch "},
		{[]string{"-version"}, 0, "iprodwatch "},
		{[]string{"--version"}, 0, "iprodwatch "},
		{[]string{"version", "-json"}, 0, `"go":"go`},
		{[]string{"help"}, 0, "version"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, "", nil, tt.args...)
			if code != tt.wantCode || !strings.Contains(stdout, tt.wantOut) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, stdout, stderr, tt.wantCode, tt.wantOut)
			}
		})
	}
	if code, _, _ := run(t, "", nil, "version", "extra"); code != 2 {
		t.Errorf("version with an argument: exit %d, want 2", code)
	}
}
