package mnstest

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"time"
)

// authenticate checks a request the way the cloud does (wire-formats.md 2.4): headers present,
// Date within 15 minutes of the wall clock, known AccessKeyId, HMAC-SHA1 signature over the raw
// request target, STS token when the pair is temporary, and Content-MD5 when sent.
func (s *Server) authenticate(c *call) *APIError {
	r := c.r
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return apiErr(http.StatusBadRequest, "MissingAuthorizationHeader", "The Authorization header you provided is missing.")
	}
	id, sig, ok := parseAuthorization(auth)
	if !ok {
		return apiErr(http.StatusBadRequest, "InvalidAuthorizationHeader", "The Authorization header you provided is invalid.")
	}
	c.authID = id
	date := r.Header.Get("Date")
	if date == "" {
		return apiErr(http.StatusBadRequest, "MissingDateHeader", "The Date header you provided is missing.")
	}
	sent, err := http.ParseTime(date)
	if err != nil {
		return apiErr(http.StatusBadRequest, "InvalidDateHeader", "The Date header you provided is invalid.")
	}
	if skew := s.cfg.wall.Now().Sub(sent); skew > s.cfg.maxSkew || skew < -s.cfg.maxSkew {
		return apiErr(http.StatusRequestTimeout, "TimeExpired", "The http request you sent is expired.")
	}
	if r.Header.Get("x-mns-version") == "" {
		return apiErr(http.StatusBadRequest, "MissingVersionHeader", "The x-mns-version header you provided is missing.")
	}

	s.mu.Lock()
	cred, known := s.creds[id]
	s.mu.Unlock()
	if !known {
		return apiErr(http.StatusForbidden, "InvalidAccessKeyId", "The AccessKeyId you provided is not exist.")
	}
	want := Sign(cred.Secret, r.Method, r.Header, requestTarget(r))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return apiErr(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	}
	// The codes for STS failures are not documented for MNS; OSS, signed the same way, answers 403
	// InvalidAccessKeyId for a wrong, stray or expired token, which the MNS SDK maps too.
	token, hasToken := r.Header.Get("security-token"), len(r.Header.Values("security-token")) > 0
	switch {
	case cred.Token == "" && hasToken:
		// A permanent pair does not take a token: the cloud resolves the token, not the pair.
		return apiErr(http.StatusForbidden, "InvalidAccessKeyId", "The security token you provided is invalid.")
	case cred.Token != "" && token != cred.Token:
		return apiErr(http.StatusForbidden, "InvalidAccessKeyId", "The security token you provided is invalid.")
	case cred.Token != "" && !cred.Expires.IsZero() && !s.cfg.wall.Now().Before(cred.Expires):
		return apiErr(http.StatusForbidden, "InvalidAccessKeyId", "The security token you provided has expired.")
	}
	if md := r.Header.Get("Content-MD5"); md != "" && !contentMD5Matches(md, c.body) {
		return apiErr(http.StatusBadRequest, "InvalidDegist", "The Content-MD5 you specified is not valid.")
	}
	return nil
}

func parseAuthorization(h string) (id, sig string, ok bool) {
	rest, found := strings.CutPrefix(h, "MNS ")
	if !found {
		return "", "", false
	}
	id, sig, found = strings.Cut(strings.TrimSpace(rest), ":")
	if !found || id == "" || sig == "" {
		return "", "", false
	}
	return id, sig, true
}

// requestTarget is the path and raw query as sent: the SDK signs the still percent-encoded
// query, so the decoded URL would not verify. An absolute-form target loses its scheme and host.
func requestTarget(r *http.Request) string {
	t := r.RequestURI
	if t == "" { // a request built in-process, not read off a socket
		t = r.URL.RequestURI()
	}
	if i := strings.Index(t, "://"); i >= 0 {
		rest := t[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
		return "/"
	}
	return t
}

// Sign returns the MNS signature of a request: base64(HMAC-SHA1(secret, VERB\nContent-MD5\n
// Content-Type\nDate\nCanonicalizedMNSHeaders CanonicalizedResource)). Exported for clients
// that are not the Go SDK.
func Sign(secret, method string, h http.Header, target string) string {
	var mns []string
	for name, vals := range h {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "x-mns-") && len(vals) > 0 {
			mns = append(mns, lower+":"+strings.TrimSpace(vals[0]))
		}
	}
	sort.Strings(mns)
	var b strings.Builder
	b.WriteString(method + "\n" + h.Get("Content-MD5") + "\n" + h.Get("Content-Type") + "\n" + h.Get("Date") + "\n")
	for _, m := range mns {
		b.WriteString(m + "\n")
	}
	if len(mns) == 0 {
		b.WriteString("\n")
	}
	b.WriteString(target)
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// contentMD5Matches accepts the SDK's base64-of-hex form and the RFC 1864 base64-of-digest form.
func contentMD5Matches(header string, body []byte) bool {
	sum := md5.Sum(body)
	raw, err := base64.StdEncoding.DecodeString(header)
	if err != nil {
		return false
	}
	if hmac.Equal(raw, sum[:]) {
		return true
	}
	return strings.EqualFold(string(raw), hex.EncodeToString(sum[:]))
}

// epochMillis is how MNS writes times.
func epochMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
