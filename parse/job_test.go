package parse_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/parse"
)

func TestDecodeJobKeepsEveryField(t *testing.T) {
	got, err := parse.DecodeJob(mustRead(t, "../testdata/mps/VideoH2V/success.json"))
	if err != nil {
		t.Fatal(err)
	}
	userData := `{"workflow":"promo-42","tenant":"acme"}`
	want := &parse.Job{
		RequestID:    "FE45618A-5CC5-AA34-FB68-8B69E369DBD2",
		JobID:        "ea587dbb4aa8f1aa702e9da7a3a2ec41",
		FunctionName: "VideoH2V",
		State:        parse.StateSuccess,
		Input:        "oss://media-prod.oss-cn-shanghai.aliyuncs.com/in/launch.mp4",
		Output:       "oss://media-prod.oss-cn-shanghai.aliyuncs.com/out/{source}-{timestamp}-{sequenceId}.mp4",
		PipelineID:   "39f8e0bc005e4f309379701645f4a1b2",
		UserData:     &userData,
		Result: &parse.Result{
			Code:    "Success",
			Message: "Successful.",
			Data:    []byte(`{"result":[{"file":"out/launch-1699000000-00001.mp4"}]}`),
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DecodeJob (-want +got):\n%s", diff)
	}
}

func TestResultAsStringOrObjectDecodesAlike(t *testing.T) {
	asString, err := parse.DecodeJob(mustRead(t, "../testdata/mps/ImageCartoonize/success.json"))
	if err != nil {
		t.Fatal(err)
	}
	asObject, err := parse.DecodeJob(mustRead(t, "../testdata/mps/ImageCartoonize/success-object.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(asString.Result, asObject.Result); diff != "" {
		t.Errorf("Result differs between the string and the object rendering (-string +object):\n%s", diff)
	}
	if asObject.UserData != nil {
		t.Errorf("UserData = %q, want nil for JSON null", *asObject.UserData)
	}
}

func TestDecodeJobResultShapes(t *testing.T) {
	const head = `{"RequestId":"R","JobId":"88c6ca184c0e432bbf5b665e2a15abcd","FunctionName":"Cover","State":"Success","Result":`
	tests := []struct {
		name   string
		result string
		want   *parse.Result
	}{
		{"absent Result is no Result", ``, nil},
		{"null Result is no Result", `null`, nil},
		{"empty string Result is no Result", `""`, nil},
		{"Data as a string holding an array", `"{\"Code\":\"Success\",\"Data\":\"[1,2]\"}"`,
			&parse.Result{Code: "Success", Data: []byte(`[1,2]`)}},
		{"Data as an object", `{"Code":"Success","Data":{"a": 1}}`,
			&parse.Result{Code: "Success", Data: []byte(`{"a":1}`)}},
		{"Data as an empty string is no Data", `{"Code":"Success","Data":""}`,
			&parse.Result{Code: "Success"}},
		{"Data that is plain text is kept as a string", `{"Code":"Success","Data":"done"}`,
			&parse.Result{Code: "Success", Data: []byte(`"done"`)}},
		{"Data encoded three times is unwrapped", `"{\"Data\":\"\\\"{\\\\\\\"a\\\\\\\":1}\\\"\"}"`,
			&parse.Result{Data: []byte(`{"a":1}`)}},
		{"failure envelope keeps Code and Message", `{"Code":"InternalError","Message":"boom"}`,
			&parse.Result{Code: "InternalError", Message: "boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := head + tt.result + `}`
			if tt.result == "" {
				body = head[:len(head)-len(`,"Result":`)] + `}`
			}
			job, err := parse.DecodeJob([]byte(body))
			if err != nil {
				t.Fatalf("DecodeJob(%s): %v", body, err)
			}
			if diff := cmp.Diff(tt.want, job.Result); diff != "" {
				t.Errorf("Result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeJobErrors(t *testing.T) {
	var (
		noSuchJob    *parse.NoSuchJobError
		unknownState *parse.UnknownStateError
	)
	isNoSuchJob := func(err error) bool { return errors.As(err, &noSuchJob) }
	isUnknownState := func(err error) bool { return errors.As(err, &unknownState) }
	is := func(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }
	tests := []struct {
		file  string
		match func(error) bool
		what  string
	}{
		{"no-such-job", isNoSuchJob, "*NoSuchJobError"},
		{"unknown-state", isUnknownState, "*UnknownStateError"},
		{"missing-state", isUnknownState, "*UnknownStateError"},
		{"result-number", is(parse.ErrMalformed), "ErrMalformed"},
		{"result-not-json", is(parse.ErrMalformed), "ErrMalformed"},
		{"jobid-number", is(parse.ErrMalformed), "ErrMalformed"},
		{"jobid-injection", is(parse.ErrInvalidJobID), "ErrInvalidJobID"},
		{"missing-jobid", is(parse.ErrMalformed), "ErrMalformed"},
		{"truncated-json", is(parse.ErrMalformed), "ErrMalformed"},
		{"array-body", is(parse.ErrMalformed), "ErrMalformed"},
		{"empty-body", is(parse.ErrMalformed), "ErrMalformed"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			job, err := parse.DecodeJob(mustRead(t, "../testdata/mps/errors/"+tt.file+".json"))
			if err == nil {
				t.Fatalf("DecodeJob = %+v, want an error matching %s", job, tt.what)
			}
			if !tt.match(err) {
				t.Errorf("DecodeJob error %q (%T) does not match %s", err, err, tt.what)
			}
		})
	}
	t.Run("no-such-job names the job and the request", func(t *testing.T) {
		_, err := parse.DecodeJob(mustRead(t, "../testdata/mps/errors/no-such-job.json"))
		if !errors.As(err, &noSuchJob) {
			t.Fatalf("err = %v", err)
		}
		want := &parse.NoSuchJobError{JobID: "f33208eb63e24108120d11f6d2db1691", RequestID: "47FEE4EA-857B-DDCB-0E43-69217E1DBCE5"}
		if diff := cmp.Diff(want, noSuchJob); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestValidateJobID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"88c6ca184c0e432bbf5b665e2a15abcd", true},
		{"job_1-A", true},
		{"", false},
		{"a/b", false},
		{"a b", false},
		{"a\nlevel=ERROR", false},
		{"%2e%2e", false},
		{string(make([]byte, 129)), false},
	}
	for _, tt := range tests {
		err := parse.ValidateJobID(tt.id)
		if got := err == nil; got != tt.want {
			t.Errorf("ValidateJobID(%q) = %v, want valid=%v", tt.id, err, tt.want)
		}
		if err != nil && !errors.Is(err, parse.ErrInvalidJobID) {
			t.Errorf("ValidateJobID(%q) error %v does not match ErrInvalidJobID", tt.id, err)
		}
	}
}
