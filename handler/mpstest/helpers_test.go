package mpstest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/mts"

	"iprodwatch/handler/clock"
	"iprodwatch/handler/conformance"
)

// Test keys (fake).
const (
	testID       = "testid"
	testSecret   = "testsecret"
	stsID        = "STS.testid"
	stsSecret    = "stssecret"
	stsToken     = "test/token+sts=="
	otherSTSID   = "STS.otherid"
	otherToken   = "other-token"
	expiredSTSID = "STS.expired"
)

// epoch is where every manual clock starts.
var epoch = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// target is where a test sends its calls: an emulator, or the real cloud when the
// cloud run is asked for (package conformance: make conformance).
type target struct {
	srv            *Server // nil against the real cloud
	clk            *clock.Manual
	domain, region string
	id, secret     string
	token          string
	jobID          string // a finished job (real cloud only)
	cloud          conformance.Cloud
}

func (tg *target) real() bool { return tg.srv == nil }

// realTarget returns the real cloud target, or nil when the cloud run is not asked for.
func realTarget(t *testing.T) *target {
	t.Helper()
	c, ok := conformance.FromEnv(t)
	if !ok {
		return nil
	}
	return &target{region: c.Region, id: c.AccessKeyID, secret: c.Secret, token: c.SecurityToken, jobID: c.MPSJobID, cloud: c}
}

// newEmulator starts an emulator with the test keys on a manual clock at epoch; the wall clock
// stays real because the SDK stamps requests with real time.
func newEmulator(t *testing.T, opts ...Option) *target {
	t.Helper()
	clk := clock.NewManual(epoch)
	base := []Option{
		WithClock(clk),
		WithCredential(testID, testSecret),
		WithSTSCredential(stsID, stsSecret, stsToken, time.Time{}),
		WithSTSCredential(otherSTSID, "othersecret", otherToken, time.Time{}),
		WithSTSCredential(expiredSTSID, stsSecret, "expired-token", time.Now().Add(-time.Minute)),
	}
	srv := NewServer(append(base, opts...)...)
	t.Cleanup(srv.Close)
	return &target{srv: srv, clk: clk, domain: strings.TrimPrefix(srv.URL, "http://"), region: "cn-shanghai", id: testID, secret: testSecret}
}

// client builds an mts client as wire-formats.md 1.1 says, with the target's keys or the given
// ones, and an optional transport wrapper.
func (tg *target) client(t *testing.T, id, secret, token string, rt http.RoundTripper) *mts.Client {
	t.Helper()
	var c *mts.Client
	var err error
	if token != "" {
		c, err = mts.NewClientWithStsToken(tg.region, id, secret, token)
	} else {
		c, err = mts.NewClientWithAccessKey(tg.region, id, secret)
	}
	if err != nil {
		t.Fatalf("new mts client: %v", err)
	}
	if tg.domain != "" {
		c.Domain = tg.domain
	}
	c.SetNoProxy("127.0.0.1")
	c.SetReadTimeout(30 * time.Second)
	if rt != nil {
		c.SetTransport(rt)
	}
	t.Cleanup(c.Shutdown)
	return c
}

// defaultClient uses the target's own keys.
func (tg *target) defaultClient(t *testing.T) *mts.Client {
	t.Helper()
	return tg.client(t, tg.id, tg.secret, tg.token, nil)
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// resigning returns a transport that lets edit change the SDK's parameters and then signs the
// request again with secret (by the test's own signer), so a test can send what the SDK never
// would (a stale Timestamp) to the emulator and to the real cloud alike.
func resigning(secret string, edit func(url.Values)) http.RoundTripper {
	base := &http.Transport{}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		q := r.URL.Query()
		q.Del("Signature")
		edit(q)
		q.Set("Signature", independentSign(r.Method, q, secret))
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = q.Encode()
		return base.RoundTrip(r2)
	})
}

// replaying returns a transport that sends the first request it saw once more on the next
// call, so the second call repeats the first one's SignatureNonce.
func replaying() http.RoundTripper {
	base := &http.Transport{}
	var first *url.URL
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if first == nil {
			u := *r.URL
			first = &u
			return base.RoundTrip(r)
		}
		r2 := r.Clone(r.Context())
		r2.URL = first
		return base.RoundTrip(r2)
	})
}

// independentSign is the test's own RPC signature v1, written apart from the emulator's:
// it encodes the way the SDK does (sdkPct).
func independentSign(method string, q url.Values, secret string) string {
	sts := method + "&" + sdkPct("/") + "&" + sdkPct(strings.Join(sortedPairs(q, "Signature"), "&"))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// sdkPct is RFC 3986 percent-encoding as Alibaba Cloud's clients do it: url.QueryEscape, then
// "+" to "%20", "*" to "%2A" and "%7E" back to "~".
func sdkPct(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
}

// sortedPairs is q as encoded k=v pairs sorted by key, leaving out the key except.
func sortedPairs(q url.Values, except string) []string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != except {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		for _, v := range q[k] {
			pairs = append(pairs, sdkPct(k)+"="+sdkPct(v))
		}
	}
	return pairs
}
