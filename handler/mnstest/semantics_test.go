package mnstest

import (
	"encoding/json"
	"encoding/xml"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
	"github.com/google/go-cmp/cmp"
)

func TestVisibilityTimeoutMakesAnUndeletedMessageReappear(t *testing.T) {
	tg := newEmulatorTarget(t)
	q := tg.newQueue(t)
	tg.send(t, q, "job", 0)
	first := tg.mustReceive(t, q)

	tg.emu.Advance(29 * time.Second)
	if _, err := receive(tg.queue(q), 0); !ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
		t.Fatalf("receive 29s into a 30s visibility timeout: got %v, want MessageNotExist", err)
	}
	tg.emu.Advance(time.Second)
	second := tg.mustReceive(t, q)

	got := []int64{first.DequeueCount, second.DequeueCount, second.FirstDequeueTime, second.EnqueueTime}
	want := []int64{1, 2, first.FirstDequeueTime, t0.UnixMilli()}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("DequeueCount/FirstDequeueTime/EnqueueTime mismatch (-want +got):\n%s", d)
	}
	if second.ReceiptHandle == first.ReceiptHandle {
		t.Errorf("the second receive reused handle %q", first.ReceiptHandle)
	}
	// The first handle's visibility ran out: "message not exist" (the MNS troubleshooting page on
	// that error), not ReceiptHandleError.
	if err := tg.queue(q).DeleteMessage(first.ReceiptHandle); !ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
		t.Errorf("delete with the first handle: got %v, want MessageNotExist", err)
	}
	if err := tg.queue(q).DeleteMessage(second.ReceiptHandle); err != nil {
		t.Errorf("delete with the latest handle: %v", err)
	}
}

func TestDelayedMessageStatesFollowTheInjectedClock(t *testing.T) {
	tg := newEmulatorTarget(t)
	q := tg.newQueue(t, ali_mns.WithMessageRetentionPeriod(604800))
	tg.send(t, q, "in a week", 604800)

	states := func() []MessageState {
		var out []MessageState
		for _, m := range tg.emu.Messages(q) {
			out = append(out, m.State)
		}
		return out
	}
	steps := []struct {
		advance time.Duration
		want    []MessageState
	}{
		{0, []MessageState{StateDelayed}},
		{7*24*time.Hour - time.Second, []MessageState{StateDelayed}},
		{time.Second, []MessageState{StateActive}},
	}
	for _, st := range steps {
		tg.emu.Advance(st.advance)
		if d := cmp.Diff(st.want, states()); d != "" {
			t.Errorf("after %v more: states mismatch (-want +got):\n%s", st.advance, d)
		}
	}
	if r := tg.mustReceive(t, q); r.MessageBody != "in a week" {
		t.Errorf("received %q", r.MessageBody)
	}
}

func TestRetentionDropsMessagesOnTheInjectedClock(t *testing.T) {
	tg := newEmulatorTarget(t)
	q := tg.newQueue(t, ali_mns.WithMessageRetentionPeriod(60))
	tg.send(t, q, "short-lived", 0)
	tg.mustReceive(t, q) // consumed or not, retention removes it

	tg.emu.Advance(60 * time.Second)
	if n := len(tg.emu.Messages(q)); n != 1 {
		t.Fatalf("after 60s: %d messages, want 1", n)
	}
	tg.emu.Advance(time.Millisecond)
	if n := len(tg.emu.Messages(q)); n != 0 {
		t.Fatalf("after 60.001s: %d messages, want 0", n)
	}
}

func TestDefaultRetentionLosesAWeekLongDelay(t *testing.T) {
	tg := newEmulatorTarget(t)
	q := tg.newQueue(t) // MessageRetentionPeriod defaults to 4 days
	tg.send(t, q, "in a week", 604800)
	tg.emu.Advance(345600*time.Second + time.Millisecond)
	if got := tg.emu.Messages(q); len(got) != 0 {
		t.Errorf("a message delayed past the retention period survived: %+v", got)
	}
}

