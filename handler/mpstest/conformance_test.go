package mpstest

import (
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/mts"
	"github.com/google/go-cmp/cmp"

	"iprodwatch/parse"
)

func queryJob(c *mts.Client, id string) (*mts.QueryIProductionJobResponse, error) {
	r := mts.CreateQueryIProductionJobRequest()
	r.JobId = id
	return c.QueryIProductionJob(r)
}

// jobView is what a query says about a job: the typed fields plus what only the raw body shows
// (UserData null, the Result and Data strings decoded in turn).
type jobView struct {
	State, FunctionName, Input, Output, JobParams, JobID string
	PipelineSet                                          bool
	UserData                                             any
	ResultCode, ResultMessage                            string
	Data                                                 any
}

func viewOf(t *testing.T, resp *mts.QueryIProductionJobResponse) jobView {
	t.Helper()
	var raw struct {
		UserData any
		Result   *string
	}
	if err := json.Unmarshal(resp.GetHttpContentBytes(), &raw); err != nil {
		t.Fatalf("raw body %s: %v", resp.GetHttpContentString(), err)
	}
	v := jobView{
		State: resp.State, FunctionName: resp.FunctionName, Input: resp.Input, Output: resp.Output,
		JobParams: resp.JobParams, JobID: resp.JobId, PipelineSet: len(resp.PipelineId) == 32, UserData: raw.UserData,
	}
	if raw.Result == nil || *raw.Result == "" {
		return v
	}
	if *raw.Result != resp.Result {
		t.Errorf("typed Result %q differs from raw %q", resp.Result, *raw.Result)
	}
	var env struct {
		Code, Message string
		Data          *string // a JSON string, never an object: the double encoding
	}
	if err := json.Unmarshal([]byte(*raw.Result), &env); err != nil {
		t.Fatalf("Result is not a JSON document holding a string Data: %v (%s)", err, *raw.Result)
	}
	v.ResultCode, v.ResultMessage = env.Code, env.Message
	if env.Data != nil && *env.Data != "" {
		if err := json.Unmarshal([]byte(*env.Data), &v.Data); err != nil {
			t.Fatalf("Data %q: %v", *env.Data, err)
		}
	}
	return v
}

