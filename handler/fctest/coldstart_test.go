package fctest_test

import (
	"context"
	"testing"

	"iprodwatch/handler/fctest"
)

// BenchmarkColdStart starts a fresh function process per iteration and reports exec to first
// GET /next, exec to first answer (an echo) and the process's peak RSS (VmHWM; 0 off Linux).
// Run with
//
//	go test ./handler/fctest -run '^$' -bench ColdStart -benchtime 20x
func BenchmarkColdStart(b *testing.B) {
	var coldTotal, readyTotal, rssMax, rssTotal float64
	for range b.N {
		srv := fctest.NewServer()
		inst, err := srv.Start(context.Background(), fnBinary, nil)
		if err != nil {
			b.Fatalf("Start: %v", err)
		}
		res, err := srv.Invoke(context.Background(), []byte(`{"mode":"echo"}`), fctest.InvokeOptions{})
		if err != nil || res.Outcome != fctest.OutcomeSuccess {
			b.Fatalf("Invoke = %s, %v", res.Outcome, err)
		}
		srv.Close() // samples VmHWM once more before the kill
		cold, ok := inst.ColdStart()
		if !ok {
			b.Fatal("no cold start measured")
		}
		coldTotal += float64(cold.Microseconds()) / 1000
		ready, _ := inst.Ready()
		readyTotal += float64(ready.Microseconds()) / 1000
		rss := float64(inst.PeakRSS()) / 1024
		rssTotal += rss
		rssMax = max(rssMax, rss)
	}
	b.ReportMetric(coldTotal/float64(b.N), "ms-exec-to-first-response")
	b.ReportMetric(readyTotal/float64(b.N), "ms-exec-to-first-next")
	b.ReportMetric(rssTotal/float64(b.N), "KiB-peak-RSS-mean")
	b.ReportMetric(rssMax, "KiB-peak-RSS-max")
}
