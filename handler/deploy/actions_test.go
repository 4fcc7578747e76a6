package deploy

import (
	"path"
	"strconv"
	"strings"
)

// buildLine is the one way to build the function: a static linux/amd64 binary named main, without
// the developer verbs and the emulators they run (the iprodwatch.nodev tag).
const buildLine = `GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -tags iprodwatch.nodev -buildvcs=auto -trimpath -ldflags "-s -w" -o main .`

// checkActions checks that `s deploy` builds main first and packs it where props.code points.
// `make build` is accepted in place of the build line: the Makefile builds main and code.zip.
func checkActions(c *checker, fn function) {
	ap := fn.path + ".actions"
	actions, ok := c.obj(fn.res, fn.path, "actions", true)
	if !ok {
		return
	}
	steps, ok := c.list(actions, ap, "pre-deploy", true)
	if !ok {
		return
	}
	code, _ := fn.props["code"].(string)
	built, packed := false, !strings.HasSuffix(code, ".zip")
	for i, s := range steps {
		sp := ap + ".pre-deploy." + strconv.Itoa(i)
		step, ok := s.(map[string]any)
		if !ok {
			c.fail(sp, errType, "want {run, path}, have %T", s)
			continue
		}
		run, ok := c.str(step, sp, "run", true)
		if !ok {
			continue
		}
		if p, ok := c.str(step, sp, "path", false); ok && path.Clean(p) != "." {
			c.fail(join(sp, "path"), errBuildAction, "%q: the module root is where main and %s are built", p, code)
		}
		switch {
		case strings.TrimSpace(run) == "make build":
			built, packed = true, true
		case strings.Contains(run, buildLine):
			built = true
		case built && strings.Contains(run, path.Base(code)) && strings.Contains(run, "main"):
			packed = true
		}
	}
	if !built {
		c.fail(ap+".pre-deploy", errBuildAction, "no step runs `make build` or %s", buildLine)
	} else if !packed {
		c.fail(ap+".pre-deploy", errBuildAction, "no step after the build packs main into %s", code)
	}
}
