package parse

import (
	"fmt"
	"regexp"
)

// JobIDPattern is the one place job ids are validated. MPS issues 32 hex characters; the pattern is
// wider so that ids from other MPS regions or future formats pass, but nothing that could escape a URL
// path, a query string or a log line does.
const JobIDPattern = `^[A-Za-z0-9_-]{1,128}$`

var jobIDRE = regexp.MustCompile(JobIDPattern)

// ValidateJobID returns nil when id matches JobIDPattern, else an error matching ErrInvalidJobID.
// The offending id is quoted with %q so that control characters cannot forge a log line.
func ValidateJobID(id string) error {
	if jobIDRE.MatchString(id) {
		return nil
	}
	if len(id) > 160 {
		id = id[:160] + "..."
	}
	return fmt.Errorf("%w %q: want %s", ErrInvalidJobID, id, JobIDPattern)
}