func TestSDKSubmitAndQueryFollowTheScriptedLifecycle(t *testing.T) {
	failure := &Result{Code: "InvalidParameter.InputFile", Message: "The input file does not exist."}
	type step struct {
		at   time.Duration
		want jobView
	}
	cover := jobView{
		FunctionName: parse.AlgorithmCover, Input: "oss://in-bucket.oss-cn-shanghai.aliyuncs.com/movies/trailer.mp4",
		Output: "oss://out-bucket/covers/{source}-{sequenceId}.jpg", JobParams: `{"Model":"gif"}`, PipelineSet: true,
		UserData: `{"order":"a&b <1>"}`,
	}
	at := func(v jobView, state string, mod func(*jobView)) jobView {
		v.State = state
		if mod != nil {
			mod(&v)
		}
		return v
	}
	fail := jobView{FunctionName: parse.AlgorithmVideoDelogo, Input: "oss://in-bucket/a.mp4", PipelineSet: true}
	cases := []struct {
		name   string
		script Script
		req    func(*mts.SubmitIProductionJobRequest)
		steps  []step
	}{
		{
			name:   "a Cover job is Queuing, then Analysing, then Success with a double-encoded Result",
			script: Script{Analysing: 2 * time.Second, Done: 10 * time.Second},
			req: func(r *mts.SubmitIProductionJobRequest) {
				r.FunctionName, r.Input, r.Output = cover.FunctionName, cover.Input, cover.Output
				r.JobParams, r.UserData = cover.JobParams, cover.UserData.(string)
			},
			steps: []step{
				{0, at(cover, StateQueuing, nil)},
				{2 * time.Second, at(cover, StateAnalysing, nil)},
				{9 * time.Second, at(cover, StateAnalysing, nil)},
				{10 * time.Second, at(cover, StateSuccess, func(v *jobView) {
					v.ResultCode, v.ResultMessage = "Success", "Successful."
					v.Data = []any{
						// The template's own extension wins over the gif the JobParams ask for.
						map[string]any{"Score": 9.12, "Time": "15020.0", "Url": "covers/trailer-00001.jpg"},
						map[string]any{"Score": 8.27, "Time": "28278.25", "Url": "covers/trailer-00002.jpg"},
						map[string]any{"Score": 7.4, "Time": "3300.5", "Url": "covers/trailer-00003.jpg"},
					}
				})},
			},
		},
		{
			name:   "a failing job without UserData answers null UserData and ends in Fail with its error",
			script: Script{Analysing: time.Second, Done: 3 * time.Second, Final: StateFail, Result: failure},
			req: func(r *mts.SubmitIProductionJobRequest) {
				r.FunctionName, r.Input = fail.FunctionName, fail.Input
			},
			steps: []step{
				{0, at(fail, StateQueuing, nil)},
				{time.Second, at(fail, StateAnalysing, nil)},
				{3 * time.Second, at(fail, StateFail, func(v *jobView) {
					v.ResultCode, v.ResultMessage = failure.Code, failure.Message
				})},
			},
		},
		{
			name:   "a job that never ends stays Analysing",
			script: Script{Analysing: time.Second, Never: true},
			req:    func(r *mts.SubmitIProductionJobRequest) { r.FunctionName, r.Input = fail.FunctionName, fail.Input },
			steps: []step{
				{0, at(fail, StateQueuing, nil)},
				{240 * time.Hour, at(fail, StateAnalysing, nil)},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tg := newEmulator(t, WithDefaultScript(func(SubmitParams) Script { return tc.script }))
			c := tg.defaultClient(t)
			r := mts.CreateSubmitIProductionJobRequest()
			tc.req(r)
			sub, err := c.SubmitIProductionJob(r)
			if err != nil {
				t.Fatalf("SubmitIProductionJob: %v", err)
			}
			if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(sub.JobId) || sub.RequestId == "" {
				t.Fatalf("submit answered JobId %q RequestId %q", sub.JobId, sub.RequestId)
			}
			for _, st := range tc.steps {
				tg.clk.Set(epoch.Add(st.at))
				resp, err := queryJob(c, sub.JobId)
				if err != nil {
					t.Fatalf("at +%v: QueryIProductionJob: %v", st.at, err)
				}
				want := st.want
				want.JobID = sub.JobId
				if diff := cmp.Diff(want, viewOf(t, resp)); diff != "" {
					t.Errorf("at +%v (-want +got):\n%s", st.at, diff)
				}
			}
		})
	}
}

func TestSDKQueriesAFinishedJobOfTheRealAccount(t *testing.T) {
	tg := realTarget(t)
	if tg == nil || tg.jobID == "" {
		t.Skip("the cloud run (CONFORMANCE=cloud) with CONFORMANCE_MPS_JOB_ID")
	}
	resp, err := queryJob(tg.defaultClient(t), tg.jobID)
	if err != nil {
		t.Fatalf("QueryIProductionJob: %v (raw %s)", err, resp.GetHttpContentString())
	}
	v := viewOf(t, resp)
	if v.State != StateSuccess && v.State != StateFail {
		t.Errorf("State = %q, want a final state", v.State)
	}
	t.Logf("real answer: %s", resp.GetHttpContentString())
}

