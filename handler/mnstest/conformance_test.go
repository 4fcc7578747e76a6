package mnstest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler/clock"
	"iprodwatch/handler/conformance"
)

// expect is the SDK error a case must surface, by the SDK's own template identity.
type expect struct {
	name string
	is   errMatcher
}

var (
	wantOK              = expect{}
	wantQueueNotExist   = expect{"ERR_MNS_QUEUE_NOT_EXIST", ali_mns.ERR_MNS_QUEUE_NOT_EXIST.IsEqual}
	wantTopicNotExist   = expect{"ERR_MNS_TOPIC_NOT_EXIST", ali_mns.ERR_MNS_TOPIC_NOT_EXIST.IsEqual}
	wantMessageNotExist = expect{"ERR_MNS_MESSAGE_NOT_EXIST", ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual}
	wantInvalidArgument = expect{"ERR_MNS_INVALID_ARGUMENT", ali_mns.ERR_MNS_INVALID_ARGUMENT.IsEqual}
	wantReceiptHandle   = expect{"ERR_MNS_RECEIPT_HANDLE_ERROR", ali_mns.ERR_MNS_RECEIPT_HANDLE_ERROR.IsEqual}
	wantSignature       = expect{"ERR_MNS_SIGNATURE_DOES_NOT_MATCH", ali_mns.ERR_MNS_SIGNATURE_DOES_NOT_MATCH.IsEqual}
	wantAccessKeyID     = expect{"ERR_MNS_INVALID_ACCESS_KEY_ID", ali_mns.ERR_MNS_INVALID_ACCESS_KEY_ID.IsEqual}
	wantTimeExpired     = expect{"ERR_MNS_TIME_EXPIRED", ali_mns.ERR_MNS_TIME_EXPIRED.IsEqual}
	wantQueueExists     = expect{"ERR_MNS_QUEUE_ALREADY_EXIST", ali_mns.ERR_MNS_QUEUE_ALREADY_EXIST.IsEqual}
	wantQueueSame       = expect{"ERR_MNS_QUEUE_ALREADY_EXIST_AND_HAVE_SAME_ATTR", ali_mns.ERR_MNS_QUEUE_ALREADY_EXIST_AND_HAVE_SAME_ATTR.IsEqual}
	wantQueueName       = expect{"ERR_MNS_INVALID_QUEUE_NAME", ali_mns.ERR_MNS_INVALID_QUEUE_NAME.IsEqual}
	wantQueueNameLength = expect{"ERR_MNS_QUEUE_NAME_LENGTH_ERROR", ali_mns.ERR_MNS_QUEUE_NAME_LENGTH_ERROR.IsEqual}
	wantTopicExists     = expect{"ERR_MNS_TOPIC_ALREADY_EXIST", ali_mns.ERR_MNS_TOPIC_ALREADY_EXIST.IsEqual}
	wantTopicSame       = expect{"ERR_MNS_TOPIC_ALREADY_EXIST_AND_HAVE_SAME_ATTR", ali_mns.ERR_MNS_TOPIC_ALREADY_EXIST_AND_HAVE_SAME_ATTR.IsEqual}
	wantSubSame         = expect{"ERR_MNS_SUBSCRIPTION_ALREADY_EXIST_AND_HAVE_SAME_ATTR", ali_mns.ERR_MNS_SUBSCRIPTION_ALREADY_EXIST_AND_HAVE_SAME_ATTR.IsEqual}
	wantSubExists       = expect{"ERR_MNS_SUBSCRIPTION_ALREADY_EXIST", ali_mns.ERR_MNS_SUBSCRIPTION_ALREADY_EXIST.IsEqual}
	wantBatchFail       = expect{"ERR_MNS_BATCH_OP_FAIL", ali_mns.ERR_MNS_BATCH_OP_FAIL.IsEqual}
)

