package handler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/clock"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mpstest"
)

// BenchmarkBatchAgainstOneCheck measures one invocation that checks a batch of 16 running jobs
// against one that checks one, with every QueryIProductionJob answered after 50 ms (the wall
// clock, real HTTP, the real SDKs). The batch's checks run in parallel, so its invocation should
// take well under twice as long as a single check's (target: under 2x).
func BenchmarkBatchAgainstOneCheck(b *testing.B) {
	w, err := handlertest.New(handlertest.Options{
		Clock: clock.Real{},
		Env:   map[string]string{"IPRODWATCH_QPS": "100", "IPRODWATCH_CONCURRENCY": "16"},
		MPS:   []mpstest.Option{mpstest.WithQPS(mpstest.ActionQuery, 0)},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	w.MPS.AddFault(mpstest.FaultRule{Action: mpstest.ActionQuery, Probability: 1, Fault: mpstest.Fault{Delay: 50 * time.Millisecond}})
	var ids []string
	for i := range 16 {
		id := fmt.Sprintf("%032x", i+1)
		p := mpstest.SubmitParams{FunctionName: "VideoH2V", Input: "oss://b/in.mp4", Output: "oss://b/out/{source}.mp4"}
		if err := w.MPS.SeedJob(mpstest.Job{ID: id, Params: p, Script: mpstest.Script{Analysing: time.Second, Never: true}}); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, `{"JobId":"`+id+`"}`)
	}
	for _, n := range []int{1, 16} {
		payload := []byte("[" + strings.Join(ids[:n], ",") + "]")
		b.Run(fmt.Sprintf("checks=%d", n), func(b *testing.B) {
			for b.Loop() {
				// A fresh instance per invocation: back to back, the invocations would exceed any
				// budget under the quota (16 queries per 50 ms), and the budget, not the
				// concurrency, would be measured.
				b.StopTimer()
				h := w.Handler(handler.WithLogger(discardLogger()))
				b.StartTimer()
				if _, err := h.Handle(context.Background(), payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
