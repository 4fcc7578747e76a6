package handler_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler"
	"iprodwatch/handler/handlertest"
	"iprodwatch/handler/mnstest"
	"iprodwatch/handler/mpstest"
	"iprodwatch/parse"
)

// badDir is the bad-input corpus, one case a file:
//   - payloads/: invocation payloads, handed to the function as FC hands them over;
//   - bodies/: check-queue message bodies, sent to the queue between two good neighbours and
//     delivered in one batch by the EventBridge trigger;
//   - responses/: QueryIProductionJob bodies, answered by MPS to the check of a seeded job.
const badDir = "../testdata/bad"

// The good jobs every case runs beside: job1 has ended, job2 runs until the deadline.
const checkJob1 = `{"JobId":"` + job1 + `"}`

// wantDead is one expected dead letter.
type wantDead struct {
	reason []string // words the reason holds
	whole  bool     // the body kept is the file's bytes
	elem   int      // else, with byElem, element elem of the file's JSON array
	byElem bool
	body   string // else this body
	jobID  string // the jobId the dead letter names, when it names one
}

func dead(words ...string) wantDead { return wantDead{reason: words, whole: true} }

func deadElem(i int, words ...string) wantDead { return wantDead{reason: words, elem: i, byElem: true} }

func deadBody(body string, words ...string) wantDead { return wantDead{reason: words, body: body} }

// deadCheck is the check of job1 dead-lettered for what MPS answered.
func deadCheck(words ...string) wantDead {
	return wantDead{reason: append([]string{"QueryIProductionJob: "}, words...), body: checkJob1, jobID: job1}
}

type badCase struct {
	file    string
	trigger string // payloads: the trigger the answer names ("" is direct)
	dead    []wantDead
	// Besides the dead letters (and, for bodies, the neighbours' one publish and one requeue).
	published, requeued, retried int
	retryReason                  string // words the retried decision's reason holds
	status                       int    // responses: MPS's HTTP status (default 200)
	wantErr                      error  // a configuration fault fails the invocation, so it is delivered again
	injected                     string // a crafted job id: it must not reach MPS, and is logged only quoted
	check                        func(t *testing.T, e *env)
}

var (
	injectLog = job1 + "\n{\"time\":\"2026-11-25T12:00:00Z\",\"level\":\"ERROR\",\"msg\":\"forged\"}"
	injectLF  = job1 + "\n{\"level\":\"ERROR\",\"msg\":\"forged\"}"
)

