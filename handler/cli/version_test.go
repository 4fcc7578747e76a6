package cli

import (
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersionOfReadsTheBuildInfo(t *testing.T) {
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want Version
	}{
		{"a release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-03T12:00:00Z"}, {Key: "vcs.modified", Value: "false"}}},
			true, Version{Version: "v1.2.3", Revision: "0123456789abcdef0123", Time: "2026-12-03T12:00:00Z", Go: "go1.26.8"}},
		{"a local build with changes", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}},
			true, Version{Version: "(devel)", Revision: "abc", Modified: true, Go: "go1.26.8"}},
		{"no build info", nil, false, Version{Version: "unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, versionOf(tt.info, tt.ok)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersionLine(t *testing.T) {
	v := Version{Version: "(devel)", Revision: "0123456789abcdef0123", Modified: true, Go: "go1.26.8", Time: "2026-12-03T12:00:00Z"}
	if got, want := v.String(), "iprodwatch (devel) 0123456789ab+modified 2026-12-03T12:00:00Z go1.26.8"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