func TestSDKSubmitsToTheRealAccount(t *testing.T) {
	tg := realTarget(t)
	if tg == nil || !tg.cloud.Billable {
		t.Skip("billable: the cloud run (CONFORMANCE=cloud) with CONFORMANCE_BILLABLE=1")
	}
	r := mts.CreateSubmitIProductionJobRequest()
	r.FunctionName, r.Input, r.Output = parse.AlgorithmCover, tg.cloud.MPSInput, tg.cloud.MPSOutput
	sub, err := tg.defaultClient(t).SubmitIProductionJob(r)
	if err != nil {
		t.Fatalf("SubmitIProductionJob: %v", err)
	}
	t.Logf("real submit answer: %s", sub.GetHttpContentString())
}

// errCase is one error path: the SDK must surface the cloud's code and status.
type errCase struct {
	name         string
	emulatorOnly bool
	opts         []Option
	prepare      func(t *testing.T, tg *target)
	call         func(t *testing.T, tg *target) error
	wantCode     string
	wantStatus   int
	check        func(t *testing.T, se *sdkerrors.ServerError)
}

func queryWith(t *testing.T, tg *target, id, secret, token string) error {
	_, err := queryJob(tg.client(t, id, secret, token, nil), "39f8e0bc005e4f309379701645f4")
	return err
}

func editedQuery(edit func(url.Values)) func(t *testing.T, tg *target) error {
	return func(t *testing.T, tg *target) error {
		_, err := queryJob(tg.client(t, tg.id, tg.secret, tg.token, resigning(tg.secret, edit)), "39f8e0bc005e4f309379701645f4")
		return err
	}
}

func commonCall(action, version string) func(t *testing.T, tg *target) error {
	return func(t *testing.T, tg *target) error {
		r := requests.NewCommonRequest()
		r.Method, r.Product, r.Version, r.ApiName = "POST", "Mts", version, action
		r.Domain = tg.domain
		if tg.real() {
			r.Domain, r.Scheme = "mts."+tg.region+".aliyuncs.com", "HTTPS"
		}
		_, err := tg.defaultClient(t).ProcessCommonRequest(r)
		return err
	}
}