func badCases() []badCase {
	return []badCase{
		// Malformed JSON.
		{file: "payloads/malformed-truncated-object.json", dead: []wantDead{dead("body is not JSON: unexpected end of JSON input")}},
		{file: "payloads/malformed-trailing-comma.json", dead: []wantDead{dead("body is not JSON: invalid character '}'")}},
		{file: "payloads/malformed-single-quotes.json", dead: []wantDead{dead(`body is not JSON: invalid character '\''`)}},
		{file: "payloads/malformed-unquoted-key.json", dead: []wantDead{dead("body is not JSON: invalid character 'J'")}},
		{file: "payloads/malformed-two-objects.json", dead: []wantDead{dead("body is not JSON", "after top-level value")}},
		{file: "payloads/malformed-nan.json", dead: []wantDead{dead("body is not JSON: invalid character 'N'")}},
		{file: "payloads/malformed-comment.json", dead: []wantDead{dead("neither JSON nor base64", "// check this job")}},
		{file: "payloads/malformed-truncated-array.json", dead: []wantDead{dead("body is not JSON: unexpected end of JSON input")}},
		{file: "payloads/malformed-bom.json", dead: []wantDead{dead("neither JSON nor base64", `\ufeff{`)}},

		// Every field of the check message with the wrong type.
		{file: "payloads/type-v-string.json", dead: []wantDead{dead("cannot unmarshal string", "Check.v of type int")}},
		{file: "payloads/type-v-null.json", dead: []wantDead{dead("check message version 0 is not supported")}},
		{file: "payloads/type-jobid-number.json", dead: []wantDead{dead("cannot unmarshal number", "Check.jobId of type string")}},
		{file: "payloads/type-attempt-string.json", dead: []wantDead{dead("cannot unmarshal string", "Check.attempt of type int")}},
		{file: "payloads/type-attempt-fraction.json", dead: []wantDead{dead("cannot unmarshal number 1.5", "Check.attempt")}},
		{file: "payloads/type-attempt-negative.json", dead: []wantDead{dead("negative attempt")}},
		{file: "payloads/type-firstcheckedat-number.json", dead: []wantDead{dead("firstCheckedAt: Time.UnmarshalJSON: input is not a JSON string")}},
		{file: "payloads/type-deadline-not-a-time.json", dead: []wantDead{dead(`deadline: parsing time "tomorrow"`)}},
		{file: "payloads/type-expectedseconds-string.json", dead: []wantDead{dead("cannot unmarshal string", "Check.expectedSeconds of type float64")}},
		{file: "payloads/type-algorithm-object.json", dead: []wantDead{dead("cannot unmarshal object", "Check.algorithm of type string")}},
		{file: "payloads/type-laststate-number.json", dead: []wantDead{dead("cannot unmarshal number", "Check.lastState")}},
		{file: "payloads/type-statesince-bool.json", dead: []wantDead{dead("stateSince: Time.UnmarshalJSON: input is not a JSON string")}},
		{file: "payloads/type-failures-array.json", dead: []wantDead{dead("cannot unmarshal array", "Check.failures of type int")}},
		{file: "payloads/type-submit-jobid-array.json", dead: []wantDead{dead("JobId: want a string, got an array")}},
		{file: "payloads/type-submit-expected-bool.json", dead: []wantDead{dead("expectedSeconds: want a positive number")}},
		{file: "payloads/good-userdata-number.json", published: 1}, // userData is the submitter's: any JSON

		// Job ids: missing, empty, odd.
		{file: "payloads/jobid-missing.json", dead: []wantDead{dead("check message has no jobId")}},
		{file: "payloads/jobid-empty.json", dead: []wantDead{dead("empty JobId")}},
		{file: "payloads/jobid-null.json", dead: []wantDead{dead("empty JobId")}},
		{file: "payloads/jobid-whitespace.json", dead: []wantDead{dead(`invalid job id "   "`)}, injected: "   "},
		{file: "payloads/jobid-too-long.json", dead: []wantDead{dead("invalid job id", "want ^[A-Za-z0-9_-]{1,128}$")}, injected: strings.Repeat("a", 129)},
		{file: "payloads/jobid-non-ascii.json", dead: []wantDead{dead("invalid job id")}, injected: "88c6ca184c0e432bbf5b665e2a15abcé"},
		{file: "payloads/jobid-zero-width.json", dead: []wantDead{dead("invalid job id", `\u200b`)}, injected: "88c6ca184c0e432b\u200bbf5b665e2a15abcd"},
		{file: "payloads/jobid-casings-disagree.json", dead: []wantDead{dead("JobId and jobId disagree")}},

		// Job ids crafted to inject into the MPS request or a log line.
		{file: "payloads/inject-url-query.json", dead: []wantDead{dead("invalid job id")}, injected: job1 + "&Action=SubmitIProductionJob&FunctionName=Cover"},
		{file: "payloads/inject-path.json", dead: []wantDead{dead("invalid job id")}, injected: "..%2F..%2F" + job1},
		{file: "payloads/inject-log-newline.json", dead: []wantDead{dead("invalid job id")}, injected: injectLog},
		{file: "payloads/inject-crlf.json", dead: []wantDead{dead("invalid job id")}, injected: job1 + "\r\nX-Forged: forged"},
		{file: "payloads/inject-ansi.json", dead: []wantDead{dead("invalid job id")}, injected: "\x1b[2K\x1b[1Gforged"},
		{file: "payloads/inject-nul.json", dead: []wantDead{dead("invalid job id")}, injected: job1 + "\x00forged"},
		{file: "payloads/inject-notification.json", dead: []wantDead{dead("invalid job id")}, injected: job1 + "?JobId=forged#"},

		// Oversized: a payload over one MNS message, a huge one, bodies that grow when escaped.
		{file: "payloads/oversized-jobid.json", dead: []wantDead{dead("invalid job id")}},
		{file: "payloads/oversized-garbage.txt", dead: []wantDead{dead("neither JSON nor base64")}},
		{file: "payloads/oversized-escapes.json", dead: []wantDead{dead(`invalid job id "not a job id"`)}},
		{file: "payloads/oversized-line-separators.json", dead: []wantDead{dead(`invalid job id "not a job id"`)}},
		{file: "payloads/oversized-requeue.json", requeued: 1, check: userDataOmitted},

		// Invalid UTF-8 and binary.
		{file: "payloads/utf8-invalid-jobid.bin", dead: []wantDead{dead("invalid job id")}},
		{file: "payloads/utf8-latin1.bin", dead: []wantDead{dead("neither JSON nor base64", `caf\xe9`)}},
		{file: "payloads/utf8-surrogate.bin", dead: []wantDead{dead("invalid job id")}},
		{file: "payloads/utf8-truncated-key.bin", trigger: "unknown", dead: []wantDead{dead("unknown trigger shape")}},
		{file: "payloads/binary-gzip.bin", dead: []wantDead{dead("neither JSON nor base64", `\x1f\x8b`)}},
		{file: "payloads/binary-utf16le.bin", dead: []wantDead{dead(`body is not JSON: invalid character '\x00'`)}},

		// Base64 where text is expected, text where base64 is, and JSON strings.
		{file: "payloads/base64-of-garbage.txt", dead: []wantDead{dead("neither JSON nor base64 of JSON")}},
		{file: "payloads/base64-of-truncated-json.txt", dead: []wantDead{dead("neither JSON nor base64 of JSON")}},
		{file: "payloads/base64-twice.txt", dead: []wantDead{dead("neither JSON nor base64 of JSON")}},
		{file: "payloads/good-base64-of-check.txt", published: 1},
		{file: "payloads/good-base64-url-raw.txt", requeued: 1},
		{file: "payloads/good-base64-mime-wrapped.txt", published: 1},
		{file: "payloads/good-json-string-of-check.json", published: 1},
		{file: "payloads/good-json-string-of-base64.json", published: 1},
		{file: "payloads/json-string-of-garbage.json", dead: []wantDead{dead(`neither JSON nor base64 of JSON: "hello"`)}},
		{file: "payloads/text-instead-of-json.txt", dead: []wantDead{dead("neither JSON nor base64 of JSON")}},

		// Trigger shapes nobody configured.
		{file: "payloads/shape-oss-event.json", trigger: "unknown", dead: []wantDead{dead("unknown trigger shape", "none of the distinguishing fields")}},
		{file: "payloads/shape-s3-records.json", trigger: "unknown", dead: []wantDead{dead("unknown trigger shape", "none of the distinguishing fields")}},
		{file: "payloads/shape-kafka-eventbridge.json", trigger: "eventbridge", dead: []wantDead{deadElem(0, "batch element 0: messageBody is missing or not a string")}},
		{file: "payloads/shape-kafka-records.json", dead: []wantDead{deadElem(0, "body has no JobId")}},
		{file: "payloads/shape-empty-object.json", trigger: "unknown", dead: []wantDead{dead("unknown trigger shape", "none of the distinguishing fields")}},
		{file: "payloads/shape-numbers.json", dead: []wantDead{
			deadElem(0, "body is a number, want a JSON object"), deadElem(1, "body is a number"), deadElem(2, "body is a number")}},
		{file: "payloads/shape-null.json", trigger: "unknown", dead: []wantDead{dead("unknown trigger shape: payload is null")}},
		{file: "payloads/shape-true.json", trigger: "unknown", dead: []wantDead{dead("unknown trigger shape: payload is a boolean")}},
		{file: "payloads/shape-empty-array.json", trigger: "unknown", dead: []wantDead{dead("unknown trigger shape: empty array")}},
		{file: "payloads/shape-empty.txt", trigger: "unknown", dead: []wantDead{dead("unknown trigger shape: empty payload")}},
		{file: "payloads/shape-whitespace.txt", trigger: "unknown", dead: []wantDead{dead("unknown trigger shape: empty payload")}},

		// EventBridge, topic, STREAM and timer payloads gone wrong.
		{file: "payloads/eventbridge-mixed.json", trigger: "eventbridge", published: 1, requeued: 1, dead: []wantDead{
			deadElem(1, "batch element 1: CloudEvent without data.messageBody"),
			deadElem(2, "batch element 2: messageBody is missing or not a string"),
			deadElem(3, "batch element 3 is a number, not an EventBridge event"),
			deadElem(4, "batch element 4 is a string, not an EventBridge event"),
			deadElem(5, "batch element 5 is null, not an EventBridge event"),
			deadBody("not a check", "neither JSON nor base64"),
			deadElem(7, "batch element 7: messageBody is missing or not a string"),
		}},
		{file: "payloads/eventbridge-data-string.json", trigger: "eventbridge", dead: []wantDead{dead("CloudEvent without data.messageBody")}},
		{file: "payloads/topic-message-object.json", trigger: "topic", dead: []wantDead{dead("topic Message: want a string, got an object")}},
		{file: "payloads/topic-message-garbage.json", trigger: "topic", dead: []wantDead{deadBody("not a check", "neither JSON nor base64")}},
		{file: "payloads/stream-attrs-no-body.json", trigger: "unknown", dead: []wantDead{dead("unknown trigger shape")}},
		{file: "payloads/stream-attrs-body-number.json", trigger: "topic", dead: []wantDead{dead("STREAM body: want a string, got a number")}},
		{file: "payloads/timer-bad-time.json", trigger: "unknown", dead: []wantDead{dead("unknown trigger shape: timer event: parsing time")}},

		// Notifications and versions.
		{file: "payloads/notification-transcode.json", dead: []wantDead{dead(`MPS notification for a "Transcode" job, not an intelligent-production job`)}},
		{file: "payloads/notification-state-number.json", dead: []wantDead{dead("notification State: want a string, got a number")}},
		{file: "payloads/good-notification-odd-state.json", published: 1}, // the state is a hint: the query decides
		{file: "payloads/check-version-2.json", dead: []wantDead{dead("check message version 2 is not supported (want 1)")}},

		// Huge numbers.
		{file: "payloads/huge-attempt-1e309.json", dead: []wantDead{dead("cannot unmarshal number 1e309", "Check.attempt")}},
		{file: "payloads/huge-attempt-maxint.json", dead: []wantDead{dead("attempt 9223372036854775807 is over")}},
		{file: "payloads/huge-expectedseconds-1e309.json", dead: []wantDead{dead("cannot unmarshal number 1e309", "Check.expectedSeconds")}},
		{file: "payloads/good-huge-expectedseconds-1e308.json", requeued: 1, check: requeuedWithin(5*time.Second, 5*time.Minute)},
		// Times from a producer's clock, bounded by ours.
		{file: "payloads/firstcheckedat-year-9999.json", requeued: 1, check: nextCheckStartsNow},
		{file: "payloads/firstcheckedat-offset-past-9999.json", requeued: 1, check: nextCheckStartsNow},
		{file: "payloads/firstcheckedat-clock-ahead.json", requeued: 1, check: nextCheckStartsNow},
		{file: "payloads/firstcheckedat-1999.json", dead: []wantDead{{reason: []string{"firstCheckedAt 1999-01-01T00:00:00Z is", "before now"}, whole: true, jobID: job2}}},
		{file: "payloads/huge-deadline-year-99999.json", dead: []wantDead{dead(`deadline: parsing time "99999-01-01T00:00:00Z"`)}},

		// Deeply nested JSON: past encoding/json's limit of 10000 levels, and just under it.
		{file: "payloads/deep-array.json", dead: []wantDead{dead("body is not JSON", "exceeded max depth")}},
		{file: "payloads/deep-object.json", dead: []wantDead{dead("body is not JSON", "exceeded max depth")}},
		{file: "payloads/good-deep-userdata.json", published: 1},

		// Check-queue bodies between good neighbours.
		{file: "bodies/not-a-check.txt", dead: []wantDead{dead("neither JSON nor base64")}},
		{file: "bodies/no-jobid.json", dead: []wantDead{dead("body has no JobId")}},
		// job1's check, base64: decoded, and merged with its neighbour, job1's check (one chain per job).
		{file: "bodies/good-base64-of-check.txt"},
		{file: "bodies/topic-envelope-message-object.json", dead: []wantDead{dead("topic notification Message: want a string, got an object")}},
		{file: "bodies/notification-transcode.json", dead: []wantDead{dead(`"Transcode" job`)}},
		{file: "bodies/check-version-2.json", dead: []wantDead{dead("version 2 is not supported")}},
		{file: "bodies/inject-log.json", dead: []wantDead{dead("invalid job id")}, injected: injectLF},
		{file: "bodies/json-string-of-garbage.json", dead: []wantDead{dead("neither JSON nor base64")}},
		{file: "bodies/at-the-size-limit.json", dead: []wantDead{dead("invalid job id")}},
		{file: "bodies/escapes-near-the-limit.json", dead: []wantDead{dead(`invalid job id "x y"`)}},
		// job2's check with 64 KiB of userData, merged with its neighbour (job2's bare check): the one
		// chain is this one, re-queued without its userData.
		{file: "bodies/requeue-grows-past-the-limit.json", check: userDataOmitted},

		// QueryIProductionJob answers.
		{file: "responses/state-cancelled.json", dead: []wantDead{deadCheck(`unknown State "Cancelled"`)}},
		{file: "responses/state-lowercase.json", dead: []wantDead{deadCheck(`unknown State "success"`)}},
		{file: "responses/state-missing.json", dead: []wantDead{deadCheck("response has no State")}},
		{file: "responses/state-number.json", dead: []wantDead{deadCheck("State: want a string, got a number")}},
		{file: "responses/result-number.json", dead: []wantDead{deadCheck("Result: want an object or a JSON string holding one, got a number")}},
		{file: "responses/result-array.json", dead: []wantDead{deadCheck("Result: want an object or a JSON string holding one, got an array")}},
		{file: "responses/result-not-json.json", dead: []wantDead{deadCheck(`Result: string is not JSON: "Code=Success"`)}},
		{file: "responses/result-truncated.json", dead: []wantDead{deadCheck("Result: string is not JSON")}},
		{file: "responses/result-code-number.json", dead: []wantDead{deadCheck("Result.Code: want a string, got a number")}},
		{file: "responses/data-number.json", published: 1, check: eventData("ImageH2V", `42`, "Data 42 is not the file envelope")},
		{file: "responses/data-array.json", published: 1, check: eventData("ImageH2V", `[{"OutputFile":"oss://x/y.jpg"}]`, "")},
		{file: "responses/data-text.json", published: 1, check: eventData("ImageH2V", `"all done, see the bucket"`, `Data "all done, see the bucket" is not the file envelope`)},
		{file: "responses/unknown-algorithm.json", published: 1,
			check: eventData("FaceSwap", `{"FaceCount":2,"Output":{"File":"oss://media.oss-cn-shanghai.aliyuncs.com/out/swap.mp4"}}`, "")},
		{file: "responses/deep-data.json", published: 1, check: eventData("FaceSwap", "", "")},
		{file: "responses/huge-number-data.json", published: 1, check: eventData("AudioQualityAssessment", `{"Score":1e400,"Duration":12.5}`, "")},
		{file: "responses/good-userdata-object.json", published: 1, check: eventUserData(`{"tenant":"acme"}`)},
		// On the first check MPS may not know a job yet: asked again (NewJobGrace; decide_test.go
		// shows the dead letter after it).
		{file: "responses/no-such-job.json", retried: 1, retryReason: `no intelligent-production job "` + job1 + `"`},
		{file: "responses/jobid-missing.json", dead: []wantDead{deadCheck("malformed QueryIProductionJob response: no JobId")}},
		{file: "responses/jobid-another-job.json", dead: []wantDead{deadCheck("asked for job " + job1 + ", answered for job " + job2)}},
		{file: "responses/jobid-injection.json", dead: []wantDead{deadCheck("invalid job id")}, injected: injectLF},
		{file: "responses/functionname-number.json", dead: []wantDead{deadCheck("FunctionName: want a string, got a number")}},
		// Answers that are not the API's: retried (a proxy's page or a cut body says nothing about the job).
		{file: "responses/array-body.json", retried: 1, retryReason: "not the API's answer: QueryIProductionJob: malformed QueryIProductionJob response: body is not a JSON object"},
		{file: "responses/empty-200.json", retried: 1, retryReason: "not the API's answer: QueryIProductionJob: malformed QueryIProductionJob response: empty body"},
		{file: "responses/proxy-page-200.html", retried: 1, retryReason: "not the API's answer: QueryIProductionJob: malformed QueryIProductionJob response: body is not a JSON object"},
		{file: "responses/truncated-200.json", retried: 1, retryReason: "not the API's answer: QueryIProductionJob: malformed"},
		{file: "responses/gateway-429.html", status: 429, retried: 1, retryReason: "throttled: MPS 429 without an API error body", check: throttledOnce},
		{file: "responses/gateway-408.html", status: 408, retried: 1, retryReason: "not the API's answer: MPS 408 without an API error body"},
		{file: "responses/gateway-502.html", status: 502, retried: 1, retryReason: `not the API's answer: MPS 502 without an API error body: "<html>\r\n<head><title>502 Bad Gateway`},
		{file: "responses/code-number-500.json", status: 500, retried: 1, retryReason: "MPS answered an error the SDK could not read"},
		{file: "responses/code-number-400.json", status: 400, retried: 1, retryReason: "MPS answered an error the SDK could not read"},
		{file: "responses/forbidden-403.html", status: 403, wantErr: handler.ErrConfig},
	}
}

