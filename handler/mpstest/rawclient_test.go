package mpstest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/parse"
)

// The test's own signer must reproduce the captured vector before it can vouch for anything.
func TestIndependentSignerReproducesTheCapturedVector(t *testing.T) {
	q := url.Values{
		"AccessKeyId": {"testid"}, "Action": {"QueryIProductionJob"}, "Format": {"JSON"},
		"JobId": {"39f8e0bc005e4f309379701645f4"}, "RegionId": {"cn-shanghai"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {"3f0a1b2c4d5e6f708192a3b4c5d6e7f8"},
		"SignatureType": {""}, "SignatureVersion": {"1.0"}, "Timestamp": {"2024-05-06T07:08:09Z"},
		"Version": {"2014-06-18"},
	}
	if got, want := independentSign("POST", q, "testsecret"), "wrIHe/NcRAevStUCNciPt8DuG8g="; got != want {
		t.Fatalf("independentSign = %q, want %q", got, want)
	}
}

// A client that is not the Go SDK (GET with a query string, POST with a form body, or both
// halves at once) is served as long as it signs every parameter it sends.
func TestNonSDKClientsAreServed(t *testing.T) {
	tg := newEmulator(t)
	if err := tg.srv.SeedJob(Job{ID: "job1", Params: SubmitParams{FunctionName: parse.AlgorithmVideoH2V, Input: "oss://b/a b.mp4", UserData: "u & v"},
		Script: Script{Done: time.Second}}); err != nil {
		t.Fatal(err)
	}
	tg.clk.Advance(time.Second)
	tests := []struct {
		name  string
		build func(q url.Values) *http.Request
	}{
		{"a GET with every parameter in the query string", func(q url.Values) *http.Request {
			q.Set("Signature", independentSign("GET", q, testSecret))
			r, _ := http.NewRequest(http.MethodGet, tg.srv.URL+"/?"+q.Encode(), nil)
			return r
		}},
		{"a POST with every parameter in a form body", func(q url.Values) *http.Request {
			q.Set("Signature", independentSign("POST", q, testSecret))
			r, _ := http.NewRequest(http.MethodPost, tg.srv.URL+"/", strings.NewReader(q.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			return r
		}},
		{"a POST with the common parameters in the query and the API's in the body", func(q url.Values) *http.Request {
			q.Set("Signature", independentSign("POST", q, testSecret))
			body := url.Values{"JobId": q["JobId"]}
			q.Del("JobId")
			r, _ := http.NewRequest(http.MethodPost, tg.srv.URL+"/?"+q.Encode(), strings.NewReader(body.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{
				"Action": {ActionQuery}, "Version": {APIVersion}, "Format": {"JSON"}, "AccessKeyId": {testID},
				"SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"}, "SignatureNonce": {"raw-nonce-" + string(rune('a'+i))},
				"Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")}, "JobId": {"job1"},
			}
			resp, err := http.DefaultClient.Do(tt.build(q))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct {
				JobId, State, Input string
				UserData            *string
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			ud := "u & v"
			want := struct {
				JobId, State, Input string
				UserData            *string
			}{"job1", StateSuccess, "oss://b/a b.mp4", &ud}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Signing only the query of a request that also has a form body must fail: both halves count.
func TestASignatureOverTheQueryAloneIsRejectedWhenTheBodyHasParameters(t *testing.T) {
	tg := newEmulator(t)
	q := url.Values{
		"Action": {ActionQuery}, "Version": {APIVersion}, "AccessKeyId": {testID},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"}, "SignatureNonce": {"n1"},
		"Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")},
	}
	q.Set("Signature", independentSign("POST", q, testSecret))
	r, _ := http.NewRequest(http.MethodPost, tg.srv.URL+"/?"+q.Encode(), strings.NewReader("JobId=job1"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Code string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 400 || body.Code != CodeSignatureDoesNotMatch {
		t.Errorf("got %d %q, want 400 %s", resp.StatusCode, body.Code, CodeSignatureDoesNotMatch)
	}
}

// WithResultForm(ResultObject) answers a finished job's Result as the envelope object, as the API
// reference page's example shows; the default is the JSON string the SDK's response type holds.
// The Go SDK's typed decode fails on the object (its field is a string); the raw body is whole.
func TestResultIsAnObjectWhenAsked(t *testing.T) {
	for form, want := range map[ResultForm]string{ResultString: `"Result":"{\"Code\":`, ResultObject: `"Result":{"Code":`} {
		tg := newEmulator(t, WithResultForm(form))
		if err := tg.srv.SeedJob(Job{ID: "job1", Params: SubmitParams{FunctionName: parse.AlgorithmVideoH2V}, Script: Script{Done: time.Second}}); err != nil {
			t.Fatal(err)
		}
		tg.clk.Advance(time.Second)
		resp, _ := queryJob(tg.defaultClient(t), "job1")
		if body := resp.GetHttpContentString(); !strings.Contains(body, want) {
			t.Errorf("form %d: answer %s, want %s", form, body, want)
		}
	}
}