type conformanceCase struct {
	name         string
	emulatorOnly bool     // needs the emulator's clock or test API
	billable     bool     // topics: against the cloud only with CONFORMANCE_BILLABLE=1
	opts         []Option // extra emulator options
	run          func(t *testing.T, tg *target) error
	want         expect
}

func conformanceCases() []conformanceCase {
	sendReq := func(body string, delay, prio int64) ali_mns.MessageSendRequest {
		return ali_mns.MessageSendRequest{MessageBody: body, DelaySeconds: delay, Priority: prio}
	}
	return []conformanceCase{
		// Queue management.
		{name: "CreateQueue creates a new queue", want: wantOK, run: func(t *testing.T, tg *target) error {
			tg.newQueue(t)
			return nil
		}},
		{name: "CreateQueue again with the same attributes reports same-attributes", want: wantQueueSame, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			return ali_mns.NewMNSQueueManager(tg.client).CreateQueueWithOptions(q)
		}},
		{name: "CreateQueue again with other attributes is QueueAlreadyExist", want: wantQueueExists, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			return ali_mns.NewMNSQueueManager(tg.client).CreateQueueWithOptions(q, ali_mns.WithVisibilityTimeout(60))
		}},
		{name: "CreateQueue with an invalid name is InvalidQueueName", want: wantQueueName, run: func(t *testing.T, tg *target) error {
			return ali_mns.NewMNSQueueManager(tg.client).CreateSimpleQueue("bad_name")
		}},
		// The CreateQueue reference: "a maximum of 120 characters ... letters, digits, and hyphens
		// (-). The name must start with a letter or digit."
		{name: "CreateQueue with a name starting with a digit creates it", want: wantOK, run: func(t *testing.T, tg *target) error {
			n := "1" + tg.name("q")
			qm := ali_mns.NewMNSQueueManager(tg.client)
			err := qm.CreateSimpleQueue(n)
			if err == nil {
				tg.cleanup = append(tg.cleanup, func() { _ = qm.DeleteQueue(n) })
			}
			return err
		}},
		{name: "CreateQueue with a name of 121 characters is QueueNameLengthError", want: wantQueueNameLength, run: func(t *testing.T, tg *target) error {
			return ali_mns.NewMNSQueueManager(tg.client).CreateSimpleQueue("q" + strings.Repeat("a", 120))
		}},
		{name: "CreateQueue with a MaximumMessageSize under 1024 is InvalidArgument", want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			return ali_mns.NewMNSQueueManager(tg.client).CreateQueueWithOptions(tg.name("q"), ali_mns.WithMaxMessageSize(100))
		}},
		{name: "GetQueueAttributes reads back what CreateQueue set", want: wantOK, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t, ali_mns.WithVisibilityTimeout(45), ali_mns.WithMaxMessageSize(2048), ali_mns.WithMessageRetentionPeriod(600), ali_mns.WithPollingWaitSeconds(3), ali_mns.WithDelaySeconds(2))
			tg.send(t, q, "a", 0)
			tg.send(t, q, "b", 0)
			tg.send(t, q, "later", 100)
			tg.mustReceive(t, q)
			attr, err := ali_mns.NewMNSQueueManager(tg.client).GetQueueAttributes(q)
			if err != nil {
				return err
			}
			got := ali_mns.QueueAttribute{QueueName: attr.QueueName, DelaySeconds: attr.DelaySeconds, MaxMessageSize: attr.MaxMessageSize,
				MessageRetentionPeriod: attr.MessageRetentionPeriod, VisibilityTimeout: attr.VisibilityTimeout, PollingWaitSeconds: attr.PollingWaitSeconds,
				ActiveMessages: attr.ActiveMessages, InactiveMessages: attr.InactiveMessages, DelayMessages: attr.DelayMessages}
			want := ali_mns.QueueAttribute{QueueName: q, DelaySeconds: 2, MaxMessageSize: 2048, MessageRetentionPeriod: 600,
				VisibilityTimeout: 45, PollingWaitSeconds: 3, ActiveMessages: 1, InactiveMessages: 1, DelayMessages: 1}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("GetQueueAttributes mismatch (-want +got):\n%s", d)
			}
			return nil
		}},
		{name: "GetQueueAttributes of a missing queue is QueueNotExist", want: wantQueueNotExist, run: func(t *testing.T, tg *target) error {
			_, err := ali_mns.NewMNSQueueManager(tg.client).GetQueueAttributes(tg.name("missing"))
			return err
		}},
		{name: "SetQueueAttributes changes the visibility timeout", want: wantOK, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			qm := ali_mns.NewMNSQueueManager(tg.client)
			if err := qm.SetQueueAttributesWithOptions(q, ali_mns.WithVisibilityTimeout(90)); err != nil {
				return err
			}
			attr, err := qm.GetQueueAttributes(q)
			if err == nil && attr.VisibilityTimeout != 90 {
				t.Errorf("VisibilityTimeout = %d, want 90", attr.VisibilityTimeout)
			}
			return err
		}},
		{name: "SetQueueAttributes of a missing queue is QueueNotExist", want: wantQueueNotExist, run: func(t *testing.T, tg *target) error {
			return ali_mns.NewMNSQueueManager(tg.client).SetQueueAttributesWithOptions(tg.name("missing"), ali_mns.WithVisibilityTimeout(90))
		}},
		{name: "DeleteQueue removes the queue", want: wantQueueNotExist, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			qm := ali_mns.NewMNSQueueManager(tg.client)
			if err := qm.DeleteQueue(q); err != nil {
				t.Fatalf("DeleteQueue: %v", err)
			}
			_, err := qm.GetQueueAttributes(q)
			return err
		}},

		// SendMessage and BatchSendMessage.
		{name: "SendMessage answers the upper-case MD5 of the body", want: wantOK, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			resp, err := tg.queue(q).SendMessage(sendReq("hello", 0, 8))
			if err == nil && (resp.MessageId == "" || resp.MessageBodyMD5 != "5D41402ABC4B2A76B9719D911017C592") {
				t.Errorf("SendMessage = id %q md5 %q, want an id and 5D41402ABC4B2A76B9719D911017C592", resp.MessageId, resp.MessageBodyMD5)
			}
			return err
		}},
		{name: "SendMessage to a missing queue is QueueNotExist", want: wantQueueNotExist, run: func(t *testing.T, tg *target) error {
			_, err := tg.queue(tg.name("missing")).SendMessage(sendReq("x", 0, 8))
			return err
		}},
		{name: "SendMessage of 64 KiB is accepted", want: wantOK, run: func(t *testing.T, tg *target) error {
			_, err := tg.queue(tg.newQueue(t)).SendMessage(sendReq(big(65536), 0, 8))
			return err
		}},
		{name: "SendMessage over 64 KiB is InvalidArgument", want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			_, err := tg.queue(tg.newQueue(t)).SendMessage(sendReq(big(65537), 0, 8))
			return err
		}},
		{name: "SendMessage over the queue's MaximumMessageSize is InvalidArgument", want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t, ali_mns.WithMaxMessageSize(1024))
			_, err := tg.queue(q).SendMessage(sendReq(big(1025), 0, 8))
			return err
		}},
		{name: "SendMessage with DelaySeconds 604800 is accepted", want: wantOK, run: func(t *testing.T, tg *target) error {
			_, err := tg.queue(tg.newQueue(t)).SendMessage(sendReq("x", 604800, 8))
			return err
		}},
		{name: "SendMessage with DelaySeconds 604801 is InvalidArgument", want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			_, err := tg.queue(tg.newQueue(t)).SendMessage(sendReq("x", 604801, 8))
			return err
		}},
		{name: "SendMessage with a negative DelaySeconds is InvalidArgument", want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			_, err := tg.queue(tg.newQueue(t)).SendMessage(sendReq("x", -1, 8))
			return err
		}},
		{name: "SendMessage with Priority 17 is InvalidArgument", want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			_, err := tg.queue(tg.newQueue(t)).SendMessage(sendReq("x", 0, 17))
			return err
		}},
		{name: "BatchSendMessage of 16 messages answers 16 ids", want: wantOK, run: func(t *testing.T, tg *target) error {
			var ms []ali_mns.MessageSendRequest
			for range 16 {
				ms = append(ms, sendReq("m", 0, 8))
			}
			resp, err := tg.queue(tg.newQueue(t)).BatchSendMessage(ms...)
			if err == nil && len(resp.Messages) != 16 {
				t.Errorf("BatchSendMessage answered %d entries, want 16", len(resp.Messages))
			}
			return err
		}},
		{name: "BatchSendMessage of 17 messages is InvalidArgument", want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			var ms []ali_mns.MessageSendRequest
			for range 17 {
				ms = append(ms, sendReq("m", 0, 8))
			}
			_, err := tg.queue(tg.newQueue(t)).BatchSendMessage(ms...)
			return err
		}},
		{name: "BatchSendMessage with one bad message answers per message and stores the others", want: wantBatchFail, run: func(t *testing.T, tg *target) error {
			q := tg.queue(tg.newQueue(t))
			resp, err := q.BatchSendMessage(sendReq("first", 0, 8), sendReq("bad", 0, 17), sendReq("third", 0, 8))
			var got []string
			for _, m := range resp.Messages {
				got = append(got, fmt.Sprintf("id:%t code:%s", m.MessageId != "", m.ErrorCode))
			}
			want := []string{"id:true code:", "id:false code:InvalidArgument", "id:true code:"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if n := drain(q); n != 2 {
				t.Errorf("the queue held %d messages, want the 2 good ones", n)
			}
			return err
		}},
		{name: "BatchSendMessage over 64 KiB in total is InvalidArgument", want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			_, err := tg.queue(tg.newQueue(t)).BatchSendMessage(sendReq(big(40000), 0, 8), sendReq(big(40000), 0, 8))
			return err
		}},

		// Receiving.
		{name: "ReceiveMessage returns the message with its counters", want: wantOK, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			sent := tg.send(t, q, "payload", 0)
			r, err := receive(tg.queue(q), 0)
			if err != nil {
				return err
			}
			if r.MessageId != sent.MessageId || r.MessageBody != "payload" || r.DequeueCount != 1 || r.ReceiptHandle == "" ||
				r.FirstDequeueTime == 0 || r.EnqueueTime == 0 || r.NextVisibleTime <= r.FirstDequeueTime || r.Priority != 8 {
				t.Errorf("ReceiveMessage = %+v, want the sent message, DequeueCount 1, times set, a handle", r)
			}
			return nil
		}},
		{name: "ReceiveMessage on an empty queue is MessageNotExist", want: wantMessageNotExist, run: func(t *testing.T, tg *target) error {
			_, err := receive(tg.queue(tg.newQueue(t)), 0)
			return err
		}},
		{name: "ReceiveMessage long poll on an empty queue is MessageNotExist after waitseconds", emulatorOnly: true, want: wantMessageNotExist, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			done := make(chan error, 1)
			go func() { _, err := receive(tg.queue(q), 30); done <- err }()
			tg.waitPolling(t, q)
			tg.emu.Advance(30 * time.Second)
			return <-done
		}},
		{name: "ReceiveMessage with waitseconds 31 is InvalidArgument", want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			_, err := receive(tg.queue(tg.newQueue(t)), 31)
			return err
		}},
		{name: "ReceiveMessage on a missing queue is QueueNotExist", want: wantQueueNotExist, run: func(t *testing.T, tg *target) error {
			_, err := receive(tg.queue(tg.name("missing")), 0)
			return err
		}},
		{name: "BatchReceiveMessage returns up to numOfMessages", want: wantOK, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			for range 3 {
				tg.send(t, q, "m", 0)
			}
			r, err := batchReceive(tg.queue(q), 2, 0)
			if err == nil && (len(r.Messages) < 1 || len(r.Messages) > 2) {
				t.Errorf("BatchReceiveMessage(2) returned %d messages", len(r.Messages))
			}
			return err
		}},
		{name: "BatchReceiveMessage of 17 is InvalidArgument", want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			_, err := batchReceive(tg.queue(tg.newQueue(t)), 17, 0)
			return err
		}},
		{name: "BatchReceiveMessage on an empty queue is MessageNotExist", want: wantMessageNotExist, run: func(t *testing.T, tg *target) error {
			_, err := batchReceive(tg.queue(tg.newQueue(t)), 16, 0)
			return err
		}},
		{name: "PeekMessage shows a message without a handle or a dequeue", want: wantOK, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			tg.send(t, q, "look", 0)
			r, err := peek(tg.queue(q))
			if err == nil && (r.MessageBody != "look" || r.ReceiptHandle != "" || r.DequeueCount != 0) {
				t.Errorf("PeekMessage = %+v, want body look, no handle, DequeueCount 0", r)
			}
			return err
		}},
		{name: "PeekMessage on an empty queue is MessageNotExist", want: wantMessageNotExist, run: func(t *testing.T, tg *target) error {
			_, err := peek(tg.queue(tg.newQueue(t)))
			return err
		}},

		// Deleting and visibility.
		{name: "DeleteMessage with the current handle removes the message", want: wantMessageNotExist, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t, ali_mns.WithVisibilityTimeout(1))
			tg.send(t, q, "x", 0)
			r := tg.mustReceive(t, q)
			if err := tg.queue(q).DeleteMessage(r.ReceiptHandle); err != nil {
				t.Fatalf("DeleteMessage: %v", err)
			}
			_, err := peek(tg.queue(q))
			return err
		}},
		{name: "DeleteMessage with a made-up handle is ReceiptHandleError", want: wantReceiptHandle, run: func(t *testing.T, tg *target) error {
			return tg.queue(tg.newQueue(t)).DeleteMessage("1-MTIzNDU2Nzg5MC0xMjM0NTY3ODkwLTEtMQ==")
		}},
		// "If an invalid receipt handle is used to delete the message, the system returns the
		// 'message not exist' error message": the handle of a message whose visibility timeout
		// ended (https://www.alibabacloud.com/help/en/mns/message-not-exist-appears-when-you-delete-a-message-in-mns),
		// whether or not another consumer has received it since.
		{name: "DeleteMessage after the visibility timeout is MessageNotExist", emulatorOnly: true, want: wantMessageNotExist, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			tg.send(t, q, "x", 0)
			r := tg.mustReceive(t, q)
			tg.emu.Advance(30 * time.Second)
			return tg.queue(q).DeleteMessage(r.ReceiptHandle)
		}},
		{name: "DeleteMessage after the visibility timeout and another receive is MessageNotExist", emulatorOnly: true, want: wantMessageNotExist, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			tg.send(t, q, "x", 0)
			r := tg.mustReceive(t, q)
			tg.emu.Advance(30 * time.Second)
			tg.mustReceive(t, q)
			return tg.queue(q).DeleteMessage(r.ReceiptHandle)
		}},
		{name: "DeleteMessage with the handle replaced by ChangeMessageVisibility is ReceiptHandleError", want: wantReceiptHandle, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			tg.send(t, q, "x", 0)
			r := tg.mustReceive(t, q)
			if _, err := tg.queue(q).ChangeMessageVisibility(r.ReceiptHandle, 60); err != nil {
				t.Fatalf("ChangeMessageVisibility: %v", err)
			}
			return tg.queue(q).DeleteMessage(r.ReceiptHandle)
		}},
		{name: "BatchDeleteMessage deletes every handle", want: wantOK, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			tg.send(t, q, "a", 0)
			tg.send(t, q, "b", 0)
			r, err := batchReceive(tg.queue(q), 16, 0)
			if err != nil {
				t.Fatalf("BatchReceiveMessage: %v", err)
			}
			var hs []string
			for _, m := range r.Messages {
				hs = append(hs, m.ReceiptHandle)
			}
			_, err = tg.queue(q).BatchDeleteMessage(hs...)
			return err
		}},
		{name: "BatchDeleteMessage with one bad handle fails only that one", want: wantBatchFail, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			tg.send(t, q, "a", 0)
			r := tg.mustReceive(t, q)
			resp, err := tg.queue(q).BatchDeleteMessage(r.ReceiptHandle, "1-YmFkaGFuZGxl")
			if len(resp.FailedMessages) != 1 || resp.FailedMessages[0].ErrorCode != "ReceiptHandleError" || resp.FailedMessages[0].ReceiptHandle != "1-YmFkaGFuZGxl" {
				t.Errorf("FailedMessages = %+v, want one ReceiptHandleError for the bad handle", resp.FailedMessages)
			}
			return err
		}},
		{name: "BatchDeleteMessage of 17 handles is InvalidArgument", want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			var hs []string
			for range 17 {
				hs = append(hs, "1-YmFkaGFuZGxl")
			}
			_, err := tg.queue(tg.newQueue(t)).BatchDeleteMessage(hs...)
			return err
		}},
		{name: "ChangeMessageVisibility answers a new handle", want: wantOK, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			tg.send(t, q, "x", 0)
			r := tg.mustReceive(t, q)
			resp, err := tg.queue(q).ChangeMessageVisibility(r.ReceiptHandle, 120)
			if err == nil && (resp.ReceiptHandle == "" || resp.ReceiptHandle == r.ReceiptHandle || resp.NextVisibleTime <= r.NextVisibleTime) {
				t.Errorf("ChangeMessageVisibility = %+v, want a new handle and a later NextVisibleTime than %d", resp, r.NextVisibleTime)
			}
			return err
		}},
		{name: "ChangeMessageVisibility over 43200 seconds is InvalidArgument", want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			tg.send(t, q, "x", 0)
			r := tg.mustReceive(t, q)
			_, err := tg.queue(q).ChangeMessageVisibility(r.ReceiptHandle, 43201)
			return err
		}},
		{name: "ChangeMessageVisibility after the timeout is MessageNotExist, as DeleteMessage", emulatorOnly: true, want: wantMessageNotExist, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			tg.send(t, q, "x", 0)
			r := tg.mustReceive(t, q)
			tg.emu.Advance(31 * time.Second)
			_, err := tg.queue(q).ChangeMessageVisibility(r.ReceiptHandle, 60)
			return err
		}},

		// Authentication.
		{name: "a request signed with the wrong secret is SignatureDoesNotMatch", want: wantSignature, run: func(t *testing.T, tg *target) error {
			_, err := ali_mns.NewMNSQueueManager(tg.badSecret).GetQueueAttributes(tg.name("any"))
			return err
		}},
		{name: "a request with an unknown AccessKeyId is InvalidAccessKeyId", want: wantAccessKeyID, run: func(t *testing.T, tg *target) error {
			_, err := ali_mns.NewMNSQueueManager(tg.unknownKey).GetQueueAttributes(tg.name("any"))
			return err
		}},
		{name: "a request dated 16 minutes off the server's clock is TimeExpired", emulatorOnly: true, want: wantTimeExpired,
			opts: []Option{WithWallClock(clock.NewScaled(time.Now().Add(16*time.Minute), 1))},
			run: func(t *testing.T, tg *target) error {
				_, err := ali_mns.NewMNSQueueManager(tg.client).GetQueueAttributes(tg.name("any"))
				return err
			}},
		{name: "an STS pair with its token is accepted", emulatorOnly: true, want: wantQueueNotExist,
			opts: []Option{WithSTSCredential("STS.id", "sts-secret", "token-1")},
			run: func(t *testing.T, tg *target) error {
				_, err := ali_mns.NewMNSQueueManager(tg.emu.NewSDKClient("STS.id", "sts-secret", "token-1", 0)).GetQueueAttributes("missing")
				return err
			}},
		{name: "an STS pair with the wrong token is InvalidAccessKeyId", emulatorOnly: true, want: wantAccessKeyID,
			opts: []Option{WithSTSCredential("STS.id", "sts-secret", "token-1")},
			run: func(t *testing.T, tg *target) error {
				_, err := ali_mns.NewMNSQueueManager(tg.emu.NewSDKClient("STS.id", "sts-secret", "token-2", 0)).GetQueueAttributes("missing")
				return err
			}},
		{name: "an STS pair past its expiry is InvalidAccessKeyId", emulatorOnly: true, want: wantAccessKeyID,
			opts: []Option{WithSTSCredentialExpiring("STS.id", "sts-secret", "token-1", time.Now().Add(-time.Second))},
			run: func(t *testing.T, tg *target) error {
				_, err := ali_mns.NewMNSQueueManager(tg.emu.NewSDKClient("STS.id", "sts-secret", "token-1", 0)).GetQueueAttributes("missing")
				return err
			}},
		{name: "an STS pair before its expiry is accepted", emulatorOnly: true, want: wantQueueNotExist,
			opts: []Option{WithSTSCredentialExpiring("STS.id", "sts-secret", "token-1", time.Now().Add(time.Hour))},
			run: func(t *testing.T, tg *target) error {
				_, err := ali_mns.NewMNSQueueManager(tg.emu.NewSDKClient("STS.id", "sts-secret", "token-1", 0)).GetQueueAttributes("missing")
				return err
			}},
		{name: "a permanent pair sent with a stray security-token is InvalidAccessKeyId", emulatorOnly: true, want: wantAccessKeyID,
			run: func(t *testing.T, tg *target) error {
				_, err := ali_mns.NewMNSQueueManager(tg.emu.NewSDKClient(testID, testSecret, "stray-token", 0)).GetQueueAttributes("missing")
				return err
			}},

		// Topics.
		{name: "CreateTopic creates a topic", billable: true, want: wantOK, run: func(t *testing.T, tg *target) error {
			tg.newTopic(t)
			return nil
		}},
		{name: "CreateTopic again with the same attributes reports same-attributes", billable: true, want: wantTopicSame, run: func(t *testing.T, tg *target) error {
			return ali_mns.NewMNSTopicManager(tg.client).CreateSimpleTopic(tg.newTopic(t))
		}},
		{name: "CreateTopic again with other attributes is TopicAlreadyExist", billable: true, want: wantTopicExists, run: func(t *testing.T, tg *target) error {
			return ali_mns.NewMNSTopicManager(tg.client).CreateTopic(tg.newTopic(t), 2048, false)
		}},
		{name: "Subscribe a queue to a topic", billable: true, want: wantOK, run: func(t *testing.T, tg *target) error {
			tp := ali_mns.NewMNSTopic(tg.newTopic(t), tg.client)
			return tp.Subscribe("sub", ali_mns.MessageSubsribeRequest{Endpoint: tp.GenerateQueueEndpoint(tg.newQueue(t)), NotifyContentFormat: ali_mns.SIMPLIFIED})
		}},
		{name: "Subscribe again with the same attributes reports same-attributes", billable: true, want: wantSubSame, run: func(t *testing.T, tg *target) error {
			tp := ali_mns.NewMNSTopic(tg.newTopic(t), tg.client)
			req := ali_mns.MessageSubsribeRequest{Endpoint: tp.GenerateQueueEndpoint(tg.newQueue(t)), NotifyContentFormat: ali_mns.SIMPLIFIED}
			if err := tp.Subscribe("sub", req); err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			return tp.Subscribe("sub", req)
		}},
		{name: "Subscribe again with another filter is SubscriptionAlreadyExist", billable: true, want: wantSubExists, run: func(t *testing.T, tg *target) error {
			tp := ali_mns.NewMNSTopic(tg.newTopic(t), tg.client)
			req := ali_mns.MessageSubsribeRequest{Endpoint: tp.GenerateQueueEndpoint(tg.newQueue(t)), NotifyContentFormat: ali_mns.SIMPLIFIED}
			if err := tp.Subscribe("sub", req); err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			req.FilterTag = "other"
			return tp.Subscribe("sub", req)
		}},
		{name: "PublishMessage reaches a SIMPLIFIED queue subscription as the bare body", billable: true, want: wantOK, run: func(t *testing.T, tg *target) error {
			q := tg.newQueue(t)
			tp := ali_mns.NewMNSTopic(tg.newTopic(t), tg.client)
			if err := tp.Subscribe("sub", ali_mns.MessageSubsribeRequest{Endpoint: tp.GenerateQueueEndpoint(q), NotifyContentFormat: ali_mns.SIMPLIFIED}); err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			if _, err := tp.PublishMessage(ali_mns.MessagePublishRequest{MessageBody: `{"k":"v"}`, MessageTag: "iprod"}); err != nil {
				return err
			}
			r, err := receive(tg.queue(q), 10)
			if err == nil && r.MessageBody != `{"k":"v"}` {
				t.Errorf("queue got %q, want the bare body", r.MessageBody)
			}
			return err
		}},
		// MessageTag: at most 16 characters (the PublishMessage reference), counted as characters:
		// 16 Chinese characters (48 bytes) are taken, 17 ASCII ones are not.
		{name: "PublishMessage with a MessageTag of 16 characters, 48 bytes, is published", billable: true, want: wantOK, run: func(t *testing.T, tg *target) error {
			_, err := ali_mns.NewMNSTopic(tg.newTopic(t), tg.client).PublishMessage(ali_mns.MessagePublishRequest{MessageBody: "x", MessageTag: strings.Repeat("标", 16)})
			return err
		}},
		{name: "PublishMessage with a MessageTag of 17 characters is InvalidArgument", billable: true, want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			_, err := ali_mns.NewMNSTopic(tg.newTopic(t), tg.client).PublishMessage(ali_mns.MessagePublishRequest{MessageBody: "x", MessageTag: strings.Repeat("t", 17)})
			return err
		}},
		{name: "PublishMessage to a missing topic is TopicNotExist", billable: true, want: wantTopicNotExist, run: func(t *testing.T, tg *target) error {
			_, err := ali_mns.NewMNSTopic(tg.name("missing"), tg.client).PublishMessage(ali_mns.MessagePublishRequest{MessageBody: "x"})
			return err
		}},
		{name: "PublishMessage over 64 KiB is InvalidArgument", billable: true, want: wantInvalidArgument, run: func(t *testing.T, tg *target) error {
			_, err := ali_mns.NewMNSTopic(tg.newTopic(t), tg.client).PublishMessage(ali_mns.MessagePublishRequest{MessageBody: big(65537)})
			return err
		}},
	}
}

func runConformance(t *testing.T, cloud bool) {
	for _, tc := range conformanceCases() {
		t.Run(tc.name, func(t *testing.T) {
			var tg *target
			if cloud {
				if tc.emulatorOnly {
					t.Skip("needs the emulator's clock or test API")
				}
				tg = newCloudTarget(t)
				if tc.billable && !tg.billable {
					t.Skip("billable; set CONFORMANCE_BILLABLE=1")
				}
			} else {
				tg = newEmulatorTarget(t, tc.opts...)
			}
			err := tc.run(t, tg)
			switch {
			case tc.want.is == nil && err != nil:
				t.Fatalf("got error %v, want success", err)
			case tc.want.is != nil && !tc.want.is(err):
				t.Fatalf("got error %v, want %s", err, tc.want.name)
			}
		})
	}
}

func TestConformanceEmulator(t *testing.T) { runConformance(t, false) }

func TestConformanceCloud(t *testing.T) {
	if !conformance.Enabled() {
		t.Skip("the cloud run is opt-in: CONFORMANCE=cloud (make conformance)")
	}
	runConformance(t, true)
}
