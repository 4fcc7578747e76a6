package mpstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"time"
)

// The V3 signature (ACS3-HMAC-SHA256), which the generated SDKs of every language but the
// classic Go one send by default: the call's identity travels in headers (x-acs-action,
// x-acs-version, x-acs-date, x-acs-signature-nonce, x-acs-content-sha256, x-acs-security-token)
// and an Authorization header, and only the API's own parameters are in the query or the form
// body. Source: help.aliyun.com document_detail/2593177 ("V3版本请求体&签名机制") and the client
// that implements it (alibabacloud-go/darabonba-openapi/v2 utils.GetAuthorization).
const v3Algorithm = "ACS3-HMAC-SHA256"

// v3Header names the headers of a V3 call.
const (
	hdrAction  = "x-acs-action"
	hdrVersion = "x-acs-version"
	hdrDate    = "x-acs-date"
	hdrNonce   = "x-acs-signature-nonce"
	hdrContent = "x-acs-content-sha256"
	hdrToken   = "x-acs-security-token"
)

// isV3 reports whether r is signed the V3 way. Another Authorization scheme falls to the V1
// checks, which then find the V1 parameters missing, as the gateway would.
func isV3(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "ACS3-")
}

// v3Auth is a parsed Authorization header.
type v3Auth struct {
	credential string
	signed     []string
	signature  string
}

// parseV3Auth reads "ACS3-HMAC-SHA256 Credential=ID,SignedHeaders=a;b,Signature=hex". Any other
// algorithm (SM3 and RSA variants exist; the emulator does not verify them) or a missing part is
// IncompleteSignature.
func parseV3Auth(header string) (v3Auth, bool) {
	algorithm, rest, _ := strings.Cut(header, " ")
	if algorithm != v3Algorithm {
		return v3Auth{}, false
	}
	var a v3Auth
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			a.credential = v
		case "SignedHeaders":
			for _, h := range strings.Split(v, ";") {
				if h != "" {
					a.signed = append(a.signed, strings.ToLower(h))
				}
			}
		case "Signature":
			a.signature = v // compared as sent: every client writes lower-case hex
		}
	}
	return a, a.credential != "" && len(a.signed) > 0 && a.signature != ""
}

// v3Params puts the action and version from their headers where a V1 call keeps them, so the
// rest of the gateway finds them there. A V3 call names them only in the signed headers: an
// Action or Version in the query or body is dropped, never taken over the headers.
func v3Params(r *http.Request, ps params) params {
	out := ps[:0:0]
	for _, p := range [...]struct{ key, header string }{{"Action", hdrAction}, {"Version", hdrVersion}} {
		if v := r.Header.Get(p.header); v != "" {
			out = append(out, param{p.key, v})
		}
	}
	for _, p := range ps {
		if p.key != "Action" && p.key != "Version" {
			out = append(out, p)
		}
	}
	return out
}

