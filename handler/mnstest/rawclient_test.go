package mnstest

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// rawSign is an independent implementation of the MNS signature, written from the documentation
// (https://www.alibabacloud.com/help/doc-detail/27487.htm), so the emulator's verifier is not
// only checked against itself.
func rawSign(secret string, req *http.Request) string {
	var mns []string
	for k, v := range req.Header {
		if k := strings.ToLower(k); strings.HasPrefix(k, "x-mns-") {
			mns = append(mns, k+":"+v[0])
		}
	}
	sort.Strings(mns)
	s := strings.Join([]string{req.Method, req.Header.Get("Content-MD5"), req.Header.Get("Content-Type"), req.Header.Get("Date")}, "\n") + "\n" +
		strings.Join(mns, "\n") + "\n" + req.URL.RequestURI()
	m := hmac.New(sha1.New, []byte(secret))
	io.WriteString(m, s)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// rawDo sends a signed request the way a non-Go client would: RFC 1864 Content-MD5, its own
// Content-Type, a Host header that is not the cloud's.
func rawDo(t *testing.T, s *Server, method, target, body, contentType string) (int, string) {
	t.Helper()
	status, b, _ := rawDoHeaders(t, s, method, target, body, contentType)
	return status, b
}

// rawDoHeaders is rawDo with the answer's headers.
func rawDoHeaders(t *testing.T, s *Server, method, target, body, contentType string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte(body))
	req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header.Set("X-MNS-Version", "2015-06-06")
	req.Host = "mns.example.internal"
	req.Header.Set("Authorization", "MNS "+testID+":"+rawSign(testSecret, req))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func TestRawHTTPClientWithItsOwnSigner(t *testing.T) {
	s := NewServer(WithCredential(testID, testSecret))
	t.Cleanup(s.Close)
	if err := s.CreateQueue("raw", QueueAttributes{}); err != nil {
		t.Fatal(err)
	}
	type step struct {
		name, method, target, body, contentType string
		wantStatus                              int
		wantCode                                string
	}
	steps := []step{
		{"a send with a text/plain body type is accepted", "POST", "/queues/raw/messages", `<?xml version="1.0"?><Message xmlns="http://mns.aliyuncs.com/doc/v1/"><MessageBody>hi</MessageBody></Message>`, "text/plain", 201, ""},
		{"a receive is answered with the message", "GET", "/queues/raw/messages?waitseconds=1", "", "application/xml", 200, ""},
		{"a malformed body is MalformedXML", "POST", "/queues/raw/messages", `<Message><MessageBody>hi</Message>`, "text/xml", 400, "MalformedXML"},
		{"an unknown path is InvalidRequestURL", "GET", "/nowhere", "", "text/xml", 400, "InvalidRequestURL"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			status, body := rawDo(t, s, st.method, st.target, st.body, st.contentType)
			var e struct {
				Code string `xml:"Code"`
			}
			if status >= 300 {
				if err := xml.Unmarshal([]byte(body), &e); err != nil {
					t.Fatalf("error body %q: %v", body, err)
				}
			}
			if d := cmp.Diff(fmt.Sprint(st.wantStatus, " ", st.wantCode), fmt.Sprint(status, " ", e.Code)); d != "" {
				t.Errorf("status and code mismatch (-want +got):\n%s\nbody: %s", d, body)
			}
		})
	}
}

func TestSignMatchesTheProbedVectors(t *testing.T) {
	// Vectors from wire-formats.md 2.4, produced by the real SDK and checked with openssl.
	const date = "Wed, 25 Nov 2026 12:20:57 GMT"
	tests := []struct {
		name, method, md5, target, want string
	}{
		{"SendMessage", "POST", "YWI5MDEwNWJlMDlmMTFlZGVhYmFhMjM3NDk5M2RkYTg=", "/queues/iprod-check/messages", "cFnyK9FGOB+UDVcKhV+KrLDQ/nE="},
		{"DeleteMessage with an escaped handle", "DELETE", "ZDQxZDhjZDk4ZjAwYjIwNGU5ODAwOTk4ZWNmODQyN2U=", "/queues/iprod-check/messages?ReceiptHandle=1-ab%2Bc%2Fd%3D%3D", "MQ5yme2C4w4gES1vaPY+3xSzkkk="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("Content-MD5", tc.md5)
			h.Set("Content-Type", "application/xml")
			h.Set("Date", date)
			h.Set("x-mns-version", "2015-06-06")
			h.Set("Security-Token", "not signed")
			if got := Sign("testsecret", tc.method, h, tc.target); got != tc.want {
				t.Errorf("Sign = %s, want %s", got, tc.want)
			}
		})
	}
}

