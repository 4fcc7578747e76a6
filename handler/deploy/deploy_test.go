package deploy

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"iprodwatch/handler"
)

// shipped is s.yaml's fc3 resource after substitution; the test stops when that fails.
func shipped(t *testing.T) function {
	t.Helper()
	c := &checker{}
	fn, ok := resolve(c, loadSpec(t))
	if !ok {
		t.Fatalf("s.yaml does not resolve: %v", c.problems)
	}
	return fn
}

// shippedEnv is the function's environment as FC would set it.
func shippedEnv(t *testing.T) map[string]string {
	t.Helper()
	raw, ok := shipped(t).props["environmentVariables"].(map[string]any)
	if !ok {
		t.Fatal("s.yaml has no environmentVariables mapping")
	}
	env := map[string]string{}
	for k, v := range raw {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("%s is %T, not a string", k, v)
		}
		env[k] = s
	}
	return env
}

func TestTheShippedSYAMLPassesEveryCheck(t *testing.T) {
	var got []string
	for _, p := range validate(loadSpec(t)) {
		got = append(got, p.Error())
	}
	if diff := cmp.Diff([]string(nil), got); diff != "" {
		t.Errorf("s.yaml breaks rules (-want +got):\n%s", diff)
	}
}

func TestReservedInstancesTimesTheirQPSStayUnderTheAccountQuota(t *testing.T) {
	fn := shipped(t)
	cc, _ := fn.props["concurrencyConfig"].(map[string]any)
	instances, ok := cc["reservedConcurrency"].(int)
	if !ok {
		t.Fatalf("concurrencyConfig.reservedConcurrency is %T %v, not a whole number", cc["reservedConcurrency"], cc["reservedConcurrency"])
	}
	env := shippedEnv(t)
	cfg, err := handler.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if env["IPRODWATCH_QPS"] == "" {
		t.Error("IPRODWATCH_QPS is not set: the budget would rest on a default s.yaml does not show")
	}
	if total := float64(instances) * cfg.QPS; total > handler.QueryQuota {
		t.Errorf("%d instances x %v queries/s = %v, over the account's QueryIProductionJob quota of %d", instances, cfg.QPS, total, handler.QueryQuota)
	}
	if instances != handler.DefaultReservedConcurrency {
		t.Errorf("reservedConcurrency %d, but handler.DefaultReservedConcurrency is %d: change them together", instances, handler.DefaultReservedConcurrency)
	}
}

func TestTheEnvironmentIsExactlyWhatMainReads(t *testing.T) {
	var inYAML []string
	for k := range shippedEnv(t) {
		inYAML = append(inYAML, k)
	}
	slices.Sort(inYAML)
	read := readVariables()
	if diff := cmp.Diff(read, inYAML); diff != "" {
		t.Errorf("s.yaml's environmentVariables differ from what handler.LoadConfig (main.go) reads (-read +s.yaml):\n%s", diff)
	}
	var listed []string
	for _, v := range handler.Variables() {
		listed = append(listed, v.Name)
	}
	slices.Sort(listed)
	if diff := cmp.Diff(read, listed); diff != "" {
		t.Errorf("handler.Variables() differs from what handler.LoadConfig reads (-read +listed):\n%s", diff)
	}
}

func TestThePriorsInSYAMLLoadWithTheHandler(t *testing.T) {
	env := shippedEnv(t)
	if _, ok := env["IPRODWATCH_PRIORS"]; !ok {
		t.Skip("s.yaml sets no IPRODWATCH_PRIORS")
	}
	if _, err := handler.LoadConfig(func(k string) string { return env[k] }); err != nil {
		t.Fatalf("IPRODWATCH_PRIORS %q: the function would refuse to start: %v", env["IPRODWATCH_PRIORS"], err)
	}
}

// TestTheAccountIsTheAccessOfTheDeploy deploys s.yaml with the access of another account: every
// place that names an account names that one, so an `extend:` file for another account needs its
// access and nothing else.
func TestTheAccountIsTheAccessOfTheDeploy(t *testing.T) {
	const other = "5555000011112222"
	doc := loadSpec(t)
	env, k, err := locate(doc, envPath+".IPRODWATCH_ACCOUNT_ID")
	if err != nil {
		t.Fatal(err)
	}
	if got := env.(map[string]any)[k]; got != "${config('AccountID')}" {
		t.Errorf("IPRODWATCH_ACCOUNT_ID is %v, want ${config('AccountID')}", got)
	}
	access := map[string]string{"AccountID": other}
	if problems := validateAs(doc, access); len(problems) > 0 {
		t.Fatalf("s.yaml under another access breaks rules:\n%s", list(problems))
	}
	c := &checker{}
	fn, ok := resolveAs(c, doc, access)
	if !ok {
		t.Fatalf("s.yaml does not resolve: %v", c.problems)
	}
	for _, path := range []string{
		props + ".role",
		props + ".logConfig.project",
		async + ".destinationConfig.onFailure.destination",
		envPath + ".IPRODWATCH_ACCOUNT_ID",
		envPath + ".IPRODWATCH_MNS_ENDPOINT",
		runOpts + ".deadLetterQueue.Arn",
		topicT + ".sourceArn",
	} {
		c, k, err := locate(map[string]any{"resources": map[string]any{"iprodwatch": fn.res}}, path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		v, _ := c.(map[string]any)[k].(string)
		if !strings.Contains(v, other) {
			t.Errorf("%s is %q: not the access's account %s", path, v, other)
		}
		if strings.Contains(v, testAccountID) {
			t.Errorf("%s is %q: still the tests' account %s", path, v, testAccountID)
		}
	}
}
