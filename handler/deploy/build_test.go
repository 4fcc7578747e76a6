package deploy

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMakeBuildIsTheBuildLine keeps `make build`, which s.yaml's pre-deploy runs, and the build line
// the s.yaml checks accept saying the same thing.
func TestMakeBuildIsTheBuildLine(t *testing.T) {
	b, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ReplaceAll(string(b), "$(GO)", "go"), "\t"+buildLine+"\n") {
		t.Errorf("the Makefile's build target does not run %s", buildLine)
	}
}

// TestTheFunctionBuildCarriesOnlyTheFunction: the deployed binary links none of the emulators, the
// test harness or the demo. (The standard testing package it does link: alibabacloud-go/tea/utils,
// which services/mts needs, imports it.)
func TestTheFunctionBuildCarriesOnlyTheFunction(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-tags", "iprodwatch.nodev", "iprodwatch").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	for _, dev := range []string{"iprodwatch/handler/mpstest", "iprodwatch/handler/mnstest", "iprodwatch/handler/triggertest",
		"iprodwatch/handler/handlertest", "iprodwatch/handler/fctest", "iprodwatch/handler/demo", "net/http/httptest"} {
		for _, d := range deps {
			if d == dev {
				t.Errorf("the function build links %s", dev)
			}
		}
	}
	// And the developer build still has them: `go run . demo` works on a fresh clone.
	out, err = exec.Command("go", "list", "-deps", "iprodwatch").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "iprodwatch/handler/demo\n") {
		t.Errorf("the default build lost the demo: %v", err)
	}
}
