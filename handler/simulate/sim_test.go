package simulate_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"iprodwatch/handler"
	"iprodwatch/handler/policy"
	"iprodwatch/handler/simulate"
)

const testdata = "../../testdata/workloads/"

// TestSchedulesOnAFixedDurationGiveTheHandComputedQueriesAndLag: a job of 100 s.
func TestSchedulesOnAFixedDurationGiveTheHandComputedQueriesAndLag(t *testing.T) {
	job := []simulate.Job{{ID: "j", Algorithm: "Cover", Run: 100 * time.Second}}
	day := 24 * time.Hour
	tests := []struct {
		p       simulate.Poller
		queries float64
		lag     float64
	}{
		// Queries at 0, 30, 60, 90 and 120 s: five, the last 20 s after the end.
		{simulate.Fixed(30*time.Second, day), 5, 20},
		// 0, 10, ..., 100: eleven, the last at the end.
		{simulate.Fixed(10*time.Second, day), 11, 0},
		// 0, 1, 3, 7, 15, 31, 63, 127: eight, 27 s late.
		{simulate.Exponential("x2", time.Second, 2, 0, false, day, 1), 8, 27},
		// 0, 5, 12.5, 23.75, 40.625, 65.9375, 103.90625: seven, 3.90625 s late.
		{simulate.Exponential("x1.5", 5*time.Second, 1.5, 300*time.Second, false, day, 1), 7, 3.90625},
		{simulate.Oracle{}, 1, 0},
	}
	for _, tt := range tests {
		r := simulate.Measure(tt.p, job)
		if r.QueriesPerJob.Mean != tt.queries || r.LagSeconds.P50 != tt.lag || r.TimedOut != 0 {
			t.Errorf("%s: %v queries, %v s lag, %d timed out; want %v and %v", tt.p.Name(), r.QueriesPerJob.Mean, r.LagSeconds.P50, r.TimedOut, tt.queries, tt.lag)
		}
	}
	// A job longer than the deadline: a fixed poller queries until the deadline, and times out there.
	long := []simulate.Job{{ID: "j", Run: 2 * time.Hour}}
	if r := simulate.Measure(simulate.Fixed(10*time.Minute, time.Hour), long); r.QueriesPerJob.Mean != 7 || r.TimedOut != 1 {
		t.Errorf("past the deadline: %v queries, %d timed out; want 7 (0, 10, ..., 60 min) and 1", r.QueriesPerJob.Mean, r.TimedOut)
	}
}

func rules(deadline time.Duration) handler.Rules {
	return handler.RulesOf(handler.Config{Region: "cn-shanghai", AccountID: "1", Deadline: deadline, StalledAfter: time.Hour, Policy: policy.Default()}, 0)
}

// TestIprodwatchRunsTheHandlersCheckPath: its queries are the handler's decisions. A job already
// over at its first check costs one query; a job that never ends is published timed out at the
// deadline, after the policy's checks; the fast path publishes on the notification.
func TestIprodwatchRunsTheHandlersCheckPath(t *testing.T) {
	p := simulate.Iprodwatch{Label: "iprodwatch", Rules: rules(time.Hour)}
	// The submitter gave the algorithm (iprodwatch submit does): the first query waits for the
	// prior's first slot (handler.Plan), and finds a job that was over at once there.
	if tr := p.Find(simulate.Job{ID: "done", Algorithm: "Cover"}); tr.Queries != 1 || tr.DetectedAt <= 0 || tr.DetectedAt > 5*time.Minute || tr.TimedOut {
		t.Errorf("a job over at once: %+v, want one query, at the prior's first slot", tr)
	}
	tr := p.Find(simulate.Job{ID: "never", Algorithm: "Cover", Run: 3 * time.Hour})
	if !tr.TimedOut || tr.DetectedAt != time.Hour || tr.Queries < 3 || tr.Queries > 60 {
		t.Errorf("a job past the deadline: %+v, want timed out at 1h after a few checks (the cap is 5 min)", tr)
	}
	fast := p
	fast.Notify = func(simulate.Job) (time.Duration, bool) { return 2 * time.Second, true }
	job := simulate.Job{ID: "video", Algorithm: "VideoH2V", Queue: 20 * time.Second, Run: 10 * time.Minute}
	polled, notified := p.Find(job), fast.Find(job)
	if notified.DetectedAt != job.Duration()+2*time.Second || notified.Queries > polled.Queries+2 {
		t.Errorf("fast path: %+v (polling alone %+v); want detected 2 s after the end", notified, polled)
	}
}

