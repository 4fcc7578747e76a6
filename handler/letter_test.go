package handler_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler"
)

// TestReadLetterReadsEveryKindTheDeadLetterQueueHolds: the function's own dead letters (text, base64,
// cut), EventBridge's (the event), FC's asynchronous failures (a record around the payload) and
// what none of them is, one fixture per case in testdata/dlq.
func TestReadLetterReadsEveryKindTheDeadLetterQueueHolds(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	type letter struct {
		From, Reason, Trigger, JobID string
		At                           time.Time
		Requests                     []string
		Stuck                        string
	}
	tests := []struct {
		file string
		want letter
	}{
		{"iprodwatch-text.json", letter{From: "iprodwatch", Reason: `bad check message: invalid job id "bad id!": want ^[A-Za-z0-9_-]{1,128}$`, Trigger: "eventbridge", At: at,
			Requests: []string{`{"JobId":"bad id!"}`}}},
		{"iprodwatch-base64.json", letter{From: "iprodwatch", Reason: `no such job: QueryIProductionJob: no intelligent-production job "88c6ca184c0e432bbf5b665e2a15abcd"`,
			Trigger: "direct", JobID: "88c6ca184c0e432bbf5b665e2a15abcd", At: at, Requests: []string{`{"JobId":"88c6ca184c0e432bbf5b665e2a15abcd"}`}}},
		{"iprodwatch-truncated.json", letter{From: "iprodwatch", Reason: "bad check message: body is not JSON", Trigger: "topic", At: at,
			Stuck: "its body was cut to fit the dead-letter queue: it cannot be sent back whole"}},
		{"eventbridge-event.json", letter{From: "trigger", Reason: "the trigger gave up on this payload: the invocations kept failing until its retries ran out",
			Trigger: "eventbridge", JobID: "88c6ca184c0e432bbf5b665e2a15abcd", Requests: []string{`{"JobId":"88c6ca184c0e432bbf5b665e2a15abcd"}`}}},
		{"fc-async-topic.json", letter{From: "trigger", Reason: "FC gave up on an asynchronous invocation after 4 tries: UnhandledInvocationError: configuration fault: MNS SendMessage iprod-check: queue not exist",
			Trigger: "topic", JobID: "88c6ca184c0e432bbf5b665e2a15abcd", Requests: []string{`{"JobId":"88c6ca184c0e432bbf5b665e2a15abcd"}`}}},
		{"fc-async-timer.json", letter{From: "trigger", Reason: "FC gave up on an asynchronous invocation after 4 tries: FunctionResourceExhausted",
			Trigger: "timer", Stuck: "a timer tick: the next tick sweeps again, there is nothing to send back"}},
		{"unknown-object.json", letter{From: "unknown",
			Stuck: "not a dead letter, trigger payload or FC record iprodwatch knows: unknown trigger shape: an object with none of the distinguishing fields (specversion, triggerTime, TopicOwner, body+attrs, v, JobId)"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			l := handler.ReadLetter(readFixture(t, "dlq/"+tt.file))
			got := letter{From: l.From, Reason: l.Reason, Trigger: l.Trigger, JobID: l.JobID, At: l.At, Stuck: l.Stuck}
			for _, r := range l.Requests {
				got.Requests = append(got.Requests, string(r))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadLetter (-want +got):\n%s", diff)
			}
		})
	}
}