func errorCases() []errCase {
	stamp := func(d time.Duration) func(url.Values) {
		return func(q url.Values) { q.Set("Timestamp", time.Now().UTC().Add(d).Format(timestampLayout)) }
	}
	injected := func(e *APIError) func(t *testing.T, tg *target) {
		return func(t *testing.T, tg *target) { tg.srv.FailNext(ActionQuery, "", 1, Fault{Error: e}) }
	}
	query := func(t *testing.T, tg *target) error { return queryWith(t, tg, tg.id, tg.secret, tg.token) }
	return []errCase{
		{
			name:     "an unknown AccessKeyId is InvalidAccessKeyId.NotFound",
			call:     func(t *testing.T, tg *target) error { return queryWith(t, tg, "LTAI5tNoSuchKey0000000000", "x", "") },
			wantCode: CodeInvalidAccessKeyIDNotFound, wantStatus: 404,
		},
		{
			name:     "a wrong secret is SignatureDoesNotMatch and the SDK blames the secret",
			call:     func(t *testing.T, tg *target) error { return queryWith(t, tg, tg.id, tg.secret+"x", tg.token) },
			wantCode: CodeSignatureDoesNotMatch, wantStatus: 400,
			check: func(t *testing.T, se *sdkerrors.ServerError) {
				// The SDK compares our string to sign with its own: equal means we agree on it.
				if want := "InvalidAccessKeySecret: Please check you AccessKeySecret"; se.Recommend() != want {
					t.Errorf("Recommend = %q, want %q", se.Recommend(), want)
				}
			},
		},
		{
			name: "a disabled AccessKey is InvalidAccessKeyId.Inactive", emulatorOnly: true,
			prepare:  func(t *testing.T, tg *target) { tg.srv.DisableAccessKey(testID) },
			call:     query,
			wantCode: CodeInvalidAccessKeyIDInactive, wantStatus: 400,
		},
		{
			name: "a Timestamp 20 minutes old is InvalidTimeStamp.Expired",
			call: editedQuery(stamp(-20 * time.Minute)), wantCode: CodeInvalidTimeStampExpired, wantStatus: 400,
		},
		{
			name: "a Timestamp 20 minutes ahead is InvalidTimeStamp.Expired",
			call: editedQuery(stamp(20 * time.Minute)), wantCode: CodeInvalidTimeStampExpired, wantStatus: 400,
		},
		{
			name: "a Timestamp that is not ISO 8601 UTC is InvalidTimeStamp.Format",
			call: editedQuery(func(q url.Values) { q.Set("Timestamp", "2024-05-06 07:08:09") }), wantCode: CodeInvalidTimeStampFormat, wantStatus: 400,
		},
		{
			name: "a second request with the same SignatureNonce is SignatureNonceUsed",
			call: func(t *testing.T, tg *target) error {
				c := tg.client(t, tg.id, tg.secret, tg.token, replaying())
				_, _ = queryJob(c, "39f8e0bc005e4f309379701645f4") // its answer does not matter
				_, err := queryJob(c, "39f8e0bc005e4f309379701645f4")
				return err
			},
			wantCode: CodeSignatureNonceUsed, wantStatus: 400,
		},
		{
			name: "an unknown Action is InvalidAction.NotFound",
			call: commonCall("QueryIProductionJobNope", APIVersion), wantCode: CodeInvalidActionNotFound, wantStatus: 404,
		},
		{
			name: "a known Action under an unknown Version is InvalidAction.NotFound", emulatorOnly: true,
			call: commonCall(ActionQuery, "2099-01-01"), wantCode: CodeInvalidActionNotFound, wantStatus: 404,
		},
		{
			name: "SubmitIProductionJob without FunctionName is MissingParameter",
			call: func(t *testing.T, tg *target) error {
				r := mts.CreateSubmitIProductionJobRequest()
				r.Input = "oss://b/in.mp4"
				_, err := tg.defaultClient(t).SubmitIProductionJob(r)
				return err
			},
			wantCode: CodeMissingParameter, wantStatus: 400,
			check: func(t *testing.T, se *sdkerrors.ServerError) {
				if want := `The input parameter "FunctionName" that is mandatory for processing this request is not supplied.`; se.Message() != want {
					t.Errorf("Message = %q, want %q", se.Message(), want)
				}
			},
		},
		{
			name: "a NotifyUrl naming a topic is InvalidParameter", emulatorOnly: true,
			call: func(t *testing.T, tg *target) error {
				r := mts.CreateSubmitIProductionJobRequest()
				r.FunctionName, r.NotifyUrl = parse.AlgorithmCover, "mns://123.mns.cn-shanghai.aliyuncs.com/topics/t"
				_, err := tg.defaultClient(t).SubmitIProductionJob(r)
				return err
			},
			wantCode: CodeInvalidParameter, wantStatus: 400,
		},
		{
			name: "a SecurityToken nobody issued is InvalidSecurityToken.Malformed",
			call: func(t *testing.T, tg *target) error {
				return queryWith(t, tg, tg.id, tg.secret, "not-a-token")
			},
			wantCode: CodeSecurityTokenMalformed, wantStatus: 400,
		},
		{
			name: "a SecurityToken issued to another key is InvalidSecurityToken.MismatchWithAccessKey", emulatorOnly: true,
			call:     func(t *testing.T, tg *target) error { return queryWith(t, tg, stsID, stsSecret, otherToken) },
			wantCode: CodeSecurityTokenMismatch, wantStatus: 400,
		},
		{
			name: "an expired SecurityToken is InvalidSecurityToken.Expired", emulatorOnly: true,
			call: func(t *testing.T, tg *target) error {
				return queryWith(t, tg, expiredSTSID, stsSecret, "expired-token")
			},
			wantCode: CodeSecurityTokenExpired, wantStatus: 400,
		},
		{
			name: "a temporary AccessKeyId without its token is InvalidAccessKeyId.NotFound", emulatorOnly: true,
			call:     func(t *testing.T, tg *target) error { return queryWith(t, tg, stsID, stsSecret, "") },
			wantCode: CodeInvalidAccessKeyIDNotFound, wantStatus: 404,
		},
		{
			name: "an unknown job can be answered InvalidParameter.JobNotFound", emulatorOnly: true,
			opts: []Option{WithUnknownJob(UnknownJobNotFound)},
			call: query, wantCode: CodeJobNotFound, wantStatus: 400,
		},
		{
			name: "an injected MPS flow control is Throttling", emulatorOnly: true,
			prepare: injected(ErrThrottling()), call: query, wantCode: CodeThrottling, wantStatus: 503,
		},
		{
			name: "an injected internal error is InternalError", emulatorOnly: true,
			prepare: injected(ErrInternalError()), call: query, wantCode: CodeInternalError, wantStatus: 500,
		},
		{
			name: "an injected outage is ServiceUnavailable", emulatorOnly: true,
			prepare: injected(ErrServiceUnavailable()), call: query, wantCode: CodeServiceUnavailable, wantStatus: 503,
		},
		{
			name: "a call past the per-second quota is Throttling.User", emulatorOnly: true,
			opts: []Option{WithQPS(ActionQuery, 2)},
			call: func(t *testing.T, tg *target) error {
				c := tg.defaultClient(t)
				for range 2 {
					if _, err := queryJob(c, "j"); err != nil {
						t.Fatalf("call within the quota: %v", err)
					}
				}
				_, err := queryJob(c, "j")
				return err
			},
			wantCode: CodeThrottlingUser, wantStatus: 400,
		},
	}
}

