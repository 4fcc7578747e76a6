package handler_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"iprodwatch/handler"
)

func baseEnv() map[string]string {
	return map[string]string{
		"IPRODWATCH_REGION": "cn-shanghai", "IPRODWATCH_ACCOUNT_ID": "1234567890123456",
		"IPRODWATCH_CHECK_QUEUE": "iprod-check", "IPRODWATCH_EVENT_TOPIC": "iprod-events", "IPRODWATCH_DLQ_QUEUE": "iprod-dlq",
	}
}

func load(env map[string]string) (handler.Config, error) {
	return handler.LoadConfig(func(k string) string { return env[k] })
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := load(baseEnv())
	if err != nil {
		t.Fatal(err)
	}
	if c.MPSEndpoint.String() != "https://mts.cn-shanghai.aliyuncs.com" || c.MNSEndpoint.String() != "https://1234567890123456.mns.cn-shanghai.aliyuncs.com" {
		t.Errorf("endpoints %s %s", c.MPSEndpoint, c.MNSEndpoint)
	}
	if c.Deadline != 24*time.Hour || c.QPS != 10 || c.Concurrency != 8 || c.PullBatch != 256 || c.PullBudget != 45*time.Second || c.StalledAfter != 2*time.Hour {
		t.Errorf("defaults %+v", c)
	}
}

func TestLoadConfigNamesTheVariableAndTheProblem(t *testing.T) {
	tests := []struct {
		set  map[string]string
		want string
	}{
		{map[string]string{"IPRODWATCH_REGION": ""}, "IPRODWATCH_REGION: required"},
		{map[string]string{"IPRODWATCH_REGION": "Shanghai"}, `IPRODWATCH_REGION: "Shanghai" is not a region`},
		{map[string]string{"IPRODWATCH_ACCOUNT_ID": "acme"}, "IPRODWATCH_ACCOUNT_ID"},
		{map[string]string{"IPRODWATCH_CHECK_QUEUE": "bad name"}, "IPRODWATCH_CHECK_QUEUE"},
		{map[string]string{"IPRODWATCH_INTAKE_TOPIC": "iprod-events"}, "IPRODWATCH_INTAKE_TOPIC: is the event topic"},
		{map[string]string{"IPRODWATCH_DLQ_QUEUE": "iprod-check"}, "IPRODWATCH_DLQ_QUEUE: is the check queue"},
		{map[string]string{"IPRODWATCH_MPS_ENDPOINT": "ftp://x"}, "IPRODWATCH_MPS_ENDPOINT"},
		{map[string]string{"IPRODWATCH_MNS_ENDPOINT": "http://127.0.0.1:1/path"}, "IPRODWATCH_MNS_ENDPOINT"},
		{map[string]string{"IPRODWATCH_DEADLINE": "forever"}, "IPRODWATCH_DEADLINE"},
		{map[string]string{"IPRODWATCH_DEADLINE": "30d"}, "IPRODWATCH_DEADLINE"},
		{map[string]string{"IPRODWATCH_DEADLINE": "8760h"}, "IPRODWATCH_DEADLINE: 8760h0m0s is outside"},
		// Pull mode needs the retention to exceed it by 1.5 h, and no queue keeps more than 7 days.
		{map[string]string{"IPRODWATCH_DEADLINE": "167h"}, "IPRODWATCH_DEADLINE: 167h0m0s is outside 1m0s to 166h30m0s"},
		{map[string]string{"IPRODWATCH_QPS": "0"}, "IPRODWATCH_QPS"},
		{map[string]string{"IPRODWATCH_QPS": "NaN"}, "IPRODWATCH_QPS"},
		{map[string]string{"IPRODWATCH_QPS": "101"}, "IPRODWATCH_QPS"},
		{map[string]string{"IPRODWATCH_CONCURRENCY": "0"}, "IPRODWATCH_CONCURRENCY"},
		{map[string]string{"IPRODWATCH_PULL_BATCH": "x"}, "IPRODWATCH_PULL_BATCH"},
		{map[string]string{"IPRODWATCH_PRIORS": "{"}, "IPRODWATCH_PRIORS: not a JSON object"},
		{map[string]string{"IPRODWATCH_PRIORS": `{"VideoH2V":{"queue":{"median":0,"spread":1},"processing":{"median":1,"spread":1}}}`}, "IPRODWATCH_PRIORS: VideoH2V queue"},
		{map[string]string{"IPRODWATCH_PRIORS": `{"VideoH2V":{"queue":{"median":1,"spread":1},"processing":{"median":1,"spread":1}},"x":1}`}, "IPRODWATCH_PRIORS"},
	}
	for _, tt := range tests {
		env := baseEnv()
		for k, v := range tt.set {
			env[k] = v
		}
		_, err := load(env)
		if !errors.Is(err, handler.ErrConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want ErrConfig naming %q", tt.set, err, tt.want)
		}
	}
}

func TestPriorsMergeOverTheDefaults(t *testing.T) {
	env := baseEnv()
	env["IPRODWATCH_PRIORS"] = `{"VideoH2V":{"queue":{"median":5,"spread":0.5},"processing":{"median":60,"spread":0.4}},"FaceBeauty":{"queue":{"median":3,"spread":1},"processing":{"median":9,"spread":1}}}`
	c, err := load(env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Policy.Priors["VideoH2V"].Processing.MedianSeconds != 60 || c.Policy.Priors["FaceBeauty"].Queue.MedianSeconds != 3 {
		t.Errorf("priors not merged: %+v", c.Policy.Priors)
	}
	if c.Policy.Priors["Cover"].Processing.MedianSeconds == 0 {
		t.Error("an algorithm not named lost its default prior")
	}
}

func TestEveryVariableIsDocumentedAndReadsTheIprodwatchPrefix(t *testing.T) {
	for _, v := range handler.Variables() {
		if !strings.HasPrefix(v.Name, "IPRODWATCH_") || v.Meaning == "" || v.Default == "" {
			t.Errorf("variable %+v: want an IPRODWATCH_ name, a meaning and a default", v)
		}
	}
}

func TestTheREADMEDocumentsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, v := range handler.Variables() {
		row := "| `" + v.Name + "` |"
		i := strings.Index(readme, row)
		if i < 0 {
			t.Errorf("README has no configuration row for %s", v.Name)
			continue
		}
		line := readme[i : i+strings.Index(readme[i:], "\n")]
		if !strings.Contains(line, "`"+v.Default+"`") {
			t.Errorf("README's row for %s does not give its default %q: %s", v.Name, v.Default, line)
		}
	}
}