// TestCompareIsDeterministicForASeed: the same seed, the same table; another seed, another.
func TestCompareIsDeterministicForASeed(t *testing.T) {
	o := simulate.Options{Jobs: 300, Seed: 3, Policy: policy.Default(), Lost: 0.05}
	a, b := simulate.Compare(simulate.Default(), o), simulate.Compare(simulate.Default(), o)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two runs with seed 3 differ:\n%s", diff)
	}
	o.Seed = 4
	if cmp.Equal(a, simulate.Compare(simulate.Default(), o)) {
		t.Error("seeds 3 and 4 give the same table")
	}
	var names []string
	for _, r := range a {
		names = append(names, r.Policy)
	}
	want := []string{"iprodwatch", "iprodwatch fast path", "fixed 10s", "fixed 20s", "fixed 30s", "fixed 60s", "fixed 120s", "fixed 300s",
		"durable functions default", "exponential 1s x2", "oracle"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestParseReadsTheShippedWorkloads(t *testing.T) {
	files, _ := filepath.Glob(testdata + "*.json")
	if len(files) < 4 {
		t.Fatalf("%d workloads in testdata, want the example and three shapes", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w, err := simulate.Parse(filepath.Base(f), b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		sum := 0.0
		for _, m := range w.Algorithms {
			sum += m.Share
		}
		if sum < 0.999 || sum > 1.001 {
			t.Errorf("%s: shares sum to %v, want them normalised", f, sum)
		}
	}
	w, _ := simulate.Parse("example", []byte(readFile(t, testdata+"example.json")))
	if got := w.Algorithms["Cover"]; got.Share != 0.7 || len(got.Durations) != 4 {
		t.Errorf("example's Cover: %+v", got)
	}
}

func TestParseNamesTheFieldThatIsWrong(t *testing.T) {
	for file, want := range map[string]string{
		"zero-median.json":         "algorithms.Cover.queueSeconds.median: 0: want seconds above 0",
		"negative-share.json":      "algorithms.Cover.share: -1: want a number from 0 to 1e+06",
		"duration-not-number.json": "cannot unmarshal string",
		"both-forms.json":          "algorithms.Cover.durationsSeconds: given with queueSeconds or processingSeconds",
		"no-durations.json":        "algorithms.Cover.processingSeconds: want queueSeconds and processingSeconds, or durationsSeconds",
		"unknown-field.json":       `unknown field "durationsSecs"`,
		"all-shares-zero.json":     "algorithms: every share is 0",
		"no-algorithms.json":       "algorithms: want at least one",
		"duration-too-long.json":   "algorithms.Cover.durationsSeconds[1]: 9.999999e+06: want seconds from 0.001 to 604800",
		// Found by review: a quote reached the MPS answer the simulator writes, and panicked it;
		// shares summing to infinity normalised to 0.
		"quote-in-name.json": `algorithms.a"b: want an algorithm name as MPS writes FunctionName`,
		"huge-shares.json":   "algorithms.a.share: 1e+308: want a number from 0 to 1e+06",
	} {
		_, err := simulate.Parse(file, []byte(readFile(t, testdata+"bad/"+file)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", file, err, want)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSVGDrawsAPointPerRowAndTheFixedFrontier(t *testing.T) {
	rows := simulate.Compare(simulate.Default(), simulate.Options{Jobs: 200, Seed: 1, Policy: policy.Default(), Lost: 0.05})
	var b strings.Builder
	if err := simulate.SVG(&b, "default & <test>", rows); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(strings.NewReader(b.String()))
	circles, polylines := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "circle":
				circles++
			case "polyline":
				polylines++
			}
		}
	}
	if circles != len(rows) || polylines != 1 {
		t.Errorf("%d points and %d lines for %d rows, want a point each and one frontier", circles, polylines, len(rows))
	}
}

// TestPriorsFitTheWorkloadAndDeployAsIPRODWATCHPRIORS: phases as given; durations as a lognormal
// whose median is their geometric mean; and the value is one the function accepts.
func TestPriorsFitTheWorkloadAndDeployAsIPRODWATCHPRIORS(t *testing.T) {
	w, err := simulate.Parse("w", []byte(`{"algorithms": {
		"VideoH2V": {"share": 1, "queueSeconds": {"median": 8, "sigma": 0.6}, "processingSeconds": {"median": 240, "sigma": 0}},
		"Cover": {"share": 1, "durationsSeconds": [10, 40]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := w.Priors()
	want := map[string]policy.Prior{
		"VideoH2V": {Queue: policy.Phase{MedianSeconds: 8, Spread: 0.6}, Processing: policy.Phase{MedianSeconds: 240, Spread: 0.1}},
		"Cover":    {Queue: policy.Phase{MedianSeconds: 1, Spread: 0.1}, Processing: policy.Phase{MedianSeconds: 20, Spread: math.Log(2)}},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("priors (-want +got):\n%s", diff)
	}
	b, _ := json.Marshal(got)
	cfg, err := handler.LoadConfig(func(k string) string {
		return map[string]string{"IPRODWATCH_REGION": "cn-shanghai", "IPRODWATCH_ACCOUNT_ID": "1", "IPRODWATCH_CHECK_QUEUE": "c",
			"IPRODWATCH_DLQ_QUEUE": "d", "IPRODWATCH_EVENT_TOPIC": "e", "IPRODWATCH_PRIORS": string(b)}[k]
	})
	if err != nil {
		t.Fatalf("the function refuses the fitted priors: %v", err)
	}
	if cfg.Policy.Priors["Cover"] != got["Cover"] || simulate.Fitted(policy.Default(), w).Priors["ImageH2V"] != policy.Default().Priors["ImageH2V"] {
		t.Error("the fitted priors are not laid over the others")
	}
}

// TestTheFastPathKeepsATimedOutChainsOutcome (found by review): a job that outlives the deadline is
// reported timed out by its chain; its notification, later, adds its query and nothing else.
func TestTheFastPathKeepsATimedOutChainsOutcome(t *testing.T) {
	p := simulate.Iprodwatch{Label: "iprodwatch", Rules: rules(time.Hour)}
	fast, lost := p, p
	fast.Notify = func(simulate.Job) (time.Duration, bool) { return time.Second, true }
	lost.Notify = func(simulate.Job) (time.Duration, bool) { return 0, false } // the backstop alone
	job := simulate.Job{ID: "long", Algorithm: "VideoH2V", Run: 2 * time.Hour}
	backstop, notified := lost.Find(job), fast.Find(job)
	if !backstop.TimedOut || !notified.TimedOut || notified.DetectedAt != backstop.DetectedAt || notified.Queries != backstop.Queries+1 {
		t.Errorf("fast path %+v, its backstop alone %+v: want the same time-out and one query more", notified, backstop)
	}
}

// TestFittedPriorsStayWithinWhatTheFunctionTakes (found by review): durations from a millisecond
// to a week fit a spread over 5, which IPRODWATCH_PRIORS refuses.
func TestFittedPriorsStayWithinWhatTheFunctionTakes(t *testing.T) {
	w, err := simulate.Parse("wide", []byte(`{"algorithms":{"b":{"share":1,"durationsSeconds":[0.001,604800]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(w.Priors())
	if _, err := handler.LoadConfig(func(k string) string {
		return map[string]string{"IPRODWATCH_REGION": "cn-shanghai", "IPRODWATCH_ACCOUNT_ID": "1", "IPRODWATCH_CHECK_QUEUE": "c",
			"IPRODWATCH_DLQ_QUEUE": "d", "IPRODWATCH_EVENT_TOPIC": "e", "IPRODWATCH_PRIORS": string(b)}[k]
	}); err != nil {
		t.Errorf("the function refuses %s: %v", b, err)
	}
}

// TestASparserBackstopCostsFewerQueriesAndFindsEveryLostJob: the fast path's backstop, sparser,
// costs fewer queries; the jobs whose notification was lost are still found, none timed out.
func TestASparserBackstopCostsFewerQueriesAndFindsEveryLostJob(t *testing.T) {
	rows := simulate.Backstops(simulate.Default(), simulate.Options{Jobs: 400, Seed: 2, Policy: policy.Default(), Lost: 0.1},
		[]float64{0.3, 0.9}, []time.Duration{5 * time.Minute, 30 * time.Minute})
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	dense, sparse := rows[0], rows[3]
	if sparse.QueriesPerJob >= dense.QueriesPerJob || sparse.Lost == 0 || sparse.LostTimedOut != 0 || sparse.NotifiedP95 > 5 {
		t.Errorf("dense %+v, sparse %+v: want fewer queries, every lost job found, notified ones within 5 s", dense, sparse)
	}
}