func TestSDKErrorsCarryTheCloudsCodeAndStatus(t *testing.T) {
	targets := []struct {
		name string
		real *target
	}{{name: "emulator"}}
	if tg := realTarget(t); tg != nil {
		targets = append(targets, struct {
			name string
			real *target
		}{"real cloud", tg})
	}
	for _, tgt := range targets {
		for _, tc := range errorCases() {
			t.Run(tgt.name+"/"+tc.name, func(t *testing.T) {
				tg := tgt.real
				if tg == nil {
					tg = newEmulator(t, tc.opts...)
					if tc.prepare != nil {
						tc.prepare(t, tg)
					}
				} else if tc.emulatorOnly {
					t.Skip("needs the emulator's test API")
				}
				err := tc.call(t, tg)
				var se *sdkerrors.ServerError
				if !errors.As(err, &se) {
					t.Fatalf("error = %v, want *errors.ServerError", err)
				}
				got := struct {
					Code   string
					Status int
				}{se.ErrorCode(), se.HttpStatus()}
				want := struct {
					Code   string
					Status int
				}{tc.wantCode, tc.wantStatus}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got):\n%s\nmessage: %s", diff, se.Message())
				}
				if se.RequestId() == "" || !strings.HasPrefix(se.HostId(), "mts.") && !tg.real() {
					t.Errorf("RequestId %q HostId %q, want both set", se.RequestId(), se.HostId())
				}
				if tc.check != nil {
					tc.check(t, se)
				}
			})
		}
	}
}

func TestSDKUnknownJobAnswersOnlyRequestIdAndJobId(t *testing.T) {
	tg := newEmulator(t)
	resp, err := queryJob(tg.defaultClient(t), "00000000000000000000000000000000")
	if err != nil {
		t.Fatalf("QueryIProductionJob: %v", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(resp.GetHttpContentBytes(), &raw); err != nil {
		t.Fatal(err)
	}
	delete(raw, "RequestId")
	if diff := cmp.Diff(map[string]any{"JobId": "00000000000000000000000000000000"}, raw); diff != "" {
		t.Errorf("body beside RequestId (-want +got):\n%s", diff)
	}
	if resp.State != "" {
		t.Errorf("State = %q, want empty", resp.State)
	}
}