// CreateQueue, CreateTopic and Subscribe answer 201 with the created resource's URL in Location,
// as the MNS API reference's examples show (Location: http://$AccountId.mns.<region>.aliyuncs.com/
// queues/$QueueName): clients read the resource from it. The host is the one the request named,
// which in the cloud is the account's endpoint.
func TestCreatedResourcesAreNamedInLocation(t *testing.T) {
	s := NewServer(WithCredential(testID, testSecret))
	t.Cleanup(s.Close)
	const xmlQueue = `<?xml version="1.0" encoding="UTF-8"?><Queue xmlns="http://mns.aliyuncs.com/doc/v1/"></Queue>`
	const xmlTopic = `<?xml version="1.0" encoding="UTF-8"?><Topic xmlns="http://mns.aliyuncs.com/doc/v1/"></Topic>`
	const xmlSub = `<?xml version="1.0" encoding="UTF-8"?><Subscription xmlns="http://mns.aliyuncs.com/doc/v1/"><Endpoint>http://example.com/push</Endpoint></Subscription>`
	for _, st := range []struct{ target, body, want string }{
		{"/queues/located", xmlQueue, "http://mns.example.internal/queues/located"},
		{"/topics/located", xmlTopic, "http://mns.example.internal/topics/located"},
		{"/topics/located/subscriptions/sub", xmlSub, "http://mns.example.internal/topics/located/subscriptions/sub"},
	} {
		status, body, h := rawDoHeaders(t, s, "PUT", st.target, st.body, "text/xml")
		if status != http.StatusCreated || h.Get("Location") != st.want {
			t.Errorf("PUT %s = %d, Location %q (%s); want 201 and %q", st.target, status, h.Get("Location"), body, st.want)
		}
	}
}

// Batch answers carry the namespace on the root element only, as the service's examples show
// (BatchReceiveMessage, BatchSendMessage): not on every nested Message, which clients that map XML
// attributes break on.
func TestBatchAnswersPutTheNamespaceOnTheRootOnly(t *testing.T) {
	s := NewServer(WithCredential(testID, testSecret), WithStrictOrder())
	t.Cleanup(s.Close)
	if err := s.CreateQueue("batch", QueueAttributes{}); err != nil {
		t.Fatal(err)
	}
	const send = `<?xml version="1.0" encoding="UTF-8"?><Messages xmlns="http://mns.aliyuncs.com/doc/v1/">` +
		`<Message><MessageBody>a</MessageBody></Message><Message><MessageBody>b</MessageBody></Message></Messages>`
	for _, st := range []struct{ name, method, target, body string }{
		{"BatchSendMessage", "POST", "/queues/batch/messages", send},
		{"BatchReceiveMessage", "GET", "/queues/batch/messages?numOfMessages=2", ""},
	} {
		status, body, _ := rawDoHeaders(t, s, st.method, st.target, st.body, "text/xml")
		if status >= 300 || strings.Count(body, "xmlns=") != 1 || strings.Count(body, "<Message>") != 2 {
			t.Errorf("%s = %d %s: want the namespace once, on <Messages>, and two plain <Message>", st.name, status, body)
		}
	}
}

