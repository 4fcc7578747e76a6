package mpstest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzServeHTTP throws arbitrary requests at the handler, once as they come and once correctly
// signed (so parsing past authentication is reached too): every answer must be a JSON object,
// an error answer must carry string Code and Message, and nothing may panic.
func FuzzServeHTTP(f *testing.F) {
	f.Add("POST", "Action=QueryIProductionJob&Version=2014-06-18&JobId=j", "", "")
	f.Add("GET", "Action=SubmitIProductionJob&Version=2014-06-18&FunctionName=Cover&NotifyUrl=mns%3A%2F%2F1.mns.r.aliyuncs.com%2Fqueues%2Fq", "", "")
	f.Add("POST", "", "Action=QueryIProductionJob&Version=2014-06-18&JobId=%zz", "application/x-www-form-urlencoded")
	f.Add("PUT", "a=b&&=&c", "x=%", "application/x-www-form-urlencoded; charset=utf-8")
	f.Add("POST", "Action=SubmitIProductionJob&Version=2014-06-18&FunctionName=ImageCartoonize&Output=oss%3A%2F%2F%25", "Input=%7B%22Object%22%3A1%7D", "application/x-www-form-urlencoded")
	f.Fuzz(func(t *testing.T, method, rawQuery, body, contentType string) {
		srv := NewServer(WithCredential(testID, testSecret))
		defer srv.Close()
		h := srv.Handler()
		check := func(r *http.Request) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("status %d, body %q is not a JSON object: %v", rec.Code, rec.Body.String(), err)
			}
			if rec.Code != http.StatusOK {
				if _, ok := got["Code"].(string); !ok {
					t.Fatalf("error body without a string Code: %s", rec.Body.String())
				}
				if _, ok := got["Message"].(string); !ok {
					t.Fatalf("error body without a string Message: %s", rec.Body.String())
				}
			}
		}
		r, err := http.NewRequest(method, "/?"+rawQuery, strings.NewReader(body))
		if err != nil {
			return
		}
		r.Header.Set("Content-Type", contentType)
		check(r)

		// Signed: the same parameters plus valid common ones.
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		q.Set("AccessKeyId", testID)
		q.Set("SignatureMethod", "HMAC-SHA1")
		q.Set("SignatureVersion", "1.0")
		q.Set("SignatureNonce", "fuzz-nonce")
		q.Set("Timestamp", time.Now().UTC().Format(timestampLayout))
		q.Set("Signature", Sign(StringToSign(http.MethodPost, q), testSecret))
		r2 := httptest.NewRequest(http.MethodPost, "/?"+q.Encode(), nil)
		check(r2)
	})
}
