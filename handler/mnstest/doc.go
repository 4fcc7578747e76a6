// Package mnstest is an in-process emulator of Alibaba Cloud MNS (Message Service) speaking the
// XML REST API the way github.com/aliyun/aliyun-mns-go-sdk v1.0.11 does, in the style of
// net/http/httptest: NewServer starts it on 127.0.0.1:0, URL and Close, Handler for mounting.
//
// Pointing the SDK at it (the SDK panics on any endpoint that is not five dot-separated pieces,
// and its only extension point is SetTransport):
//
//	srv := mnstest.NewServer(mnstest.WithCredential("testid", "testsecret"))
//	defer srv.Close()
//	client := ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{
//		EndPoint: srv.ClientEndpoint(), // http://<account>.mns.<region>.aliyuncs.com, never resolved
//		AccessKeyId: "testid", AccessKeySecret: "testsecret"})
//	client.SetTransport(srv.Transport()) // before sharing the client
//
// or simply srv.NewSDKClient("testid", "testsecret", "", 0). Other clients sign with Sign and send
// to URL; any Host header and Content-Type are accepted.
//
// What it does: queues (create/set/get/delete, send and batch send with DelaySeconds and
// Priority, receive and batch receive with waitseconds long polls, peek, delete and batch delete,
// ChangeMessageVisibility with a new receipt handle each time, DequeueCount, FirstDequeueTime,
// EnqueueTime, visibility timeouts, retention), topics (create/set/get/delete, Subscribe with
// FilterTag and NotifyContentFormat XML, JSON or SIMPLIFIED, PublishMessage with MessageTag and
// fan-out into queues), signature checking (HMAC-SHA1 over the raw request target, 15 minutes
// of Date skew against the wall clock, STS token when the pair has one, Content-MD5 in the SDK's
// base64-of-hex form or RFC 1864), and the documented limits with the cloud's error codes. Creates
// answer 201 with the resource's URL in Location on the host the request named (the API
// reference's examples; whether a 204 for an existing resource carries it too, the reference does
// not say: it does not here). Queue names follow the CreateQueue reference (at most 120
// characters, letters, digits and -, a letter or digit first); topic and subscription names the
// same rule with 256 characters, not checked against their references. Query parameter names are
// read in any case and values percent-decoded as a path is (a raw '+' in a receipt handle stays a
// '+'), so a handle works escaped or not. A handle whose visibility ran out answers
// MessageNotExist (the MNS troubleshooting page on that error), one that ChangeMessageVisibility
// replaced or that was never issued ReceiptHandleError.
//
// Time: delivery reads the injected clock (WithClock); the Date check reads WithWallClock. A long
// poll wakes on every state change and on Advance, re-reads the clock on a short real ticker
// (WithPollInterval), and ends after waitseconds of injected time or min(waitseconds,
// WithMaxRealWait) of real time, whichever comes first.
//
// Test API: CreateQueue, CreateTopic, Subscribe, Send, Publish seed state; Messages, Published,
// Calls, CallCount inspect it; OnPublish hooks a Go func to a topic; Advance, Wake, WaitForPollers
// drive time; FailNext (scripted), AddFault (rules: a count or a seeded probability) and Fault (5xx
// with the real error body, slow answers, dropped connections, lost answers) inject failures. The
// names are mpstest's: Calls and CallCount, FailNext, AddFault and FaultRule, ClearFaults.
//
// Simplified compared with the cloud:
//   - Delivery follows the service's documented storage on several nodes (order.go): a receive
//     takes what one of 4 stripes holds, so batches may be short and the order is not the send
//     order; seeded by WithSeed, strict with WithStrictOrder. The real number of nodes is larger.
//   - Topic pushes to queues are carried out after the PublishMessage answer, WithPushLatency
//     later on the injected clock, and a failed one (missing queue, notification over the
//     queue's size) is retried by the subscription's NotifyStrategy, then dropped (push.go;
//     PendingPushes, DroppedPushes); pushes happen when the server next looks at a queue, a
//     retry that fell due meanwhile being tried against the queues as they are then. HTTP and
//     mail endpoints are accepted but nothing is delivered to them.
//     Region and account in queue endpoints are not checked, on purpose: the Go SDK builds the
//     endpoint from the client's host, which against 127.0.0.1 yields region "0" and account
//     "127", so checking them would refuse the SDK's own subscriptions here.
//   - Throttling at the service's documented thresholds (throttle.go: 429 TooManyRequests after a
//     500 ms hold; WithThrottle), fixed where the service's are elastic. Long polls parked on a queue
//     are capped (WithMaxLongPolls, 1,000 by default; the service sets its cap by the polls'
//     count, waits and client IPs and gives no number): over it a receive answers
//     MessageNotExist at once, as the ReceiveMessage reference says. No queue "deleted recently" state, no logging,
//     no dead-letter queues, no ListQueue/ListTopic/ListSubscription, no message attributes.
//   - Codes the documentation does not establish are inferred: InvalidArgument for oversized
//     bodies, batches over 16, bad Priority and bad numOfMessages; 403 InvalidAccessKeyId for a
//     wrong, missing or expired STS token (WithSTSCredentialExpiring) and for a token sent with a
//     permanent pair; 400 InvalidRequestURL for unknown paths; 404 with an <Errors>
//     body for a partly failed BatchDeleteMessage. A message's own DelaySeconds always overrides
//     the queue's (the Go SDK always sends one); Priority 0 means the default 8. JSON
//     notifications carry PublishTime as a string and MessageTag only when set.
//   - Retention counts from the send, delayed messages included (the documentation's wording;
//     not established for delayed messages): a message delayed longer than the queue's
//     MessageRetentionPeriod (default 4 days) is lost, so week-long delays need a 7-day queue.
//   - Request records are kept for the server's life. A Drop fault aborts the handler with
//     http.ErrAbortHandler, which net/http turns into a closed connection; callers of Handler()
//     outside net/http must recover it.
//   - A BatchSendMessage with a bad message (its size, DelaySeconds or Priority) stores the others
//     and answers every message in order, ErrorCode for the bad ones, as the SDKs read it; the
//     status of that answer is not documented and is 500 here.
//
// Proven, from a document, an SDK or a probe: the XML bodies, namespaces (on the root of batch
// answers) and Location headers of the API reference's examples; the signature, headers and
// Content-MD5 forms (wire-formats.md 2.4, the SDK); query names in any case (the reference spells
// receiptHandle, the SDK ReceiptHandle); MessageNotExist for a handle whose visibility ran out (the
// troubleshooting page); queue names (CreateQueue reference); the limits (64 KB, 16 per batch, 30 s
// polls, 7 days: the limits page) and throttling (the throttling page); delivery from one storage
// node per receive (the batch FAQ); push retries (the NotifyStrategy page); a partly failed
// BatchSendMessage's body (the Go SDK's batchOpDecoder, the PHP SDK's BatchSendFailException).
//
// Inferred, and named where they are made: the codes in the list above; the 500 status of a
// partly failed batch send; the STS answers; the per-topic threshold; priority within one node
// only; JSON notification details. The handler reads none of these except throttling (429 and
// 5xx are transient either way) and the batch send, which it does not use.
//
// The conformance suite (conformance_test.go) runs the same table against the real cloud with
// `make conformance` (CONFORMANCE=cloud and the function's own credential variables: package
// handler/conformance); queue and read-only cases always, topic cases (billable) only with
// CONFORMANCE_BILLABLE=1. Cases that need the emulator's clock or test API are skipped against
// the cloud.
package mnstest
