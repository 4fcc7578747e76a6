package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
)

const versionUsage = `Usage: iprodwatch version [-json]
       iprodwatch -version

Prints the build: the module version ("(devel)" for a build from a checkout), the source revision,
whether the checkout had changes, the commit time and the Go version, as the Go toolchain stamped
them into the binary.

Flags:
  -json  the same as one JSON object: {"version","revision","time","modified","go"}

Exit codes:
  0  printed
  2  usage error
`

// Version is what the Go toolchain stamped into the binary.
type Version struct {
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go,omitempty"`
}

// versionOf reads the build info (debug.ReadBuildInfo's answer).
func versionOf(info *debug.BuildInfo, ok bool) Version {
	if !ok || info == nil {
		return Version{Version: "unknown"}
	}
	v := Version{Version: info.Main.Version, Go: info.GoVersion}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the one-line form: "iprodwatch VERSION REVISION[+modified] TIME GO", the revision
// shortened to 12 characters, absent parts left out.
func (v Version) String() string {
	parts := []string{"iprodwatch", v.Version}
	if rev := v.Revision; rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if v.Modified {
			rev += "+modified"
		}
		parts = append(parts, rev)
	}
	if v.Time != "" {
		parts = append(parts, v.Time)
	}
	if v.Go != "" {
		parts = append(parts, v.Go)
	}
	return strings.Join(parts, " ")
}

func versionCommand() command {
	c := command{name: "version", summary: "print the build's version, revision and Go version", usage: versionUsage}
	c.run = func(_ context.Context, env Env, args []string) int {
		fs := newFlagSet("version")
		asJSON := fs.Bool("json", false, "")
		rest, err := parseArgs(fs, args)
		if err == nil && len(rest) > 0 {
			err = fmt.Errorf("unexpected argument %q", rest[0])
		}
		if err != nil {
			return usageError(env, &c, err)
		}
		v := versionOf(debug.ReadBuildInfo())
		if *asJSON {
			b, _ := json.Marshal(v)
			fmt.Fprintln(env.Stdout, string(b))
			return ExitOK
		}
		fmt.Fprintln(env.Stdout, v.String())
		return ExitOK
	}
	return c
}
