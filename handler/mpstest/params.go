package mpstest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// maxFormBody bounds a request body; the classic SDK sends none, and the gateway's own limit is
// not documented, so this only protects the emulator.
const maxFormBody = 1 << 20

// param is one decoded key/value pair as it arrived, in arrival order (query first, then form).
type param struct{ key, value string }

// params are the request's parameters from the query string and, for a form POST, the body.
// Repeated keys are kept for the signature; lookups take the first value.
type params []param

func (ps params) get(key string) string {
	v, _ := ps.lookup(key)
	return v
}

func (ps params) lookup(key string) (string, bool) {
	for _, p := range ps {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}

// parseParams decodes the query string and a form body with form rules ("+" is a space), as
// every standard client encodes them: the Go SDK (query of a POST), GET with a query string, or
// POST with an application/x-www-form-urlencoded body. It reads the body only when it is needed: a
// form, or a V3 call (whose signature hashes the body whatever its type), and returns it.
func parseParams(r *http.Request, v3 bool) (params, []byte, *APIError) {
	var ps params
	if err := appendPairs(&ps, r.URL.RawQuery); err != nil {
		return nil, nil, errInvalidParameter("QueryString")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	form := r.Method == http.MethodPost && ct == "application/x-www-form-urlencoded"
	if !form && !v3 || r.Body == nil {
		return ps, nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFormBody+1))
	if err != nil || len(body) > maxFormBody {
		return nil, nil, errInvalidParameter("Body")
	}
	if form {
		if err := appendPairs(&ps, string(body)); err != nil {
			return nil, nil, errInvalidParameter("Body")
		}
	}
	return ps, body, nil
}

// appendPairs is url.ParseQuery without the map, so order and repeats survive.
func appendPairs(ps *params, raw string) error {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return err
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return err
		}
		*ps = append(*ps, param{key, value})
	}
	return nil
}

// percentEncode is RFC 3986 encoding as the RPC signature wants it: unreserved bytes stay,
// everything else is %XX in upper-case hex (space is %20, never "+").
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// StringToSign returns the RPC signature v1 string to sign for method and the decoded
// parameters (all of them except Signature, empty values included).
func StringToSign(method string, ps url.Values) string {
	var list params
	for k, vs := range ps {
		for _, v := range vs {
			list = append(list, param{k, v})
		}
	}
	return stringToSign(method, list)
}

func stringToSign(method string, ps params) string {
	type enc struct{ k, v string }
	encoded := make([]enc, 0, len(ps))
	for _, p := range ps {
		if p.key == "Signature" {
			continue
		}
		encoded = append(encoded, enc{percentEncode(p.key), percentEncode(p.value)})
	}
	// Stable, so repeated keys keep their arrival order, as url.Values.Encode would.
	sort.SliceStable(encoded, func(i, j int) bool { return encoded[i].k < encoded[j].k })
	var canon strings.Builder
	for i, e := range encoded {
		if i > 0 {
			canon.WriteByte('&')
		}
		canon.WriteString(e.k)
		canon.WriteByte('=')
		canon.WriteString(e.v)
	}
	return method + "&%2F&" + percentEncode(canon.String())
}

// Sign returns Base64(HMAC-SHA1(secret+"&", stringToSign)), the RPC signature v1.
func Sign(stringToSign, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
