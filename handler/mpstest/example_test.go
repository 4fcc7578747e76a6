package mpstest_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/mts"

	"iprodwatch/handler/clock"
	"iprodwatch/handler/mpstest"
	"iprodwatch/parse"
)

// The real SDK client reaches the emulator through client.Domain; the job's lifecycle follows
// the manual clock.
func ExampleNewServer() {
	clk := clock.NewManual(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC))
	srv := mpstest.NewServer(mpstest.WithClock(clk), mpstest.WithCredential("testid", "testsecret"))
	defer srv.Close()
	_ = srv.SeedJob(mpstest.Job{ID: "job-1", Params: mpstest.SubmitParams{FunctionName: parse.AlgorithmVideoH2V},
		Script: mpstest.Script{Analysing: time.Second, Done: time.Minute}})

	c, _ := mts.NewClientWithAccessKey("cn-shanghai", "testid", "testsecret")
	c.Domain = strings.TrimPrefix(srv.URL, "http://")
	for _, step := range []time.Duration{0, time.Second, time.Minute} {
		clk.Advance(step)
		r := mts.CreateQueryIProductionJobRequest() // a fresh request per call, as the SDK needs
		r.JobId = "job-1"
		resp, err := c.QueryIProductionJob(r)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(resp.State)
	}
	// Output:
	// Queuing
	// Analysing
	// Success
}
