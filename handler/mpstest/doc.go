// Package mpstest is an in-process emulator of the Alibaba Cloud MPS (Mts, RPC API 2014-06-18)
// intelligent-production API, in the style of net/http/httptest: NewServer starts it on
// 127.0.0.1 and the real alibaba-cloud-sdk-go services/mts client talks to it over HTTP with
// client.Domain set to the URL's host:port.
//
// It serves QueryIProductionJob and SubmitIProductionJob as the gateway and the service do:
// parameters from the query string and from a form body (GET, POST with a query string as the Go
// SDK sends, POST with an application/x-www-form-urlencoded body), the RPC signature v1
// (HMAC-SHA1 over every parameter but Signature, empty ones included) and the V3 signature
// (ACS3-HMAC-SHA256 in an Authorization header, the call's identity in x-acs- headers, which the
// generated SDKs of the other languages send by default), AccessKey and STS credentials, the
// ±15 minute Timestamp (x-acs-date) window and nonce replay checks against the wall clock
// (WithWallClock), the per-account quota per second of the injected clock (WithClock), and the
// cloud's error bodies and statuses (wire-formats.md 1.5). Job lifecycles (Queuing, Analysing,
// Success or Fail) follow a Script on the injected clock; Result is a JSON string whose Data is
// again a JSON string (the SDK's response type), or with WithResultForm(ResultObject) the envelope
// as an object (the API reference page's example); the handler is tested under both. A job submitted with a NotifyUrl naming an MNS queue is announced through
// a Notifier when it ends; DeliverDue (also run at the start of every request) and RunDelivery
// send what is due.
//
// Test API beside the wire API: AddAccessKey, AddSTSCredential, DisableAccessKey, SeedJob,
// SetScript, SetDefaultScript, AddFault / FailNext (errors, real-time delays, dropped
// connections; scripted or by seeded probability), SetQPS, Calls / CallCount / CallsPerSecond,
// Notifications.
//
// Simplified compared with the cloud:
//   - one account per server; every registered key belongs to it; RAM permissions, OwnerId and
//     ResourceOwner* parameters and RegionId are not checked;
//   - answers are always JSON (Format=XML is ignored); of the signature methods only HMAC-SHA1
//     1.0 (V1) and ACS3-HMAC-SHA256 (V3) are verified; ACS3-HMAC-SM3 and ACS3-RSA-SHA256 answer
//     IncompleteSignature;
//   - Input, Output and JobParams are stored and echoed, not validated (only FunctionName is
//     required, NotifyUrl must be an MNS queue URL); algorithms outside the 14 are accepted;
//   - Result of a running job is ""; the cloud's value is not documented. An unknown job id
//     answers 200 with only RequestId and JobId (WithUnknownJob picks the alternative
//     400 InvalidParameter.JobNotFound); neither is documented for MPS;
//   - codes and statuses the documentation does not give are inferred (see wire-formats.md
//     1.5): InvalidAction.NotFound 404, SignatureDoesNotMatch 400, Throttling 503 for the
//     injected MPS flow-control fault, Throttling.User 400 for the quota;
//   - the default results per algorithm and the processing times are plausible, not measured.
//
// Proven, from a document or a probe:
//   - V1: the string to sign and the vectors of wire-formats.md 1.3 (the SDK's capture, re-computed
//     in Python); the common parameters; the Timestamp layout;
//   - V3: the canonical request, the string to sign and the rule that every common header present
//     but Authorization is signed (help.aliyun.com document_detail/2593177); the four requests in
//     testdata/mps/v3, captured from Alibaba Cloud's own V3 client (darabonba-openapi/v2 v2.1.7)
//     and verified in Python before they were stored, are served (TestV3CapturedRequestsAreServed);
//   - the response envelope, Result's double encoding (the SDK's response type) and the object
//     form (the API page's example); the SDK's error parsing and its SignatureDoesNotMatch marker.
//
// Inferred, with every answer the handler depends on tested in each plausible form:
//   - the statuses of gateway errors (wire-formats.md 1.5) and their V3 equivalents: a V3 call
//     fails with the V1 codes (a header missing is MissingParameter, a header unsigned or an
//     unknown algorithm IncompleteSignature, a body that does not match x-acs-content-sha256
//     SignatureDoesNotMatch, an x-acs-accesskey-id that is not the Credential IncompleteSignature,
//     an unsigned Content-Type accepted);
//   - the answer for an unknown job (both forms, WithUnknownJob), Throttling's 503, Result of a
//     running job.
//
// The conformance suites (the SDK's V1 calls and the V3 cases) run against the real cloud too
// with `make conformance` (CONFORMANCE=cloud and the function's own credential variables:
// package handler/conformance); CONFORMANCE_MPS_JOB_ID adds the read-only query of a finished
// job, CONFORMANCE_BILLABLE=1 with CONFORMANCE_MPS_INPUT and CONFORMANCE_MPS_OUTPUT a submit.
package mpstest