// authenticateV3 checks a V3 call: the Authorization header, the date and nonce headers, that
// every header the page says must be signed is, the key and token (the V1 rules), the signature
// over the canonical request, and the nonce, in that order. It returns the caller's AccessKeyId.
// a and ok are parseV3Auth's reading of the Authorization header, made once by the caller.
func (s *Server) authenticateV3(r *http.Request, a v3Auth, ok bool, body []byte) (string, *APIError) {
	if !ok {
		return "", errIncompleteSignature()
	}
	for _, h := range [...]string{hdrDate, hdrNonce, hdrContent} {
		if r.Header.Get(h) == "" {
			return "", errMissing(h)
		}
	}
	headers, ok := v3SignedHeaders(r, a.signed)
	if !ok {
		return "", errIncompleteSignature()
	}
	// The STS clients send the key again in x-acs-accesskey-id; one that is not the Credential's
	// is refused (inferred: the page does not say).
	if id := r.Header.Get("x-acs-accesskey-id"); id != "" && id != a.credential {
		return "", errIncompleteSignature()
	}
	ts, err := time.Parse(timestampLayout, r.Header.Get(hdrDate))
	if err != nil {
		return "", errTimeStampFormat()
	}
	wall := s.cfg.wall.Now()
	if d := wall.Sub(ts); d > timestampWindow || d < -timestampWindow {
		return "", errTimeStampExpired()
	}

	token, hasToken := r.Header.Get(hdrToken), len(r.Header.Values(hdrToken)) > 0
	s.mu.Lock()
	defer s.mu.Unlock()
	k, apiErr := s.credentialLocked(a.credential, token, hasToken, wall)
	if apiErr != nil {
		return "", apiErr
	}
	payload := sha256.Sum256(body)
	hashed := hex.EncodeToString(payload[:])
	sts := v3StringToSign(r.Method, canonicalV3Query(r.URL.RawQuery), headers, a.signed, hashed)
	want := SignV3(sts, k.secret)
	if r.Header.Get(hdrContent) != hashed || subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) != 1 {
		return "", errSignatureDoesNotMatch(sts)
	}
	if apiErr := s.useNonce(a.credential, r.Header.Get(hdrNonce), wall); apiErr != nil {
		return "", apiErr
	}
	return a.credential, nil
}

// v3SignedHeaders collects the signed headers' canonical values. The page: every common request
// header but Authorization that is present must be signed; so host and every x-acs- header must
// be in the list, and every name in the list must be in the request. Content-Type is signed by
// every SDK but not required here: one client (tea-java's OkRequestBody) adds it unsigned, and
// whether the gateway accepts that is not documented.
func v3SignedHeaders(r *http.Request, signed []string) (map[string]string, bool) {
	values := map[string]string{}
	in := map[string]bool{}
	for _, h := range signed {
		in[h] = true
	}
	if !in["host"] {
		return nil, false
	}
	for name := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-acs-") && !in[l] {
			return nil, false
		}
	}
	for _, h := range signed {
		if h == "host" {
			values[h] = r.Host
			continue
		}
		vs := r.Header.Values(h)
		if len(vs) == 0 {
			return nil, false
		}
		trimmed := make([]string, len(vs))
		for i, v := range vs {
			trimmed[i] = strings.TrimSpace(v)
		}
		sort.Strings(trimmed)
		values[h] = strings.Join(trimmed, ",")
	}
	return values, true
}

// canonicalV3Query is the query's parameters decoded (form rules, as clients encode them) and
// encoded again as RFC 3986, sorted by name and then value, an empty value kept as "k=".
func canonicalV3Query(raw string) string {
	var ps params
	if appendPairs(&ps, raw) != nil {
		return raw // unreadable: no signature will match, and parseParams has refused it already
	}
	encoded := make([]param, len(ps))
	for i, p := range ps {
		encoded[i] = param{percentEncode(p.key), percentEncode(p.value)}
	}
	sort.Slice(encoded, func(i, j int) bool {
		if encoded[i].key != encoded[j].key {
			return encoded[i].key < encoded[j].key
		}
		return encoded[i].value < encoded[j].value
	})
	var b strings.Builder
	for i, p := range encoded {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key + "=" + p.value)
	}
	return b.String()
}

// v3StringToSign builds the canonical request (the path is always "/" here) and returns
// "ACS3-HMAC-SHA256\n" + hex(sha256(canonical request)).
func v3StringToSign(method, query string, headers map[string]string, signed []string, hashedPayload string) string {
	names := append([]string(nil), signed...)
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(method + "\n/\n" + query + "\n")
	for _, h := range names {
		b.WriteString(h + ":" + headers[h] + "\n")
	}
	b.WriteString("\n" + strings.Join(names, ";") + "\n" + hashedPayload)
	sum := sha256.Sum256([]byte(b.String()))
	return v3Algorithm + "\n" + hex.EncodeToString(sum[:])
}

// SignV3 returns hex(HMAC-SHA256(secret, stringToSign)), the V3 signature.
func SignV3(stringToSign, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return hex.EncodeToString(mac.Sum(nil))
}
