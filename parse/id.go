package parse

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
)

// idNamespace is the UUID namespace of iprodwatch event ids (random, fixed forever: changing it
// changes every id and breaks deduplication across versions)
// (1ca6fb7c-1070-49fe-971a-8841a29a4374).
const idNamespace = "\x1c\xa6\xfb\x7c\x10\x70\x49\xfe\x97\x1a\x88\x41\xa2\x9a\x43\x74"

// EventID is the event id for a job and outcome: a name-based UUID (version 5, RFC 9562) of
// "<jobId>/<outcome>", the job id in lower case. The same job and outcome always give the same id,
// whichever path (the MPS notification or the polling chain), instance or casing of the id (MPS
// issues lower-case hex, a submitter may not) produced the event.
func EventID(jobID string, outcome Outcome) string {
	h := sha1.New()
	h.Write([]byte(idNamespace))
	h.Write([]byte(strings.ToLower(jobID) + "/" + string(outcome)))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
