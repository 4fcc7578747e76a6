package mpstest

import (
	"crypto/subtle"
	"time"
)

// Gateway windows (wire-formats.md 1.5): a Timestamp may be 15 minutes off the server's wall
// clock either way; a nonce is remembered for 31 minutes, longer than any timestamp stays valid.
const (
	timestampWindow = 15 * time.Minute
	nonceMemory     = 31 * time.Minute
	timestampLayout = "2006-01-02T15:04:05Z"
)

// accessKey is one registered key pair; an STS key also has its token and expiry.
type accessKey struct {
	secret   string
	token    string
	expires  time.Time // zero: never
	disabled bool
}

// AddAccessKey registers (or replaces) a long-term AccessKey pair of the emulated account.
func (s *Server) AddAccessKey(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[id] = &accessKey{secret: secret}
}

// AddSTSCredential registers temporary STS credentials: requests signed with id must carry token
// as SecurityToken. A zero expires never expires; otherwise expiry is judged on the wall clock,
// like request timestamps.
func (s *Server) AddSTSCredential(id, secret, token string, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[id] = &accessKey{secret: secret, token: token, expires: expires}
}

// DisableAccessKey marks a key disabled (InvalidAccessKeyId.Inactive); it reports whether the
// key exists.
func (s *Server) DisableAccessKey(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if ok {
		k.disabled = true
	}
	return ok
}

// RemoveAccessKey forgets a key (InvalidAccessKeyId.NotFound from then on).
func (s *Server) RemoveAccessKey(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, id)
}

// authenticate checks the common parameters, the key, the token, the signature and the nonce, in
// that order, and returns the caller's AccessKeyId. The nonce is only remembered once the
// signature is good, so a forged request cannot burn a client's nonce.
func (s *Server) authenticate(method string, ps params) (string, *APIError) {
	// The common parameters every signed RPC call carries.
	for _, name := range [...]string{"AccessKeyId", "Signature", "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp"} {
		if ps.get(name) == "" {
			return "", errMissing(name)
		}
	}
	if ps.get("SignatureMethod") != "HMAC-SHA1" || ps.get("SignatureVersion") != "1.0" {
		return "", errIncompleteSignature()
	}
	ts, err := time.Parse(timestampLayout, ps.get("Timestamp"))
	if err != nil {
		return "", errTimeStampFormat()
	}
	wall := s.cfg.wall.Now()
	if d := wall.Sub(ts); d > timestampWindow || d < -timestampWindow {
		return "", errTimeStampExpired()
	}

	id := ps.get("AccessKeyId")
	token, hasToken := ps.lookup("SecurityToken")
	s.mu.Lock()
	defer s.mu.Unlock()
	k, apiErr := s.credentialLocked(id, token, hasToken, wall)
	if apiErr != nil {
		return "", apiErr
	}
	sts := stringToSign(method, ps)
	want := Sign(sts, k.secret)
	if subtle.ConstantTimeCompare([]byte(want), []byte(ps.get("Signature"))) != 1 {
		return "", errSignatureDoesNotMatch(sts)
	}
	if apiErr := s.useNonce(id, ps.get("SignatureNonce"), wall); apiErr != nil {
		return "", apiErr
	}
	return id, nil
}

// credentialLocked finds the caller's key and applies the STS rules, for both signatures. Called
// with s.mu held.
func (s *Server) credentialLocked(id, token string, hasToken bool, wall time.Time) (*accessKey, *APIError) {
	k, ok := s.keys[id]
	switch {
	case !ok:
		return nil, errAccessKeyNotFound()
	case k.disabled:
		return nil, errAccessKeyInactive()
	}
	if apiErr := s.checkToken(k, token, hasToken, wall); apiErr != nil {
		return nil, apiErr
	}
	return k, nil
}

// checkToken applies the STS rules. The cloud resolves a temporary key through its token, so an
// STS key without a token is unknown; a token that belongs to another key is a mismatch; a token
// nobody issued is malformed. Called with s.mu held.
func (s *Server) checkToken(k *accessKey, token string, hasToken bool, wall time.Time) *APIError {
	if k.token == "" {
		if !hasToken {
			return nil
		}
		if s.tokenIssued(token) {
			return errTokenMismatch()
		}
		return errTokenMalformed()
	}
	switch {
	case !hasToken || token == "":
		return errAccessKeyNotFound()
	case token != k.token && s.tokenIssued(token):
		return errTokenMismatch()
	case token != k.token:
		return errTokenMalformed()
	case !k.expires.IsZero() && !wall.Before(k.expires):
		return errTokenExpired()
	}
	return nil
}

func (s *Server) tokenIssued(token string) bool {
	for _, k := range s.keys {
		if k.token != "" && k.token == token {
			return true
		}
	}
	return false
}

// useNonce remembers a nonce per key for nonceMemory of wall time. Nonces are kept in arrival
// order so pruning is cheap at 100 QPS. Called with s.mu held.
func (s *Server) useNonce(id, nonce string, wall time.Time) *APIError {
	for len(s.nonceOrder) > 0 && wall.Sub(s.nonceOrder[0].seen) > nonceMemory {
		delete(s.nonces, s.nonceOrder[0].key)
		s.nonceOrder = s.nonceOrder[1:]
	}
	key := id + "\x00" + nonce
	if _, used := s.nonces[key]; used {
		return errNonceUsed()
	}
	s.nonces[key] = wall
	s.nonceOrder = append(s.nonceOrder, nonceSeen{key, wall})
	return nil
}

type nonceSeen struct {
	key  string
	seen time.Time
}
