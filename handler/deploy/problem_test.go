package deploy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The rules a problem breaks. The first group is what fc3 and FC enforce; the second is ours.
var (
	errMissing = errors.New("required")
	errType    = errors.New("wrong type")
	errRange   = errors.New("out of range")
	errEnum    = errors.New("not an accepted value")
	errFormat  = errors.New("malformed")
	errSize    = errors.New("too large")
	errSubst   = errors.New("vars substitution failed")

	errReserved    = errors.New("reserved environment variable")
	errUnknownVar  = errors.New("not a variable the function reads")
	errMissingVar  = errors.New("a variable the function reads is not set")
	errConfig      = errors.New("handler.LoadConfig refuses the environment")
	errQuota       = errors.New("instances times per-instance QPS exceed the account quota")
	errMismatch    = errors.New("disagrees with the function's configuration")
	errNoDLQ       = errors.New("errors are tolerated without a dead-letter queue")
	errModes       = errors.New("not exactly one of the queue trigger and the pull timer is enabled")
	errEventTopic  = errors.New("topic trigger on the event topic")
	errUnsuited    = errors.New("unsuited to this function")
	errBuildAction = errors.New("pre-deploy does not build what code points at")
	errAccountID   = errors.New("an account id written into the file")
	errOrder       = errors.New("fc3 would skip the triggers after an unchanged EventBridge trigger")
)

// problem is one broken rule at one place of s.yaml.
type problem struct {
	Path   string
	Rule   error
	Detail string
}

func (p problem) Error() string { return p.Path + ": " + p.Rule.Error() + ": " + p.Detail }
func (p problem) Unwrap() error { return p.Rule }

// checker collects problems; the typed getters report a missing or mistyped field once and let
// the caller skip what depends on it.
type checker struct {
	problems []problem
}

func (c *checker) fail(path string, rule error, format string, args ...any) {
	c.problems = append(c.problems, problem{path, rule, fmt.Sprintf(format, args...)})
}

func (c *checker) has(m map[string]any, path, key string, required bool) (any, bool) {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			c.fail(join(path, key), errMissing, "missing")
		}
		return nil, false
	}
	return v, true
}

func (c *checker) obj(m map[string]any, path, key string, required bool) (map[string]any, bool) {
	v, ok := c.has(m, path, key, required)
	if !ok {
		return nil, false
	}
	o, ok := v.(map[string]any)
	if !ok {
		c.fail(join(path, key), errType, "want a mapping, have %T", v)
	}
	return o, ok
}

func (c *checker) list(m map[string]any, path, key string, required bool) ([]any, bool) {
	v, ok := c.has(m, path, key, required)
	if !ok {
		return nil, false
	}
	l, ok := v.([]any)
	if !ok {
		c.fail(join(path, key), errType, "want a list, have %T", v)
	}
	return l, ok
}

func (c *checker) str(m map[string]any, path, key string, required bool) (string, bool) {
	v, ok := c.has(m, path, key, required)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		c.fail(join(path, key), errType, "want a string, have %T %v", v, v)
	}
	return s, ok
}

func (c *checker) boolean(m map[string]any, path, key string, required bool) (bool, bool) {
	v, ok := c.has(m, path, key, required)
	if !ok {
		return false, false
	}
	b, ok := v.(bool)
	if !ok {
		c.fail(join(path, key), errType, "want true or false, have %T %v", v, v)
	}
	return b, ok
}

// integer reads a whole number in [lo, hi].
func (c *checker) integer(m map[string]any, path, key string, required bool, lo, hi int) (int, bool) {
	v, ok := c.has(m, path, key, required)
	if !ok {
		return 0, false
	}
	n, ok := v.(int)
	if !ok {
		c.fail(join(path, key), errType, "want a whole number, have %T %v", v, v)
		return 0, false
	}
	if n < lo || n > hi {
		c.fail(join(path, key), errRange, "%d is outside %d..%d", n, lo, hi)
		return n, false
	}
	return n, true
}

// number reads an integer or a decimal number.
func (c *checker) number(m map[string]any, path, key string, required bool) (float64, bool) {
	v, ok := c.has(m, path, key, required)
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	c.fail(join(path, key), errType, "want a number, have %T %v", v, v)
	return 0, false
}

func (c *checker) enum(m map[string]any, path, key string, required bool, allowed ...string) (string, bool) {
	s, ok := c.str(m, path, key, required)
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, s) {
		c.fail(join(path, key), errEnum, "%q is not one of %s", s, strings.Join(allowed, ", "))
		return s, false
	}
	return s, true
}
