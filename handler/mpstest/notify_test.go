package mpstest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/mts"
	"github.com/google/go-cmp/cmp"

	"iprodwatch/parse"
)

// inbox is a Notifier that keeps what it is sent and fails while told to.
type inbox struct {
	mu   sync.Mutex
	got  []string // queue + " " + body
	fail error
}

func (b *inbox) Notify(_ context.Context, queue string, body []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.got = append(b.got, queue+" "+string(body))
	return nil
}

func (b *inbox) messages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}

func submitNotified(t *testing.T, tg *target, fn, userData string) string {
	t.Helper()
	r := mts.CreateSubmitIProductionJobRequest()
	r.FunctionName, r.UserData = fn, userData
	r.NotifyUrl = "mns://1234567890123456.mns.cn-shanghai.aliyuncs.com/queues/iprod-done"
	resp, err := tg.defaultClient(t).SubmitIProductionJob(r)
	if err != nil {
		t.Fatalf("SubmitIProductionJob: %v", err)
	}
	return resp.JobId
}

func TestNotificationsAreSentWhenTheInjectedClockPassesTheJobsEnd(t *testing.T) {
	failure := &Result{Code: "InvalidParameter.InputFile", Message: "The input file does not exist."}
	tests := []struct {
		name   string
		format NotificationFormat
		script Script
		user   string
		want   func(id string) map[string]any
	}{
		{
			name: "a successful job sends the intelligent-production callback", format: CallbackFormat,
			script: Script{Analysing: time.Second, Done: 5 * time.Second}, user: "ctx-1",
			want: func(id string) map[string]any {
				return map[string]any{"Code": "Success", "Details": []any{}, "FunctionName": parse.AlgorithmCover, "JobId": id,
					"Message": "success", "State": "Success", "Type": "IProduction", "UserData": "ctx-1"}
			},
		},
		{
			name: "a failed job's callback carries its error and null UserData", format: CallbackFormat,
			script: Script{Done: 5 * time.Second, Final: StateFail, Result: failure},
			want: func(id string) map[string]any {
				return map[string]any{"Code": failure.Code, "Details": []any{}, "FunctionName": parse.AlgorithmCover, "JobId": id,
					"Message": failure.Message, "State": "Fail", "Type": "IProduction", "UserData": nil}
			},
		},
		{
			name: "the generic MPS message has both key casings and code and msg on failure", format: GenericFormat,
			script: Script{Done: 5 * time.Second, Final: StateFail, Result: failure},
			want: func(id string) map[string]any {
				return map[string]any{"jobId": id, "JobId": id, "state": "Fail", "State": "Fail", "type": "IProduction",
					"Type": "IProduction", "code": failure.Code, "msg": failure.Message}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			box := &inbox{}
			tg := newEmulator(t, WithNotifier(box), WithNotificationFormat(tt.format), WithLazyDelivery(false),
				WithDefaultScript(func(SubmitParams) Script { return tt.script }))
			id := submitNotified(t, tg, parse.AlgorithmCover, tt.user)
			tg.clk.Advance(4 * time.Second)
			if err := tg.srv.DeliverDue(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := box.messages(); len(got) != 0 {
				t.Fatalf("before the end: %q", got)
			}
			tg.clk.Advance(time.Second)
			for range 2 { // a second call must not send again
				if err := tg.srv.DeliverDue(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			got := box.messages()
			if len(got) != 1 || got[0][:len("iprod-done ")] != "iprod-done " {
				t.Fatalf("messages = %q, want one to iprod-done", got)
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(got[0][len("iprod-done "):]), &body); err != nil {
				t.Fatal(err)
			}
			delete(body, "requestId")
			delete(body, "RequestId")
			if diff := cmp.Diff(tt.want(id), body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAFailedNotificationIsRetriedAndAQueryDeliversLazily(t *testing.T) {
	box := &inbox{fail: errors.New("queue is down")}
	tg := newEmulator(t, WithNotifier(box), WithDefaultScript(func(SubmitParams) Script { return Script{Done: time.Second} }))
	id := submitNotified(t, tg, parse.AlgorithmAudioMixing, "")
	tg.clk.Advance(time.Second)
	if err := tg.srv.DeliverDue(context.Background()); !errors.Is(err, box.fail) {
		t.Fatalf("DeliverDue = %v, want the notifier's error", err)
	}
	box.mu.Lock()
	box.fail = nil
	box.mu.Unlock()
	if _, err := queryJob(tg.defaultClient(t), id); err != nil { // delivers on the way in
		t.Fatal(err)
	}
	if got := len(box.messages()); got != 1 {
		t.Errorf("delivered %d messages, want 1", got)
	}
	var errs []bool
	for _, n := range tg.srv.Notifications() {
		errs = append(errs, n.Err != nil)
	}
	if diff := cmp.Diff([]bool{true, false}, errs); diff != "" {
		t.Errorf("attempts failed (-want +got):\n%s", diff)
	}
}

func TestNotifyURLMustNameAnMNSQueue(t *testing.T) {
	tests := []struct {
		url   string
		valid bool
	}{
		{"mns://1234567890123456.mns.cn-shanghai.aliyuncs.com/queues/q-1", true},
		{"mns://1234567890123456.mns.cn-shanghai.aliyuncs.com/topics/t", false},
		{"http://1234567890123456.mns.cn-shanghai.aliyuncs.com/queues/q", false},
		{"mns://1234567890123456.mns.cn-shanghai.aliyuncs.com/queues/", false},
		// The CreateQueue reference allows a digit first, and at most 120 characters.
		{"mns://1234567890123456.mns.cn-shanghai.aliyuncs.com/queues/1q", true},
		{"mns://1234567890123456.mns.cn-shanghai.aliyuncs.com/queues/-q", false},
		{"mns://1234567890123456.mns.cn-shanghai.aliyuncs.com/queues/q" + strings.Repeat("a", 120), false},
		{"mns://example.com/queues/q", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := parseNotifyURL(tt.url)
			if (err == nil) != tt.valid {
				t.Errorf("parseNotifyURL error = %v, want valid=%v", err, tt.valid)
			}
			if err != nil && !errors.Is(err, ErrInvalidNotifyURL) {
				t.Errorf("error %v is not ErrInvalidNotifyURL", err)
			}
		})
	}
}
