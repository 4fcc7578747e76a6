package triggertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"iprodwatch/handler/clock"
	"iprodwatch/handler/mnstest"
	"iprodwatch/handler/triggertest"
)

// A handler test: the EventBridge queue trigger feeds the handler what a producer sent through
// the real MNS SDK, on a manual clock.
func ExampleNewQueueSource() {
	clk := clock.NewManual(time.Date(2026, 5, 1, 4, 0, 0, 0, time.UTC))
	srv := mnstest.NewServer(mnstest.WithClock(clk), mnstest.WithCredential("testid", "testsecret"))
	defer srv.Close()
	_ = srv.CreateQueue("iprod-check", mnstest.QueueAttributes{})
	client := srv.NewSDKClient("testid", "testsecret", "", 0)

	producer := ali_mns.NewMNSQueue("iprod-check", client)
	_, _ = producer.SendMessage(ali_mns.MessageSendRequest{MessageBody: `{"JobId":"88c6ca184c0e432bbf5b665e2a15abcd"}`, Priority: 8})

	handler := func(_ context.Context, payload []byte) error {
		var events []struct {
			Type string `json:"type"`
			Data struct {
				MessageBody string `json:"messageBody"`
			} `json:"data"`
		}
		if err := json.Unmarshal(payload, &events); err != nil {
			return err
		}
		for _, e := range events {
			fmt.Println(e.Type, e.Data.MessageBody)
		}
		return nil
	}
	src, err := triggertest.NewQueueSource(ali_mns.NewMNSQueue("iprod-check", client), handler,
		triggertest.WithClock(clk), triggertest.WithBase64Decode(false), triggertest.WithErrorsTolerance(triggertest.ToleranceAll))
	if err != nil {
		fmt.Println(err)
		return
	}
	n, err := src.RunDue(context.Background())
	fmt.Println(n, err, len(srv.Messages("iprod-check")))
	// Output:
	// mns:Queue:SendMessage {"JobId":"88c6ca184c0e432bbf5b665e2a15abcd"}
	// 1 <nil> 0
}

// A timer on a manual clock fires once per tick passed.
func ExampleNewTimer() {
	clk := clock.NewManual(time.Date(2026, 5, 1, 4, 0, 0, 0, time.UTC))
	tm, err := triggertest.NewTimer("0 */5 * * * *", `{"mode":"sweep"}`, func(_ context.Context, p []byte) error {
		fmt.Println(string(p))
		return nil
	}, triggertest.WithClock(clk), triggertest.WithTriggerName("iprodwatch-sweep"))
	if err != nil {
		fmt.Println(err)
		return
	}
	clk.Advance(10 * time.Minute)
	_, _ = tm.RunDue(context.Background())
	// Output:
	// {"triggerTime":"2026-05-01T04:05:00Z","triggerName":"iprodwatch-sweep","payload":"{\"mode\":\"sweep\"}"}
	// {"triggerTime":"2026-05-01T04:10:00Z","triggerName":"iprodwatch-sweep","payload":"{\"mode\":\"sweep\"}"}
}
