package deploy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Substitution errors, as Serverless Devs reports them (`${vars.region} not found`) or as this
// package refuses a form it does not implement.
var (
	errVarNotFound    = errors.New("not found")
	errVarNotString   = errors.New("var is not a string")
	errVarUnsupported = errors.New("unsupported magic variable")
	errConfigSecret   = errors.New("a secret of the access")
)

// testAccountID is the account of the access the tests deploy with: what ${config('AccountID')}
// becomes.
const testAccountID = "1234567890123456"

// scope is what a ${...} can read: the file's vars, and through config() the keys of the access
// `s` deploys with (`s config get` shows them: AccountID, AccessKeyID, AccessKeySecret and, for
// temporary credentials, SecurityToken).
type scope struct {
	vars   map[string]any
	access map[string]string
}

// testScope is the scope of s.yaml's vars under the tests' access.
func testScope(vars map[string]any) scope {
	return scope{vars: vars, access: map[string]string{"AccountID": testAccountID}}
}

// accessSecrets are the keys of an access that config() could read but s.yaml must never write
// into the function's configuration, where anyone allowed fc:GetFunction reads them.
var accessSecrets = []string{"AccessKeyID", "AccessKeySecret", "SecurityToken"}

// maxPasses is how often Serverless Devs compiles one value: once, then once more when the result
// still holds ${...} (a var whose value is itself a reference).
const maxPasses = 2

// substitute returns a copy of v with every ${vars.x} in its strings replaced from sc's vars and
// every ${config('KEY')} from its access. Like Serverless Devs, a missing or empty var is an error
// ("falsy" values are refused; a boolean would be kept, but we allow only strings, because how
// Serverless Devs renders a number or a map inside a string is not established).
func substitute(v any, sc scope, path string) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			s, err := substitute(e, sc, join(path, k))
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			s, err := substitute(e, sc, fmt.Sprintf("%s[%d]", path, i))
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
			if s, err = expand(s, sc); err != nil {
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
func expand(s string, sc scope) (string, error) {
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
		var val string
		var err error
		if key, ok := configKey(expr); ok {
			val, err = lookupConfig(key, sc.access)
		} else {
			val, err = lookupVar(expr, sc.vars)
		}
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
		return "", fmt.Errorf("%w: ${%s} (only ${vars.NAME} and ${config('KEY')} are implemented)", errVarUnsupported, expr)
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

// configKey reads config('KEY') or config("KEY"), the form Serverless Devs 3.x documents (its
// docs/zh/variables.md); the unquoted config(KEY) of its 2.x docs is left to lookupVar to refuse.
func configKey(expr string) (string, bool) {
	arg, ok := strings.CutPrefix(expr, "config(")
	if !ok {
		return "", false
	}
	arg, ok = strings.CutSuffix(arg, ")")
	if !ok {
		return "", false
	}
	arg = strings.TrimSpace(arg)
	if len(arg) < 2 || (arg[0] != '\'' && arg[0] != '"') || arg[len(arg)-1] != arg[0] {
		return "", false
	}
	key := arg[1 : len(arg)-1]
	return key, isIdent(key)
}

// lookupConfig evaluates config('KEY'): the access's value of KEY. Only AccountID may be read:
// the other keys are the credentials themselves.
func lookupConfig(key string, access map[string]string) (string, error) {
	if slices.Contains(accessSecrets, key) {
		return "", fmt.Errorf("${config('%s')}: %w would be written into the function's configuration", key, errConfigSecret)
	}
	if v := access[key]; v != "" {
		return v, nil
	}
	return "", fmt.Errorf("${config('%s')} %w in the access", key, errVarNotFound)
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