// TestBadInputIsDeadLetteredWithItsReason runs every file of the corpus through the function: no
// panic, the invocation acknowledged (unless a configuration fault), exactly the expected dead
// letters with their reasons and bodies, the good neighbours handled, every log line one JSON
// object without the secret, and no crafted job id sent to MPS.
func TestBadInputIsDeadLetteredWithItsReason(t *testing.T) {
	cases := badCases()
	files := corpusFiles(t)
	rows := map[string]bool{}
	for _, tt := range cases {
		if rows[tt.file] {
			t.Errorf("%s has two rows", tt.file)
		}
		rows[tt.file] = true
		if !slices.Contains(files, tt.file) {
			t.Errorf("row %s has no file in %s", tt.file, badDir)
		}
	}
	for _, f := range files {
		if !rows[f] {
			t.Errorf("%s/%s has no row in the table", badDir, f)
		}
	}
	for _, tt := range cases {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join(badDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			// The bad message and its two neighbours must reach one invocation: strict delivery, so
			// the service's loose batch filling does not split them.
			e := newEnv(t, handlertest.Options{MNS: []mnstest.Option{mnstest.WithStrictOrder()}})
			e.seed(job1, "ImageH2V", mpstest.Script{Done: time.Second}, false)
			e.seed(job2, "VideoH2V", mpstest.Script{Analysing: time.Second, Never: true}, false)
			e.clk.AdvanceTo(t0.Add(2 * time.Second))
			trigger := "eventbridge"
			switch kind, _, _ := strings.Cut(tt.file, "/"); kind {
			case "payloads":
				trigger = orDefault(tt.trigger, readAs(body))
				e.runPayload(tt, body)
			case "bodies":
				e.runBody(tt, body)
			case "responses":
				trigger = "direct"
				e.w.MPS.FailNext(mpstest.ActionQuery, job1, 1, mpstest.Fault{RawStatus: orDefault(tt.status, 200), RawBody: body})
				e.runPayload(tt, []byte(checkJob1))
			default:
				t.Fatalf("%s: the corpus has payloads/, bodies/ and responses/", tt.file)
			}
			e.checkDeadLetters(tt, body, trigger)
			e.checkLogsAndMPS(tt)
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

// readAs is the trigger a payload without a case of its own is read as, by the README's trigger
// table (rows 8 and 9): stream for a body that is no JSON object or array, else direct.
func readAs(payload []byte) string {
	b := bytes.TrimSpace(payload)
	if !json.Valid(b) || (len(b) > 0 && b[0] == '"') {
		return "stream"
	}
	return "direct"
}

// runPayload invokes the function with the payload and checks its answer.
func (e *env) runPayload(tt badCase, payload []byte) {
	t := e.t
	t.Helper()
	out, err := handleNoPanic(e, payload)
	if tt.wantErr != nil {
		if !errors.Is(err, tt.wantErr) {
			t.Fatalf("Handle = %v, want an error matching %v", err, tt.wantErr)
		}
		if n := len(e.w.DeadLetters()) + len(e.events()) + len(e.w.MNS.Messages(handlertest.CheckQueue)); n != 0 {
			t.Errorf("a failed invocation sent %d messages; the trigger delivers it again", n)
		}
		return
	}
	if err != nil {
		t.Fatalf("Handle = %v; bad input must be acknowledged, or the trigger delivers it forever", err)
	}
	s := decodeSummary(t, out)
	want := handler.Summary{Trigger: orDefault(tt.trigger, readAs(payload)), Published: tt.published, Requeued: tt.requeued,
		Retried: tt.retried, DeadLettered: len(tt.dead)}
	got := handler.Summary{Trigger: s.Trigger, Published: s.Published, Requeued: s.Requeued, Retried: s.Retried, DeadLettered: s.DeadLettered}
	if strings.HasPrefix(tt.file, "responses/") {
		want.Trigger = "direct"
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s\nanswer: %s", diff, out)
	}
	for _, d := range s.Decisions {
		if d.Decision == handler.DecisionRetried && !strings.Contains(d.Reason, tt.retryReason) {
			t.Errorf("retried because %q, want it to say %q", d.Reason, tt.retryReason)
		}
	}
	if n := len(e.events()); n != tt.published {
		t.Errorf("%d events published, want %d", n, tt.published)
	}
	if n := len(e.w.MNS.Messages(handlertest.CheckQueue)); n != tt.requeued+tt.retried {
		t.Errorf("%d checks on the queue, want %d re-queued and retried", n, tt.requeued+tt.retried)
	}
}

// runBody puts the body on the check queue between a check of job1 (ended) and one of job2
// (running), and lets the EventBridge trigger deliver the three in one batch.
func (e *env) runBody(tt badCase, body []byte) {
	t := e.t
	t.Helper()
	if !utf8.Valid(body) || hasControlChar(body) {
		t.Fatalf("an MNS body is XML text: put %s under payloads/", tt.file)
	}
	e.send(checkJob1)
	e.send(string(body))
	e.send(`{"JobId":"` + job2 + `"}`)
	src := e.queueTrigger()
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("panic: %v", p)
			}
		}()
		if _, err := src.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}()
	if st := src.Stats(); st.Invocations != 1 || st.Failures != 0 || st.Consumed != 3 {
		t.Errorf("trigger stats %+v, want one successful invocation of the three messages", st)
	}
	if n := len(e.eventsFor(job1)); n != 1+tt.published {
		t.Errorf("%d events for job1, want the neighbour's and %d", n, tt.published)
	}
	var next []string
	for _, m := range e.w.MNS.Messages(handlertest.CheckQueue) {
		next = append(next, m.Body)
	}
	if len(next) != 1+tt.requeued || !strings.Contains(next[0], `"jobId":"`+job2+`"`) {
		t.Errorf("check queue holds %.300q, want job2's next check and %d more", next, tt.requeued)
	}
}