func TestLongPollWakesWhenTheClockMakesAMessageVisible(t *testing.T) {
	tg := newEmulatorTarget(t)
	q := tg.newQueue(t)
	tg.send(t, q, "soon", 10)

	done := make(chan ali_mns.MessageReceiveResponse, 1)
	errs := make(chan error, 1)
	go func() {
		r, err := receive(tg.queue(q), 30)
		if err != nil {
			errs <- err
			return
		}
		done <- r
	}()
	tg.waitPolling(t, q)
	tg.emu.Advance(10 * time.Second)
	select {
	case r := <-done:
		if r.MessageBody != "soon" {
			t.Errorf("long poll got %q, want soon", r.MessageBody)
		}
	case err := <-errs:
		t.Fatalf("long poll: %v", err)
	}
}

func TestLongPollWakesOnASend(t *testing.T) {
	tg := newEmulatorTarget(t)
	q := tg.newQueue(t)
	errs := make(chan error, 1)
	got := make(chan string, 1)
	go func() {
		r, err := receive(tg.queue(q), 30)
		if err != nil {
			errs <- err
			return
		}
		got <- r.MessageBody
	}()
	tg.waitPolling(t, q)
	if _, err := tg.emu.Send(q, "now", 0, 0); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if b != "now" {
			t.Errorf("got %q", b)
		}
	case err := <-errs:
		t.Fatalf("long poll: %v", err)
	}
}

