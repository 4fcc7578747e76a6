package deploy

import (
	"errors"
	"fmt"
	"strings"
)

// Substitution errors, as Serverless Devs reports them (`${vars.region} not found`) or as this
// package refuses a form it does not implement.
var (
	errVarNotFound    = errors.New("not found")
	errVarNotString   = errors.New("var is not a string")
	errVarUnsupported = errors.New("unsupported magic variable")
)

// maxPasses is how often Serverless Devs compiles one value: once, then once more when the result
// still holds ${...} (a var whose value is itself a reference).
const maxPasses = 2

// substitute returns a copy of v with every ${vars.x} in its strings replaced from vars. Like
// Serverless Devs, a missing or empty var is an error ("falsy" values are refused; a boolean would be
// kept, but we allow only strings, because how Serverless Devs renders a number or a map inside
// a string is not established).
func substitute(v any, vars map[string]any, path string) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			s, err := substitute(e, vars, join(path, k))
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			s, err := substitute(e, vars, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	case string:
		s := v
		for range maxPasses {
			if !strings.Contains(s, "${") {
				return s, nil
			}
			var err error
			if s, err = expand(s, vars); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
		if strings.Contains(s, "${") {
			return nil, fmt.Errorf("%s: %w: %q still holds ${ after %d passes", path, errVarUnsupported, s, maxPasses)
		}
		return s, nil
	}
	return v, nil
}

// expand replaces each ${...} of s once. Serverless Devs matches /\${([\w\W]*?)}/: the expression
// ends at the first closing brace.
func expand(s string, vars map[string]any) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("%w: unterminated ${ in %q", errVarUnsupported, s)
		}
		expr := strings.TrimSpace(s[i+2 : i+j])
		val, err := lookupVar(expr, vars)
		if err != nil {
			return "", err
		}
		b.WriteString(s[:i])
		b.WriteString(val)
		s = s[i+j+1:]
	}
}

// lookupVar evaluates vars.a.b: a dotted path of identifiers into vars.
func lookupVar(expr string, vars map[string]any) (string, error) {
	name, ok := strings.CutPrefix(expr, "vars.")
	if !ok || name == "" {
		return "", fmt.Errorf("%w: ${%s} (only ${vars.NAME} is implemented)", errVarUnsupported, expr)
	}
	var cur any = vars
	for _, seg := range strings.Split(name, ".") {
		if !isIdent(seg) {
			return "", fmt.Errorf("%w: ${%s}", errVarUnsupported, expr)
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return "", fmt.Errorf("${%s} %w", expr, errVarNotFound)
		}
		cur = m[seg]
	}
	switch v := cur.(type) {
	case string:
		if v == "" {
			return "", fmt.Errorf("${%s} %w", expr, errVarNotFound)
		}
		return v, nil
	case nil:
		return "", fmt.Errorf("${%s} %w", expr, errVarNotFound)
	default:
		return "", fmt.Errorf("${%s}: %w but %T (quote it)", expr, errVarNotString, v)
	}
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c == '$' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