func handleNoPanic(e *env, payload []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			e.t.Fatalf("Handle panicked: %v", p)
		}
	}()
	return e.h.Handle(context.Background(), payload)
}

// checkDeadLetters compares the dead-letter queue with the row: one dead letter per expectation,
// with the body as it came (text when it is text, else base64; a prefix when cut), the reason, the
// trigger and the job.
func (e *env) checkDeadLetters(tt badCase, file []byte, trigger string) {
	t := e.t
	t.Helper()
	type letter struct {
		V             int
		Reason        string
		Trigger       string
		MessageID     string
		JobID         string
		At            time.Time
		Body          string
		BodyBase64    string
		BodyTruncated bool
	}
	var got []letter
	for _, raw := range e.w.DeadLetters() {
		if len(raw) > handler.MaxMessage {
			t.Errorf("a dead letter of %d bytes", len(raw))
		}
		var l letter
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("dead letter is not JSON: %.300s", raw)
		}
		got = append(got, l)
	}
	if len(got) != len(tt.dead) {
		t.Errorf("%d dead letters, want %d: %.2000q", len(got), len(tt.dead), e.w.DeadLetters())
	}
	var elems []json.RawMessage
	if slices.ContainsFunc(tt.dead, func(w wantDead) bool { return w.byElem }) {
		if err := json.Unmarshal(file, &elems); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range tt.dead {
		want := []byte(w.body)
		switch {
		case w.whole:
			want = file
		case w.byElem:
			want = elems[w.elem]
		}
		var kept []byte
		i := slices.IndexFunc(got, func(l letter) bool {
			kept = []byte(l.Body)
			if l.BodyBase64 != "" {
				kept, _ = base64.StdEncoding.DecodeString(l.BodyBase64)
			}
			return bytes.Equal(kept, want) || len(kept) >= 8<<10 && bytes.HasPrefix(want, kept)
		})
		if i < 0 {
			t.Errorf("no dead letter keeps the body %.200q", want)
			continue
		}
		l := got[i]
		got = slices.Delete(got, i, i+1)
		if l.BodyTruncated != (len(kept) < len(want)) {
			t.Errorf("dead letter keeps %d of %d bytes with bodyTruncated = %v", len(kept), len(want), l.BodyTruncated)
		}
		for _, word := range w.reason {
			if !strings.Contains(l.Reason, word) {
				t.Errorf("dead letter of %.80q: reason %q does not say %q", want, l.Reason, word)
			}
		}
		if text := utf8.Valid(want) && !hasControlChar(want); text != (l.BodyBase64 == "") {
			t.Errorf("dead letter of %.80q kept as text=%v, want text only when the body is valid UTF-8 without control characters", want, !text)
		}
		if l.V != 1 || l.Trigger != trigger || l.JobID != w.jobID || !l.At.Equal(e.clk.Now()) {
			t.Errorf("dead letter v=%d trigger=%q jobId=%q at=%v; want 1, %q, %q, %v", l.V, l.Trigger, l.JobID, l.At, trigger, w.jobID, e.clk.Now())
		}
		if strings.HasPrefix(tt.file, "bodies/") && l.MessageID == "" {
			t.Errorf("dead letter of a queue message without its messageId")
		}
	}
}

