package deploy

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// specPath is the project's s.yaml, seen from this package's directory (go test's working directory).
const specPath = "../../s.yaml"

// loadSpec parses s.yaml as it is on disk, before any substitution.
func loadSpec(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s does not parse: %v", specPath, err)
	}
	if doc == nil {
		t.Fatalf("%s is empty", specPath)
	}
	return doc
}

// function is the fc3 resource of a spec after substitution: where it is and its props.
type function struct {
	path  string // resources.NAME
	res   map[string]any
	props map[string]any
}

// resolve finds the one fc3 resource and substitutes vars and config() in it, as `s deploy` would
// before handing props to the component, with the tests' access.
func resolve(c *checker, doc map[string]any) (function, bool) {
	return resolveAs(c, doc, testScope(nil).access)
}

// resolveAs is resolve with the keys of another access.
func resolveAs(c *checker, doc map[string]any, access map[string]string) (function, bool) {
	if e, ok := c.str(doc, "", "edition", true); ok && e != "3.0.0" {
		c.fail("edition", errEnum, "%q: this file is written for Serverless Devs 3.x (edition 3.0.0)", e)
	}
	c.str(doc, "", "name", true)
	c.str(doc, "", "access", false)
	vars, _ := c.obj(doc, "", "vars", false)
	resources, ok := c.obj(doc, "", "resources", true)
	if !ok {
		return function{}, false
	}
	var fns []string
	for name, r := range resources {
		if m, ok := r.(map[string]any); ok && m["component"] == "fc3" {
			fns = append(fns, name)
		}
	}
	if len(fns) != 1 {
		c.fail("resources", errMissing, "want exactly one fc3 resource, have %d", len(fns))
		return function{}, false
	}
	path := "resources." + fns[0]
	sub, err := substitute(resources[fns[0]], scope{vars: vars, access: access}, path)
	if err != nil {
		c.problems = append(c.problems, problem{path, fmt.Errorf("%w: %w", errSubst, err), err.Error()})
		return function{}, false
	}
	res := sub.(map[string]any)
	props, ok := c.obj(res, path, "props", true)
	if !ok {
		return function{}, false
	}
	return function{path: path, res: res, props: props}, true
}

// validate runs every check on a parsed spec and returns what it breaks.
func validate(doc map[string]any) []problem {
	return validateAs(doc, testScope(nil).access)
}

// validateAs is validate with the keys of another access.
func validateAs(doc map[string]any, access map[string]string) []problem {
	c := &checker{}
	checkNoAccountID(c, doc, "")
	fn, ok := resolveAs(c, doc, access)
	if !ok {
		return c.problems
	}
	f := checkEnvironment(c, fn)
	checkFunction(c, fn, f)
	checkActions(c, fn)
	checkTriggers(c, fn, f)
	return c.problems
}

// accountLike is a run of 16 digits, the length of an Alibaba Cloud account id, standing alone.
var accountLike = regexp.MustCompile(`(?:^|[^0-9])([0-9]{16})(?:[^0-9]|$)`)

// checkNoAccountID refuses an account id written into the file (YAML comments are not part of
// the parsed document, so examples there are fine): ${config('AccountID')} takes it from the
// access s deploys with, so one file, and every file that extends it, follows the access.
func checkNoAccountID(c *checker, v any, path string) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if accountLike.MatchString(k) {
				c.fail(join(path, k), errAccountID, "key %q holds an account id", k)
			}
			checkNoAccountID(c, v[k], join(path, k))
		}
	case []any:
		for i, e := range v {
			seg := strconv.Itoa(i) // a trigger is named, as checkTriggers names it
			if m, ok := e.(map[string]any); ok {
				if n, ok := m["triggerName"].(string); ok && n != "" {
					seg = n
				}
			}
			checkNoAccountID(c, e, join(path, seg))
		}
	case string:
		if m := accountLike.FindStringSubmatch(v); m != nil {
			c.fail(path, errAccountID, "%q holds the account id %s: write ${config('AccountID')}", v, m[1])
		}
	case int:
		if accountLike.MatchString(strconv.Itoa(v)) {
			c.fail(path, errAccountID, "%d is an account id: write ${config('AccountID')}", v)
		}
	}
}

// deepCopy copies a parsed YAML value so a test can break one copy per case.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// locate walks a dotted path; in a list a segment is an index or the triggerName of an element.
// It returns the container holding the last segment and that segment.
func locate(doc any, path string) (container any, last string, err error) {
	segs := strings.Split(path, ".")
	cur := doc
	for i, seg := range segs {
		if i == len(segs)-1 {
			return cur, seg, nil
		}
		next, err := step(cur, seg)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", strings.Join(segs[:i+1], "."), err)
		}
		cur = next
	}
	return nil, "", fmt.Errorf("empty path")
}

func step(cur any, seg string) (any, error) {
	switch c := cur.(type) {
	case map[string]any:
		v, ok := c[seg]
		if !ok {
			return nil, fmt.Errorf("no key %q", seg)
		}
		return v, nil
	case []any:
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(c) {
			return c[i], nil
		}
		for _, e := range c {
			if m, ok := e.(map[string]any); ok && m["triggerName"] == seg {
				return e, nil
			}
		}
		return nil, fmt.Errorf("no element %q", seg)
	}
	return nil, fmt.Errorf("%T has no %q", cur, seg)
}

// set puts v at path (the last segment must be a mapping key).
func set(t *testing.T, doc any, path string, v any) {
	t.Helper()
	c, k, err := locate(doc, path)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := c.(map[string]any)
	if !ok {
		t.Fatalf("%s: parent is %T, not a mapping", path, c)
	}
	m[k] = v
}

// del removes the key at path, which must exist.
func del(t *testing.T, doc any, path string) {
	t.Helper()
	c, k, err := locate(doc, path)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := c.(map[string]any)
	if !ok {
		t.Fatalf("%s: parent is %T, not a mapping", path, c)
	}
	if _, ok := m[k]; !ok {
		t.Fatalf("%s: no such key", path)
	}
	delete(m, k)
}
