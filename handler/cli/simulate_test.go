//go:build !iprodwatch.nodev

package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSimulatePrintsOneRowPerPollerAndRefusesABadWorkload(t *testing.T) {
	code, stdout, stderr := run(t, "", nil, "simulate", "-jobs", "200", "-json", "-workload", testdata+"/workloads/example.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Workload string
		Rows     []struct {
			Policy        string
			QueriesPerJob struct{ Mean, P95 float64 }
			LagSeconds    struct{ P50, P95 float64 }
			TimedOut      int
		}
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v: %q", err, stdout)
	}
	if out.Workload != "example.json" || len(out.Rows) != 11 || out.Rows[0].Policy != "iprodwatch" || out.Rows[10].Policy != "oracle" {
		t.Fatalf("got %+v", out)
	}
	if o := out.Rows[10]; o.QueriesPerJob.Mean != 1 || o.LagSeconds.P95 != 0 {
		t.Errorf("oracle %+v, want one query and no lag", o)
	}
	code, _, stderr = run(t, "", nil, "simulate", "-workload", testdata+"/workloads/bad/negative-share.json")
	if code != 1 || !strings.Contains(stderr, "algorithms.Cover.share") {
		t.Errorf("a bad workload: exit %d, %q", code, stderr)
	}
	if code, _, _ := run(t, "", nil, "simulate", "-jobs", "0"); code != 2 {
		t.Errorf("-jobs 0: exit %d, want 2", code)
	}
	if code, _, stderr := run(t, "", map[string]string{"IPRODWATCH_PRIORS": "{"}, "simulate", "-jobs", "10"); code != 1 || !strings.Contains(stderr, "IPRODWATCH_PRIORS") {
		t.Errorf("bad priors: exit %d, %q", code, stderr)
	}
}
