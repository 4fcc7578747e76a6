package mnstest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"iprodwatch/handler/clock"
	"iprodwatch/handler/conformance"
)

const (
	testID     = "testid"
	testSecret = "testsecret"
)

// t0 is the injected start time of every emulator test.
var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// target is one MNS the conformance table runs against: the emulator, or the cloud.
type target struct {
	client     ali_mns.MNSClient // signed with a valid pair
	badSecret  ali_mns.MNSClient // right AccessKeyId, wrong secret
	unknownKey ali_mns.MNSClient // AccessKeyId the account does not have
	emu        *Server           // nil against the cloud
	prefix     string
	billable   bool // the cloud run may create topics (CONFORMANCE_BILLABLE=1)
	cleanup    []func()
}

var nameSeq atomic.Int64

// newEmulatorTarget starts a fresh emulator on a manual clock, with a short real bound on long
// polls so a forgotten Advance cannot hang a test.
func newEmulatorTarget(t *testing.T, opts ...Option) *target {
	t.Helper()
	base := []Option{WithClock(clock.NewManual(t0)), WithCredential(testID, testSecret), WithMaxRealWait(10 * time.Second)}
	s := NewServer(append(base, opts...)...)
	t.Cleanup(s.Close)
	return &target{
		client:     s.NewSDKClient(testID, testSecret, "", 0),
		badSecret:  s.NewSDKClient(testID, "not-the-secret", "", 0),
		unknownKey: s.NewSDKClient("nobody", testSecret, "", 0),
		emu:        s,
		prefix:     "t",
	}
}

// newCloudTarget is the real service (package conformance); it skips without the cloud run.
func newCloudTarget(t *testing.T) *target {
	t.Helper()
	c, ok := conformance.FromEnv(t)
	if !ok {
		t.Skip("the cloud run is opt-in: CONFORMANCE=cloud (make conformance)")
	}
	ep, token := c.MNSEndpoint, c.SecurityToken
	mk := func(id, secret string) ali_mns.MNSClient {
		return ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{EndPoint: ep, AccessKeyId: id, AccessKeySecret: secret, Token: token, TimeoutSecond: 40})
	}
	id, secret := c.AccessKeyID, c.Secret
	tg := &target{client: mk(id, secret), badSecret: mk(id, secret+"x"), unknownKey: mk("LTAInobodyatall000000000", secret), billable: c.Billable,
		prefix: fmt.Sprintf("mnstest-%d", time.Now().UnixNano())}
	t.Cleanup(func() {
		for _, f := range tg.cleanup {
			f()
		}
	})
	return tg
}

// name returns a queue or topic name unique to this run.
func (tg *target) name(base string) string {
	return fmt.Sprintf("%s-%s-%d", tg.prefix, base, nameSeq.Add(1))
}

// newQueue creates a queue through the SDK and registers its deletion.
func (tg *target) newQueue(t *testing.T, opts ...ali_mns.QueueOption) string {
	t.Helper()
	n := tg.name("q")
	qm := ali_mns.NewMNSQueueManager(tg.client)
	if err := qm.CreateQueueWithOptions(n, opts...); err != nil {
		t.Fatalf("CreateQueue(%s): %v", n, err)
	}
	tg.cleanup = append(tg.cleanup, func() { _ = qm.DeleteQueue(n) })
	return n
}

func (tg *target) newTopic(t *testing.T) string {
	t.Helper()
	n := tg.name("tp")
	tm := ali_mns.NewMNSTopicManager(tg.client)
	if err := tm.CreateSimpleTopic(n); err != nil {
		t.Fatalf("CreateTopic(%s): %v", n, err)
	}
	tg.cleanup = append(tg.cleanup, func() { _ = tm.DeleteTopic(n) })
	return n
}

func (tg *target) queue(name string) ali_mns.AliMNSQueue { return ali_mns.NewMNSQueue(name, tg.client) }

// send sends one message through the SDK and fails the test on error.
func (tg *target) send(t *testing.T, q, body string, delay int64) ali_mns.MessageSendResponse {
	t.Helper()
	resp, err := tg.queue(q).SendMessage(ali_mns.MessageSendRequest{MessageBody: body, DelaySeconds: delay, Priority: 8})
	if err != nil {
		t.Fatalf("SendMessage(%s): %v", q, err)
	}
	return resp
}

// receive makes one ReceiveMessage request (waitseconds when wait > 0) and returns its outcome.
func receive(q ali_mns.AliMNSQueue, wait int64) (ali_mns.MessageReceiveResponse, error) {
	rc, ec := make(chan ali_mns.MessageReceiveResponse, 1), make(chan error, 1)
	if wait > 0 {
		q.ReceiveMessage(rc, ec, wait)
	} else {
		q.ReceiveMessage(rc, ec)
	}
	select {
	case r := <-rc:
		return r, nil
	case err := <-ec:
		return ali_mns.MessageReceiveResponse{}, err
	}
}

func batchReceive(q ali_mns.AliMNSQueue, n int32, wait int64) (ali_mns.BatchMessageReceiveResponse, error) {
	rc, ec := make(chan ali_mns.BatchMessageReceiveResponse, 1), make(chan error, 1)
	if wait > 0 {
		q.BatchReceiveMessage(rc, ec, n, wait)
	} else {
		q.BatchReceiveMessage(rc, ec, n)
	}
	select {
	case r := <-rc:
		return r, nil
	case err := <-ec:
		return ali_mns.BatchMessageReceiveResponse{}, err
	}
}

// drain receives until the queue answers MessageNotExist (a batch may hold fewer than are
// available) and returns how many messages it took.
func drain(q ali_mns.AliMNSQueue) int {
	n := 0
	for range 20 {
		r, err := batchReceive(q, 16, 0)
		if err != nil {
			break
		}
		n += len(r.Messages)
	}
	return n
}

func peek(q ali_mns.AliMNSQueue) (ali_mns.MessageReceiveResponse, error) {
	rc, ec := make(chan ali_mns.MessageReceiveResponse, 1), make(chan error, 1)
	q.PeekMessage(rc, ec)
	select {
	case r := <-rc:
		return r, nil
	case err := <-ec:
		return ali_mns.MessageReceiveResponse{}, err
	}
}

// mustReceive receives one message or fails.
func (tg *target) mustReceive(t *testing.T, q string) ali_mns.MessageReceiveResponse {
	t.Helper()
	r, err := receive(tg.queue(q), 0)
	if err != nil {
		t.Fatalf("ReceiveMessage(%s): %v", q, err)
	}
	return r
}

// waitPolling blocks until a long poll is parked on q (emulator only).
func (tg *target) waitPolling(t *testing.T, q string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tg.emu.WaitForPollers(ctx, q, 1); err != nil {
		t.Fatal(err)
	}
}

// errMatcher is an SDK error template's identity check, e.g. ali_mns.ERR_MNS_QUEUE_NOT_EXIST.IsEqual.
type errMatcher func(error) bool

func big(n int) string { return strings.Repeat("a", n) }
