package mnstest

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzRequestBody sends any bytes, validly signed, as the body of every operation that reads
// one. The emulator must answer (never panic) and every non-2xx answer must be an XML error
// body the SDK can decode.
func FuzzRequestBody(f *testing.F) {
	seeds := []string{
		`<Message><MessageBody>hi</MessageBody><DelaySeconds>0</DelaySeconds><Priority>0</Priority></Message>`,
		`<Messages><Message><MessageBody>a</MessageBody></Message></Messages>`,
		`<ReceiptHandles><ReceiptHandle>1-x</ReceiptHandle></ReceiptHandles>`,
		`<Queue><VisibilityTimeout>abc</VisibilityTimeout></Queue>`,
		`<Subscription><Endpoint>acs:mns:r:a:queues/q</Endpoint><NotifyContentFormat>JSON</NotifyContentFormat></Subscription>`,
		`<Topic><MaximumMessageSize>1024</MaximumMessageSize></Topic>`,
		"<Message><MessageBody>&#x1;</MessageBody></Message>",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	targets := []struct{ method, path string }{
		{"POST", "/queues/q/messages"},
		{"DELETE", "/queues/q/messages"},
		{"PUT", "/queues/q"},
		{"PUT", "/queues/new"},
		{"PUT", "/queues/q?metaoverride=true"},
		{"PUT", "/topics/t"},
		{"PUT", "/topics/t/subscriptions/s"},
		{"POST", "/topics/t/messages"},
	}
	s := newServer(WithCredential(testID, testSecret))
	if err := s.CreateQueue("q", QueueAttributes{}); err != nil {
		f.Fatal(err)
	}
	if err := s.CreateTopic("t"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, tg := range targets {
			req := httptest.NewRequest(tg.method, tg.path, bytes.NewReader(body))
			sum := md5.Sum(body)
			req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%x", sum)))
			req.Header.Set("Content-Type", "application/xml")
			req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			req.Header.Set("x-mns-version", "2015-06-06")
			req.Header.Set("Authorization", "MNS "+testID+":"+Sign(testSecret, tg.method, req.Header, req.RequestURI))
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code >= 300 {
				var e struct {
					XMLName xml.Name
					Code    string `xml:"Code"`
				}
				if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil || (e.XMLName.Local == "Error" && e.Code == "") {
					t.Fatalf("%s %s: status %d with undecodable error body %q", tg.method, tg.path, rec.Code, rec.Body.String())
				}
			}
		}
	})
}