// checkLogsAndMPS checks what the run left in the log and in MPS's traffic.
func (e *env) checkLogsAndMPS(tt badCase) {
	t := e.t
	t.Helper()
	quoted := false
	for _, line := range strings.Split(strings.TrimSuffix(e.logs.String(), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("log line is not one JSON object: %.300q", line)
			continue
		}
		if strings.Contains(line, handlertest.Secret) {
			t.Errorf("the secret is in the log: %.300s", line)
		}
		if m["msg"] == "forged" || m["msg"] == "internal error" {
			t.Errorf("log line %.300s", line)
		}
		if reason, _ := m["reason"].(string); tt.injected != "" && strings.Contains(reason, strconv.Quote(tt.injected)) {
			quoted = true
		}
	}
	if tt.injected != "" && !quoted {
		t.Errorf("no log line names the crafted job id quoted, as %s", strconv.Quote(tt.injected))
	}
	for _, c := range e.w.MPS.Calls() {
		if c.JobID != job1 && c.JobID != job2 {
			t.Errorf("MPS was asked about job %q", c.JobID)
		}
	}
	if tt.injected != "" && e.w.MPS.CallCount("", tt.injected) != 0 {
		t.Errorf("the crafted job id reached MPS")
	}
}

// corpusFiles lists the corpus, paths relative to badDir with forward slashes.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(badDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(badDir, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hasControlChar is the dead-letter rule: control characters other than tab and newlines make a
// body base64.
func hasControlChar(b []byte) bool {
	return bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' })
}

