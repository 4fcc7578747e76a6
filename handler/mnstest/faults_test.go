package mnstest

import (
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
	"github.com/google/go-cmp/cmp"
)

func TestInjectedFaultsReachTheSDK(t *testing.T) {
	tests := []struct {
		name       string
		faults     []Fault
		want       expect
		wantStored int // messages in the queue afterwards
	}{
		{"a 500 InternalError is the SDK's internal-error template", []Fault{{Status: 500, Code: "InternalError", Message: "boom"}}, expect{"ERR_MNS_INTERNAL_ERROR", ali_mns.ERR_MNS_INTERNAL_ERROR.IsEqual}, 0},
		{"a 503 with an unmapped code is the SDK's unknown-code template", []Fault{{Status: 503, Code: "ServiceUnavailable"}}, expect{"ERR_MNS_UNKNOWN_CODE", ali_mns.ERR_MNS_UNKNOWN_CODE.IsEqual}, 0},
		{"a 500 after the send stored the message loses only the answer", []Fault{{Status: 500, AfterApply: true}}, expect{"ERR_MNS_INTERNAL_ERROR", ali_mns.ERR_MNS_INTERNAL_ERROR.IsEqual}, 1},
		{"a dropped connection on every attempt is a send failure", []Fault{{Drop: true}, {Drop: true}, {Drop: true}, {Drop: true}, {Drop: true}}, expect{"ERR_SEND_REQUEST_FAILED", ali_mns.ERR_SEND_REQUEST_FAILED.IsEqual}, 0},
		{"one dropped connection is retried by fasthttp and succeeds", []Fault{{Drop: true}}, wantOK, 1},
		{"a pass in the script lets the call through", []Fault{Pass}, wantOK, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := newEmulatorTarget(t)
			q := tg.newQueue(t)
			tg.emu.FailNext(OpSendMessage, tc.faults...)
			_, err := tg.queue(q).SendMessage(ali_mns.MessageSendRequest{MessageBody: "x", Priority: 8})
			switch {
			case tc.want.is == nil && err != nil:
				t.Fatalf("got %v, want success", err)
			case tc.want.is != nil && !tc.want.is(err):
				t.Fatalf("got %v, want %s", err, tc.want.name)
			}
			if got := len(tg.emu.Messages(q)); got != tc.wantStored {
				t.Errorf("queue holds %d messages, want %d", got, tc.wantStored)
			}
		})
	}
}

func TestFaultRateIsReplayableFromTheSeed(t *testing.T) {
	outcomes := func(seed int64) []bool {
		tg := newEmulatorTarget(t, WithSeed(seed))
		q := tg.newQueue(t)
		tg.emu.AddFault(FaultRule{Op: OpGetQueueAttributes, Probability: 0.5, Fault: Fault{Status: 500}})
		var out []bool
		for range 20 {
			_, err := ali_mns.NewMNSQueueManager(tg.client).GetQueueAttributes(q)
			out = append(out, err == nil)
		}
		return out
	}
	a, b := outcomes(7), outcomes(7)
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("two runs with seed 7 differ (-first +second):\n%s", d)
	}
	failed := 0
	for _, ok := range a {
		if !ok {
			failed++
		}
	}
	if failed == 0 || failed == len(a) {
		t.Errorf("%d of %d calls failed at rate 0.5", failed, len(a))
	}
}

func TestFaultsOnOneOperationLeaveOthersAlone(t *testing.T) {
	tg := newEmulatorTarget(t)
	q := tg.newQueue(t)
	tg.emu.AddFault(FaultRule{Op: OpReceiveMessage, Fault: Fault{Status: 500}})
	if _, err := tg.queue(q).SendMessage(ali_mns.MessageSendRequest{MessageBody: "x", Priority: 8}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if _, err := receive(tg.queue(q), 0); !ali_mns.ERR_MNS_INTERNAL_ERROR.IsEqual(err) {
		t.Fatalf("ReceiveMessage: got %v, want internal error", err)
	}
	tg.emu.ClearFaults()
	if _, err := receive(tg.queue(q), 0); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
}

func TestSlowAnswerBeyondTheClientTimeoutIsASendFailure(t *testing.T) {
	tg := newEmulatorTarget(t)
	q := tg.newQueue(t)
	// POST is not retried on a timeout, so this costs one client timeout (1s) of real time.
	tg.emu.FailNext(OpSendMessage, Fault{Delay: time.Minute})
	client := tg.emu.NewSDKClient(testID, testSecret, "", 1)
	_, err := ali_mns.NewMNSQueue(q, client).SendMessage(ali_mns.MessageSendRequest{MessageBody: "x", Priority: 8})
	if !ali_mns.ERR_SEND_REQUEST_FAILED.IsEqual(err) {
		t.Fatalf("got %v, want ERR_SEND_REQUEST_FAILED", err)
	}
	if n := len(tg.emu.Messages(q)); n != 0 {
		t.Errorf("queue holds %d messages, want 0", n)
	}
}
