package deploy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"iprodwatch/handler"
)

// The limits FC puts on environment variables (reference §6).
// (A deadline too long for the check queue's retention is handler.LoadConfig's to refuse:
// handler.MaxDeadline.)
const maxEnvBytes = 4 << 10

// facts is what the environment says about the deployment, for the checks of props and triggers.
type facts struct {
	cfg *handler.Config // nil when handler.LoadConfig refuses the environment
}

// readVariables is every IPRODWATCH_* name handler.LoadConfig asks for: what main.go reads, since
// main passes os.Getenv to it. LoadConfig reads each name unconditionally, so an empty
// environment shows them all.
func readVariables() []string {
	var names []string
	handler.LoadConfig(func(k string) string {
		if strings.HasPrefix(k, "IPRODWATCH_") && !slices.Contains(names, k) {
			names = append(names, k)
		}
		return ""
	})
	slices.Sort(names)
	return names
}

func isEnvName(k string) bool {
	if k == "" || !('A' <= k[0] && k[0] <= 'Z' || 'a' <= k[0] && k[0] <= 'z') {
		return false
	}
	return !strings.ContainsFunc(k, func(r rune) bool {
		return !(r == '_' || 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
}

// checkEnvironment checks environmentVariables and loads them as the function would.
func checkEnvironment(c *checker, fn function) facts {
	path := fn.path + ".props.environmentVariables"
	raw, ok := c.obj(fn.props, fn.path+".props", "environmentVariables", true)
	if !ok {
		return facts{}
	}
	read := readVariables()
	env := map[string]string{}
	for _, k := range sortedKeys(raw) {
		kp := join(path, k)
		v, ok := raw[k].(string)
		if !ok {
			c.fail(kp, errType, "FC takes strings; have %T %v (quote it)", raw[k], raw[k])
			continue
		}
		env[k] = v
		switch {
		case !isEnvName(k):
			c.fail(kp, errFormat, "a name starts with a letter, then letters, digits and _")
		case strings.HasPrefix(k, "FC_") || strings.HasPrefix(k, "ALIBABA_CLOUD_"):
			c.fail(kp, errReserved, "FC sets FC_* itself and passes credentials per invocation, never as ALIBABA_CLOUD_*")
		case !slices.Contains(read, k):
			c.fail(kp, errUnknownVar, "the function reads only %s", strings.Join(read, ", "))
		}
	}
	if b, _ := json.Marshal(env); len(b) > maxEnvBytes {
		c.fail(path, errSize, "%d bytes as JSON, over FC's %d", len(b), maxEnvBytes)
	}
	for _, v := range handler.Variables() {
		if _, ok := raw[v.Name]; !ok {
			c.fail(join(path, v.Name), errMissingVar, "s.yaml lists every variable the function reads (default %s)", v.Default)
		} else if v.Default == "(required)" && strings.TrimSpace(env[v.Name]) == "" {
			c.fail(join(path, v.Name), errMissingVar, "required, and empty")
		}
	}
	cfg, err := handler.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		c.problems = append(c.problems, problem{path, fmt.Errorf("%w: %w", errConfig, err), err.Error()})
		return facts{}
	}
	return facts{cfg: &cfg}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