// userDataOmitted checks that a check too large for its userData was re-queued without it,
// flagged: the job outlives its userData.
func userDataOmitted(t *testing.T, e *env) {
	var omitted int
	for _, m := range e.w.MNS.Messages(handlertest.CheckQueue) {
		if req, err := parse.DecodeCheck([]byte(m.Body)); err == nil && req.Check.UserDataOmitted && req.Check.UserData == nil && len(m.Body) < 1024 {
			omitted++
		}
	}
	if omitted != 1 {
		t.Errorf("%d re-queued checks without their userData, want 1", omitted)
	}
}

// nextCheckStartsNow checks that a check whose times lie in the future was re-queued as one that
// started now: its deadline counted from our clock, not the producer's.
func nextCheckStartsNow(t *testing.T, e *env) {
	now := e.clk.Now()
	var found bool
	for _, m := range e.w.MNS.Messages(handlertest.CheckQueue) {
		req, err := parse.DecodeCheck([]byte(m.Body))
		if err != nil || req.Check.JobID != job2 {
			continue
		}
		found = true
		c := req.Check
		if !c.FirstCheckedAt.Equal(now) || !c.Deadline.Equal(now.Add(24*time.Hour)) || c.StateSince.After(now) {
			t.Errorf("next check firstCheckedAt %v, deadline %v, stateSince %v; want %v, %v and not after it",
				c.FirstCheckedAt, c.Deadline, c.StateSince, now, now.Add(24*time.Hour))
		}
	}
	if !found {
		t.Error("no next check of job2 on the check queue")
	}
}

