package handler_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mnstest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/handler/triggertest"
	"iprodwatch/parse"
)

func TestTheIntakeTopicTriggerInBothFormats(t *testing.T) {
	for _, format := range []triggertest.NotifyContentFormat{triggertest.FormatJSON, triggertest.FormatStream} {
		t.Run(string(format), func(t *testing.T) {
			e := newEnv(t, handlertest.Options{})
			e.seed(job1, "Cover", mpstest.Script{Analysing: time.Second, Done: 90 * time.Second}, false)
			push, err := triggertest.NewTopicPush(e.w.MNS, handlertest.IntakeTopic, e.invoke,
				triggertest.WithClock(e.clk), triggertest.WithNotifyContentFormat(format))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(push.Close)
			// A submitter publishes a check request to the intake topic; the running job is then
			// re-queued to the check queue and followed by the queue trigger.
			if _, err := e.w.MNS.Publish(handlertest.IntakeTopic, `{"JobId":"`+job1+`"}`, ""); err != nil {
				t.Fatal(err)
			}
			e.drive(func() bool { return len(e.eventsFor(job1)) > 0 }, 200, push, e.queueTrigger())
			if ev := e.eventsFor(job1)[0]; ev.Outcome != parse.OutcomeSucceeded {
				t.Errorf("outcome %s", ev.Outcome)
			}
			if push.Stats().Failures != 0 {
				t.Errorf("the topic trigger saw failed invocations: %+v", push.Stats())
			}
		})
	}
}

func TestTimerPullModeDefersRunningJobsAndDeletesFinishedOnes(t *testing.T) {
	e := newEnv(t, handlertest.Options{})
	e.seed(job1, "ImageH2V", mpstest.Script{Done: 30 * time.Second}, false)
	e.seed(job2, "VideoH2V", mpstest.Script{Analysing: time.Second, Done: 20 * time.Minute}, false)
	e.send(`{"JobId":"` + job1 + `"}`)
	e.send(`{"JobId":"` + job2 + `"}`)
	e.send(`garbage`)
	timer, err := triggertest.NewTimer("@every 60s", `{"mode":"sweep"}`, e.invoke, triggertest.WithClock(e.clk))
	if err != nil {
		t.Fatal(err)
	}
	sent := e.w.MNS.CallCount(mnstest.OpSendMessage)
	e.drive(func() bool { return len(e.eventsFor(job1)) > 0 && len(e.eventsFor(job2)) > 0 }, 2000, timer)

	if got := e.w.MNS.CallCount(mnstest.OpSendMessage) - sent; got != 1 {
		t.Errorf("%d messages sent during the sweeps, want only the one dead letter: pull mode re-queues by visibility", got)
	}
	if left := e.w.MNS.Messages(handlertest.CheckQueue); len(left) != 0 {
		t.Errorf("%d messages left: finished jobs' messages must be deleted", len(left))
	}
	ev := e.eventsFor(job2)[0]
	// The attempt count comes from DequeueCount, the first check from FirstDequeueTime.
	if ev.Data.Checks.Attempts != e.w.MPS.CallCount(mpstest.ActionQuery, job2) || ev.Data.Checks.Attempts < 2 {
		t.Errorf("checks.attempts = %d, MPS saw %d", ev.Data.Checks.Attempts, e.w.MPS.CallCount(mpstest.ActionQuery, job2))
	}
	if len(e.w.DeadLetters()) != 1 {
		t.Errorf("dead letters %v, want the garbage", e.w.DeadLetters())
	}
	if st := timer.Stats(); st.Failures != 0 {
		t.Errorf("the timer saw failed invocations: %+v\n%s", st, e.logs.String())
	}
}

func TestPullModeRefusesAQueueThatForgetsJobsBeforeTheDeadline(t *testing.T) {
	e := newEnv(t, handlertest.Options{Retention: 12 * time.Hour})
	_, err := e.h.Handle(context.Background(), readFixture(t, "triggers/timer.json"))
	if !errors.Is(err, handler.ErrConfig) || !strings.Contains(err.Error(), "MessageRetentionPeriod") {
		t.Errorf("Handle(timer) = %v, want a configuration fault naming the retention", err)
	}
}

func TestDirectInvokes(t *testing.T) {
	e := newEnv(t, handlertest.Options{})
	e.seed(job1, "AudioMixing", mpstest.Script{Done: time.Second}, false)
	e.seed(job2, "AudioBeatDetection", mpstest.Script{Analysing: time.Second, Done: time.Hour}, false)
	e.clk.AdvanceTo(t0.Add(5 * time.Second))
	tests := []struct {
		name    string
		payload string
		want    []handler.Decision
	}{
		{"one check request", `{"JobId":"` + job1 + `"}`, []handler.Decision{handler.DecisionPublished}},
		{"a batch", `[{"JobId":"` + job1 + `"},{"v":1,"jobId":"` + job2 + `","attempt":3},{"nope":1}]`,
			[]handler.Decision{handler.DecisionPublished, handler.DecisionRequeued, handler.DecisionDeadLettered}},
		{"base64 of a check request", base64.StdEncoding.EncodeToString([]byte(`{"JobId":"` + job1 + `"}`)), []handler.Decision{handler.DecisionPublished}},
		{"an unknown trigger shape", `{"Records":[{"s3":{}}]}`, []handler.Decision{handler.DecisionDeadLettered}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.h.Handle(context.Background(), []byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			var s handler.Summary
			if err := json.Unmarshal(out, &s); err != nil {
				t.Fatalf("answer is not a summary: %s", out)
			}
			got := map[handler.Decision]int{}
			for _, d := range s.Decisions {
				got[d.Decision]++
			}
			want := map[handler.Decision]int{}
			for _, d := range tt.want {
				want[d]++
			}
			if len(got) != len(want) {
				t.Errorf("decisions %v, want %v", s.Decisions, tt.want)
			}
			for d, n := range want {
				if got[d] != n {
					t.Errorf("decisions %v, want %v", s.Decisions, tt.want)
				}
			}
		})
	}
	if dl := e.w.DeadLetters(); !strings.Contains(strings.Join(dl, "\n"), "unknown trigger shape") {
		t.Errorf("the unknown shape's dead letter does not say so: %v", dl)
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
