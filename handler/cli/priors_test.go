package cli_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/policy"
)

// history writes n completion events of algo whose durations are lognormal (median, spread), each
// with the checks a geometric schedule makes around its end, every tenth published twice (the fast
// path and the chain), and a line that is no event.
func history(n int, algo string, median, spread float64) string {
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	for i := range n {
		d := median * math.Exp(spread*r.NormFloat64())
		lo, hi := 0.0, 5.0
		for hi < d {
			lo, hi = hi, hi*1.3
		}
		first := now
		checks := map[string]any{"attempts": 5, "firstCheckedAt": first, "detectedAt": first.Add(time.Duration(hi * float64(time.Second)))}
		if lo > 0 {
			checks["lastRunningAt"] = first.Add(time.Duration(lo * float64(time.Second)))
		}
		e := map[string]any{"specversion": "1.0", "id": fmt.Sprintf("id-%d", i), "source": "acs:mts:cn-shanghai:1:iproduction",
			"type": "iprodwatch.job.succeeded.v1", "algorithm": algo, "outcome": "succeeded",
			"data": map[string]any{"jobId": fmt.Sprintf("job%d", i), "checks": checks, "files": []any{}, "userData": nil}}
		line, _ := json.Marshal(e)
		b.Write(line)
		b.WriteByte('\n')
		if i%10 == 0 {
			b.Write(line) // a copy: the same source and id
			b.WriteByte('\n')
		}
	}
	b.WriteString("not an event\n")
	return b.String()
}

func TestPriorsFitsTheEventsAndPrintsAValueTheFunctionTakes(t *testing.T) {
	code, stdout, stderr := run(t, history(1000, "Cover", 120, 0.7), nil, "priors")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got map[string]policy.Prior
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v: %q", err, stdout)
	}
	p := got["Cover"].Processing
	if math.Abs(p.MedianSeconds/120-1) > 0.08 || math.Abs(p.Spread/0.7-1) > 0.1 {
		t.Errorf("fitted %+v, want median 120 s and spread 0.7 within 8 and 10 %%", p)
	}
	if !strings.Contains(stderr, "Cover") || !strings.Contains(stderr, "1000") || !strings.Contains(stderr, "1 lines skipped") {
		t.Errorf("stderr does not count 1000 jobs (copies once) and the line skipped:\n%s", stderr)
	}
	if _, err := handler.LoadConfig(func(k string) string {
		return map[string]string{"IPRODWATCH_REGION": "cn-shanghai", "IPRODWATCH_ACCOUNT_ID": "1", "IPRODWATCH_CHECK_QUEUE": "c",
			"IPRODWATCH_DLQ_QUEUE": "d", "IPRODWATCH_EVENT_TOPIC": "e", "IPRODWATCH_PRIORS": strings.TrimSpace(stdout)}[k]
	}); err != nil {
		t.Errorf("the function refuses the value: %v", err)
	}
	if code, _, stderr := run(t, "nothing here\n", nil, "priors"); code != 1 || !strings.Contains(stderr, "no event") {
		t.Errorf("no events: exit %d, %q", code, stderr)
	}
}

// TestPriorsSkipsAnOverlongLineAndReadsCheckJSON (found by review): one huge line no longer
// aborts the run, and a line of iprodwatch check -json is read for its event.
func TestPriorsSkipsAnOverlongLineAndReadsCheckJSON(t *testing.T) {
	var wrapped strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(history(50, "Cover", 120, 0.7)), "\n") {
		if strings.HasPrefix(line, "{") {
			fmt.Fprintf(&wrapped, `{"jobId":"j","state":"Success","outcome":"succeeded","event":%s}`+"\n", line)
		}
	}
	in := strings.Repeat("x", 5<<20) + "\n" + wrapped.String()
	code, stdout, stderr := run(t, in, nil, "priors")
	if code != 0 || !strings.Contains(stdout, `"Cover"`) || !strings.Contains(stderr, "1 lines skipped") {
		t.Errorf("exit %d, stdout %.200q, stderr %q", code, stdout, stderr)
	}
}