// Query parameter names are read in any case, as the service reads them (the Go SDK writes
// ReceiptHandle and VisibilityTimeout, the API reference receiptHandle and visibilityTimeout), and
// a receipt handle sent unescaped, '+' and all, is the handle: a '+' is not a space.
func TestQueryParametersAreReadAsTheServiceReadsThem(t *testing.T) {
	if got := parseQuery("receiptHandle=1-a+b%2Bc&VISIBILITYTIMEOUT=60&receipthandle=later"); got.get("ReceiptHandle") != "1-a+b+c" || got.get("visibilityTimeout") != "60" {
		t.Errorf("parseQuery = %v: want the handle with its '+' and the names in any case", got)
	}
	s := NewServer(WithCredential(testID, testSecret))
	t.Cleanup(s.Close)
	if err := s.CreateQueue("cased", QueueAttributes{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send("cased", "hi", 0, 8); err != nil {
		t.Fatal(err)
	}
	status, body := rawDo(t, s, "GET", "/queues/cased/messages", "", "text/xml")
	var m struct{ ReceiptHandle string }
	if err := xml.Unmarshal([]byte(body), &m); status != 200 || err != nil || m.ReceiptHandle == "" {
		t.Fatalf("receive = %d %s (%v)", status, body, err)
	}
	status, body = rawDo(t, s, "PUT", "/queues/cased/messages?receiptHandle="+m.ReceiptHandle+"&visibilityTimeout=60", "", "text/xml")
	if status != 200 {
		t.Errorf("ChangeMessageVisibility spelled as the API reference does, handle unescaped = %d %s, want 200", status, body)
	}
}

// Every answer carries the common response headers of the API reference ("Common parameters":
// Content-Length, Connection, Date, Server, x-mns-request-id, x-mns-version), a large one too:
// net/http would send a body over 2 KiB chunked, with no Content-Length.
func TestAnswersCarryTheCommonResponseHeaders(t *testing.T) {
	s := NewServer(WithCredential(testID, testSecret))
	t.Cleanup(s.Close)
	if err := s.CreateQueue("headers", QueueAttributes{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send("headers", strings.Repeat("b", 60000), 0, 0); err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct{ name, method, target string }{
		{"a large ReceiveMessage", "GET", "/queues/headers/messages"},
		{"GetQueueAttributes", "GET", "/queues/headers"},
		{"an error", "GET", "/queues/missing"},
	} {
		status, body, h := rawDoHeaders(t, s, st.method, st.target, "", "text/xml")
		var missing []string
		for _, name := range []string{"Content-Length", "Date", "Server", "x-mns-request-id", "x-mns-version"} {
			if h.Get(name) == "" {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 || h.Get("Content-Length") != fmt.Sprint(len(body)) || h.Get("x-mns-version") != "2015-06-06" {
			t.Errorf("%s (%d): headers %v, missing %v; want every common header, Content-Length %d", st.name, status, h, missing, len(body))
		}
	}
}

// childOrder lists the element names directly under the root of an XML answer.
func childOrder(t *testing.T, body string) (root string, children []string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return root, children
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				root = e.Name.Local
			} else if depth == 2 {
				children = append(children, e.Name.Local)
			}
		case xml.EndElement:
			depth--
		}
	}
}

// Answers hold their elements in the order of the API reference's examples (SendMessage's; the
// error body of "Format of error responses", document_detail/27500): clients that read XML as a
// stream, or compare against the examples, see what they would from the service. (ReceiveMessage's
// Response Body table lists MessageBody before MessageBodyMD5 and the emulator writes the MD5
// first, as the example it was built from did; the example could not be read again here, so that
// order is not asserted.)
func TestAnswersHoldTheDocumentedElementsInOrder(t *testing.T) {
	s := NewServer(WithCredential(testID, testSecret))
	t.Cleanup(s.Close)
	if err := s.CreateQueue("ordered", QueueAttributes{}); err != nil {
		t.Fatal(err)
	}
	const send = `<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mns.aliyuncs.com/doc/v1/"><MessageBody>hi</MessageBody></Message>`
	tests := []struct {
		name, method, target, body string
		wantRoot                   string
		want                       []string
	}{
		{"SendMessage", "POST", "/queues/ordered/messages", send, "Message", []string{"MessageId", "MessageBodyMD5"}},
		{"an error", "GET", "/queues/missing/messages", "", "Error", []string{"Code", "Message", "RequestId", "HostId"}},
	}
	for _, tt := range tests {
		_, body := rawDo(t, s, tt.method, tt.target, tt.body, "text/xml")
		root, got := childOrder(t, body)
		if root != tt.wantRoot {
			t.Errorf("%s: root <%s>, want <%s>", tt.name, root, tt.wantRoot)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: elements (-want +got):\n%s\n%s", tt.name, diff, body)
		}
	}
}
