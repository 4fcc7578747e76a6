package parse

import "fmt"

// JobIDPattern is the one place job ids are validated. MPS issues 32 hex characters; the pattern is
// wider so that ids from other MPS regions or future formats pass, but nothing that could escape a URL
// path, a query string or a log line does.
const JobIDPattern = `^[A-Za-z0-9_-]{1,128}$`

// ValidateJobID returns nil when id matches JobIDPattern, else an error matching ErrInvalidJobID.
// The offending id is quoted with %q so that control characters cannot forge a log line.
func ValidateJobID(id string) error {
	if validJobID(id) {
		return nil
	}
	if len(id) > 160 {
		id = id[:160] + "..."
	}
	return fmt.Errorf("%w %q: want %s", ErrInvalidJobID, id, JobIDPattern)
}

// validJobID is JobIDPattern without a regular expression: compiling one at start-up costs the
// function's cold start more than every check it ever validates.
func validJobID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