func TestPriorityOrdersDelivery(t *testing.T) {
	tg := newEmulatorTarget(t)
	q := tg.newQueue(t)
	for _, m := range []struct {
		body string
		prio int64
	}{{"low", 16}, {"default", 0}, {"high", 1}} {
		if _, err := tg.queue(q).SendMessage(ali_mns.MessageSendRequest{MessageBody: m.body, Priority: m.prio}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for range 3 {
		got = append(got, tg.mustReceive(t, q).MessageBody)
	}
	if d := cmp.Diff([]string{"high", "default", "low"}, got); d != "" {
		t.Errorf("delivery order mismatch (-want +got):\n%s", d)
	}
}

func TestPublishFansOutByFilterTagInEachFormat(t *testing.T) {
	tg := newEmulatorTarget(t, WithAccount("5555"), WithRegion("cn-shanghai"))
	tp := ali_mns.NewMNSTopic(tg.newTopic(t), tg.client)
	queues := map[string]string{}
	for _, sub := range []struct {
		name, format, filter string
	}{{"simple", "SIMPLIFIED", ""}, {"json", "JSON", "iprod"}, {"xml", "XML", "iprod"}, {"other", "SIMPLIFIED", "other"}} {
		q := tg.newQueue(t)
		queues[sub.name] = q
		req := ali_mns.MessageSubsribeRequest{Endpoint: tp.GenerateQueueEndpoint(q), FilterTag: sub.filter, NotifyContentFormat: ali_mns.NotifyContentFormatType(sub.format)}
		if err := tp.Subscribe(sub.name, req); err != nil {
			t.Fatalf("Subscribe %s: %v", sub.name, err)
		}
	}
	body := `{"jobId":"j-1","a":"<&>"}`
	resp, err := tp.PublishMessage(ali_mns.MessagePublishRequest{MessageBody: body, MessageTag: "iprod"})
	if err != nil {
		t.Fatal(err)
	}
	pub := tg.emu.Published(tp.Name())
	if len(pub) != 1 || pub[0].MessageID != resp.MessageId || pub[0].Body != body || pub[0].Tag != "iprod" {
		t.Fatalf("Published = %+v", pub)
	}

	t.Run("SIMPLIFIED delivers the bare body", func(t *testing.T) {
		if r := tg.mustReceive(t, queues["simple"]); r.MessageBody != body {
			t.Errorf("got %q, want %q", r.MessageBody, body)
		}
	})
	want := map[string]string{
		"TopicOwner": "5555", "TopicName": tp.Name(), "Subscriber": "5555", "MessageId": resp.MessageId,
		"Message": body, "MessageMD5": resp.MessageBodyMD5, "MessageTag": "iprod",
		"PublishTime": "1772352000000",
	}
	t.Run("JSON delivers the nine documented fields", func(t *testing.T) {
		var got map[string]string
		if err := json.Unmarshal([]byte(tg.mustReceive(t, queues["json"]).MessageBody), &got); err != nil {
			t.Fatal(err)
		}
		w := map[string]string{"SubscriptionName": "json"}
		for k, v := range want {
			w[k] = v
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("JSON notification mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("XML delivers a Notification with the same fields", func(t *testing.T) {
		var n struct {
			XMLName                                                        xml.Name `xml:"Notification"`
			TopicOwner, TopicName, Subscriber, SubscriptionName, MessageId string
			Message, MessageMD5, MessageTag, PublishTime                   string
		}
		if err := xml.Unmarshal([]byte(tg.mustReceive(t, queues["xml"]).MessageBody), &n); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{"TopicOwner": n.TopicOwner, "TopicName": n.TopicName, "Subscriber": n.Subscriber,
			"MessageId": n.MessageId, "Message": n.Message, "MessageMD5": n.MessageMD5, "MessageTag": n.MessageTag,
			"PublishTime": n.PublishTime, "SubscriptionName": n.SubscriptionName}
		w := map[string]string{"SubscriptionName": "xml"}
		for k, v := range want {
			w[k] = v
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("XML notification mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("a subscription filtering another tag gets nothing", func(t *testing.T) {
		if _, err := receive(tg.queue(queues["other"]), 0); !ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
			t.Errorf("got %v, want MessageNotExist", err)
		}
	})
}

func TestOnPublishCallsTheHookUntilCancelled(t *testing.T) {
	tg := newEmulatorTarget(t)
	topic := tg.newTopic(t)
	var got []string
	cancel := tg.emu.OnPublish(topic, func(m PublishedMessage) { got = append(got, m.Body+"/"+m.Tag) })
	tp := ali_mns.NewMNSTopic(topic, tg.client)
	if _, err := tp.PublishMessage(ali_mns.MessagePublishRequest{MessageBody: "one", MessageTag: "t"}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := tp.PublishMessage(ali_mns.MessagePublishRequest{MessageBody: "two"}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"one/t"}, got); d != "" {
		t.Errorf("hook calls mismatch (-want +got):\n%s", d)
	}
}

func TestCountersAndRecordsFollowTraffic(t *testing.T) {
	tg := newEmulatorTarget(t)
	q := tg.newQueue(t)
	tg.send(t, q, "a", 0)
	_, _ = receive(tg.queue(q), 0)
	_, _ = receive(tg.queue(q), 0)
	got := map[Op]int{OpCreateQueue: tg.emu.CallCount(OpCreateQueue), OpSendMessage: tg.emu.CallCount(OpSendMessage), OpReceiveMessage: tg.emu.CallCount(OpReceiveMessage)}
	if d := cmp.Diff(map[Op]int{OpCreateQueue: 1, OpSendMessage: 1, OpReceiveMessage: 2}, got); d != "" {
		t.Errorf("Calls mismatch (-want +got):\n%s", d)
	}
	recs := tg.emu.Calls()
	last := recs[len(recs)-1]
	if d := cmp.Diff(Call{Op: OpReceiveMessage, Method: "GET", Target: "/queues/" + q + "/messages", AccessKeyID: testID, Status: 404, Code: "MessageNotExist", Time: t0}, last); d != "" {
		t.Errorf("last record mismatch (-want +got):\n%s", d)
	}
}

func TestLongPollOnAStoppedClockEndsAtTheRealBound(t *testing.T) {
	tg := newEmulatorTarget(t, WithMaxRealWait(20*time.Millisecond))
	q := tg.newQueue(t)
	if _, err := receive(tg.queue(q), 30); !ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
		t.Fatalf("got %v, want MessageNotExist", err)
	}
	if got := tg.emu.Pollers(q); got != 0 {
		t.Errorf("%d pollers still parked", got)
	}
}
