package e2e_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"iprodwatch/handler/clock"
	"iprodwatch/handler/fctest"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mpstest"
)

// BenchmarkColdStart starts the deployed binary under the FC runtime emulator, again and again, and
// reports the medians of: exec to the first /next (the runtime is ready), exec to the first answer
// of a direct invoke that checks a finished job (one MPS query and one MNS publish), and peak RSS;
// beside the same figures for a hello-world fc-runtime-go-sdk function built the same way (the
// floor), and the binary sizes.
func BenchmarkColdStart(b *testing.B) {
	floor := buildFloor(b)
	w, err := handlertest.New(handlertest.Options{Clock: clock.Real{}})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	p := mpstest.SubmitParams{FunctionName: "ImageH2V", Input: "oss://b/in.jpg", Output: "oss://b/out/{source}.jpg"}
	if err := w.MPS.SeedJob(mpstest.Job{ID: job1, Params: p, Script: mpstest.Script{}}); err != nil {
		b.Fatal(err)
	}
	env := map[string]string{}
	for k, v := range w.Env() {
		if strings.HasPrefix(k, "IPRODWATCH_") {
			env[k] = v
		}
	}
	cred := fctest.WithCredentials(fctest.Credentials{AccessKeyID: handlertest.AccessKeyID, AccessKeySecret: handlertest.Secret})
	run := func(bin string, env map[string]string, payload string) (ready, first time.Duration, rss int64) {
		srv := fctest.NewServer(cred)
		inst, err := srv.Start(context.Background(), bin, env)
		if err != nil {
			b.Fatal(err)
		}
		res, err := srv.Invoke(context.Background(), []byte(payload), fctest.InvokeOptions{})
		if err != nil || res.IsError() {
			b.Fatalf("%s: %s %s %v", bin, res.Outcome, res.ErrorMessage, err)
		}
		srv.Close()
		ready, _ = inst.Ready()
		first, _ = inst.ColdStart()
		return ready, first, inst.PeakRSS()
	}
	var ours, base [3][]float64
	for b.Loop() {
		r, f, m := run(binary, env, `{"JobId":"`+job1+`"}`)
		ours[0], ours[1], ours[2] = append(ours[0], ms(r)), append(ours[1], ms(f)), append(ours[2], float64(m)/(1<<20))
		r, f, m = run(floor, nil, `{"mode":"echo"}`)
		base[0], base[1], base[2] = append(base[0], ms(r)), append(base[1], ms(f)), append(base[2], float64(m)/(1<<20))
	}
	b.ReportMetric(median(ours[0]), "ms-ready")
	b.ReportMetric(median(ours[1]), "ms-first-answer")
	b.ReportMetric(median(ours[2]), "MiB-peak-RSS")
	b.ReportMetric(median(base[0]), "floor-ms-ready")
	b.ReportMetric(median(base[1]), "floor-ms-first-answer")
	b.ReportMetric(median(base[2]), "floor-MiB-peak-RSS")
	b.ReportMetric(median(ours[0])/median(base[0]), "x-floor-ready")
	b.ReportMetric(size(b, binary)/(1<<20), "MiB-binary")
	b.ReportMetric(size(b, floor)/(1<<20), "floor-MiB-binary")
}

// buildFloor builds fctest's test function, a plain fc-runtime-go-sdk program, with the deploy flags.
func buildFloor(b *testing.B) string {
	out := filepath.Join(b.TempDir(), "floor")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./../fctest/testdata/fn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building the floor: %v\n%s", err, o)
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func size(b *testing.B, path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return float64(fi.Size())
}