// throttledOnce checks that the answer counted as throttled, which slows the instance's budget.
func throttledOnce(t *testing.T, e *env) {
	n := 0
	for _, l := range e.logLines() {
		if l["msg"] == "invocation" {
			n += int(l["throttled"].(float64))
		}
	}
	if n != 1 {
		t.Errorf("%d throttled answers counted, want 1", n)
	}
}

// requeuedWithin checks the delay of the one re-queued check.
func requeuedWithin(lo, hi time.Duration) func(t *testing.T, e *env) {
	return func(t *testing.T, e *env) {
		for _, r := range e.records() {
			if r.Decision == handler.DecisionRequeued {
				d := time.Duration(r.DelaySeconds * float64(time.Second))
				if d < lo || d > hi {
					t.Errorf("re-queued with a delay of %v, want %v to %v", d, lo, hi)
				}
				return
			}
		}
		t.Errorf("no re-queued check among the decisions")
	}
}

// eventData checks the published event: its algorithm, its rawData (when given) and its
// resultError (words it holds; "" wants none).
func eventData(algorithm, rawData, resultError string) func(t *testing.T, e *env) {
	return func(t *testing.T, e *env) {
		evs := e.eventsFor(job1)
		if len(evs) != 1 {
			t.Fatalf("%d events, want 1", len(evs))
		}
		d := evs[0].Data
		if d.Algorithm != algorithm || rawData != "" && string(d.RawData) != rawData || len(d.RawData) == 0 {
			t.Errorf("event algorithm %q rawData %.200s; want %q and %s", d.Algorithm, d.RawData, algorithm, rawData)
		}
		if resultError == "" && d.ResultError != "" || !strings.Contains(d.ResultError, resultError) {
			t.Errorf("event resultError %q, want %q", d.ResultError, resultError)
		}
	}
}

func eventUserData(want string) func(t *testing.T, e *env) {
	return func(t *testing.T, e *env) {
		evs := e.eventsFor(job1)
		if len(evs) != 1 || evs[0].Data.UserData == nil || *evs[0].Data.UserData != want {
			t.Errorf("events %+v, want one whose userData is %s", evs, want)
		}
	}
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
