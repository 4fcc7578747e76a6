// Package handler is the iprodwatch function: it checks a job, re-queues its check message with a
// computed delay while the job runs, and publishes the job's completion event when it ends.
//
// Read it in this order: Normalize (normalize.go) makes the check of any request; Decide
// (decide.go), a pure function, turns the check and its query's answer into a Verdict that says
// what is sent where and why; push.go and pull.go carry verdicts out through the ports (ports.go),
// which handler/cloud implements over the SDKs and handler/memcloud in memory, both held to
// handler/porttest's contract.
package handler

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"iprodwatch/handler/policy"
)

// Config is the function's configuration, read once at start from IPRODWATCH_* variables. FC
// reserves FC_*; credentials keep the standard ALIBABA_CLOUD_* names and are never part of Config.
type Config struct {
	Region       string        // IPRODWATCH_REGION
	AccountID    string        // IPRODWATCH_ACCOUNT_ID
	MPSEndpoint  *url.URL      // IPRODWATCH_MPS_ENDPOINT
	MNSEndpoint  *url.URL      // IPRODWATCH_MNS_ENDPOINT
	CheckQueue   string        // IPRODWATCH_CHECK_QUEUE
	EventTopic   string        // IPRODWATCH_EVENT_TOPIC
	DLQQueue     string        // IPRODWATCH_DLQ_QUEUE
	IntakeTopic  string        // IPRODWATCH_INTAKE_TOPIC, optional
	Deadline     time.Duration // IPRODWATCH_DEADLINE
	StalledAfter time.Duration // IPRODWATCH_STALLED_AFTER
	Policy       policy.Policy // IPRODWATCH_PRIORS and the policy's defaults
	QPS          float64       // IPRODWATCH_QPS: this instance's QueryIProductionJob budget per second
	Concurrency  int           // IPRODWATCH_CONCURRENCY: checks worked at once in one invocation
	PullBatch    int           // IPRODWATCH_PULL_BATCH: messages one timer sweep takes at most
	PullBudget   time.Duration // IPRODWATCH_PULL_BUDGET: how long one timer sweep may run
}

// Variable is one configuration variable: its name, meaning, unit and default, for errors and the
// README's table.
type Variable struct {
	Name, Meaning, Unit, Default string
}

// Variables lists every variable Config reads, in the README's order.
func Variables() []Variable {
	return []Variable{
		{"IPRODWATCH_REGION", "MPS and MNS region, e.g. cn-shanghai", "", "(required)"},
		{"IPRODWATCH_ACCOUNT_ID", "Alibaba Cloud account id: the event source and the default MNS endpoint", "", "(required)"},
		{"IPRODWATCH_MPS_ENDPOINT", "MPS endpoint; http://HOST:PORT for an emulator", "URL", "https://mts.<region>.aliyuncs.com"},
		{"IPRODWATCH_MNS_ENDPOINT", "MNS endpoint; http://HOST:PORT for an emulator", "URL", "https://<account>.mns.<region>.aliyuncs.com"},
		{"IPRODWATCH_CHECK_QUEUE", "MNS queue that carries check messages", "", "(required)"},
		{"IPRODWATCH_EVENT_TOPIC", "MNS topic completion events are published to", "", "(required)"},
		{"IPRODWATCH_DLQ_QUEUE", "MNS queue that receives bad messages with their reason", "", "(required)"},
		{"IPRODWATCH_INTAKE_TOPIC", "MNS topic submitters publish check requests to (topic trigger); never the event topic", "", "(none)"},
		{"IPRODWATCH_DEADLINE", "how long after its first check a job is reported timed out", "duration", "24h"},
		{"IPRODWATCH_STALLED_AFTER", "after this long each check logs stalled=true", "duration", "2h"},
		{"IPRODWATCH_PRIORS", `per-algorithm priors, JSON: {"VideoH2V":{"queue":{"median":20,"spread":1.2},"processing":{"median":480,"spread":1}}}; merged over the defaults`, "seconds", "(built in)"},
		{"IPRODWATCH_QPS", "QueryIProductionJob calls per second one instance may make; times the function's reserved concurrency it must stay under the account's 100", "calls/s", "10"},
		{"IPRODWATCH_CONCURRENCY", "checks one invocation works on at once", "", "8"},
		{"IPRODWATCH_PULL_BATCH", "messages one timer sweep (pull mode) takes at most", "", "256"},
		{"IPRODWATCH_PULL_BUDGET", "how long one timer sweep may run; keep it well inside the function timeout", "duration", "45s"},
	}
}

// MaxDeadline is the longest IPRODWATCH_DEADLINE: a check queue keeps a message 7 days at most
// (MNS's longest retention), and pull mode asks the retention to exceed the deadline by its grace
// and margin (PullRetentionMargin).
const MaxDeadline = 7*24*time.Hour - 3*LastQueryGrace - PullRetentionMargin

// QueryQuota is the account's QueryIProductionJob quota, shared by every instance.
const QueryQuota = 100

// isName reports an MNS queue or topic name: a letter or digit, then letters, digits and -, at
// most 256 characters. (Validators are plain loops: compiling regular expressions at start-up
// would cost the function's cold start.)
func isName(s string) bool {
	return len(s) >= 1 && len(s) <= 256 && s[0] != '-' && only(s, func(c byte) bool { return isAlnum(c) || c == '-' })
}

// isRegion reports a region id such as cn-shanghai: lower-case words joined by single dashes.
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	return len(parts) >= 2 && !slices.ContainsFunc(parts, func(p string) bool {
		return p == "" || !only(p, func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' })
	})
}

// isAccount reports a numeric account id.
func isAccount(s string) bool {
	return len(s) >= 1 && len(s) <= 32 && only(s, func(c byte) bool { return '0' <= c && c <= '9' })
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func only(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// LoadConfig reads and validates the configuration. The error names the variable and what is wrong.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{Policy: policy.Default()}
	var errs []string
	fail := func(name, format string, args ...any) {
		errs = append(errs, name+": "+fmt.Sprintf(format, args...))
	}
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	required := func(name string, valid func(string) bool, what string) string {
		v := get(name)
		switch {
		case v == "":
			fail(name, "required")
		case !valid(v):
			fail(name, "%q is not %s", v, what)
		}
		return v
	}
	c.Region = required("IPRODWATCH_REGION", isRegion, "a region such as cn-shanghai")
	c.AccountID = required("IPRODWATCH_ACCOUNT_ID", isAccount, "a numeric account id")
	c.CheckQueue = required("IPRODWATCH_CHECK_QUEUE", isName, "an MNS queue name")
	c.EventTopic = required("IPRODWATCH_EVENT_TOPIC", isName, "an MNS topic name")
	c.DLQQueue = required("IPRODWATCH_DLQ_QUEUE", isName, "an MNS queue name")
	if v := get("IPRODWATCH_INTAKE_TOPIC"); v != "" {
		if !isName(v) {
			fail("IPRODWATCH_INTAKE_TOPIC", "%q is not an MNS topic name", v)
		}
		if v == c.EventTopic {
			fail("IPRODWATCH_INTAKE_TOPIC", "is the event topic %q: the function would consume its own events", v)
		}
		c.IntakeTopic = v
	}
	if c.CheckQueue != "" && c.CheckQueue == c.DLQQueue {
		fail("IPRODWATCH_DLQ_QUEUE", "is the check queue %q: dead letters would be checked again", c.DLQQueue)
	}
	c.MPSEndpoint = endpoint(get("IPRODWATCH_MPS_ENDPOINT"), "https://mts."+c.Region+".aliyuncs.com", func(msg string) { fail("IPRODWATCH_MPS_ENDPOINT", "%s", msg) })
	c.MNSEndpoint = endpoint(get("IPRODWATCH_MNS_ENDPOINT"), "https://"+c.AccountID+".mns."+c.Region+".aliyuncs.com", func(msg string) { fail("IPRODWATCH_MNS_ENDPOINT", "%s", msg) })
	duration := func(name string, def, lo, hi time.Duration) time.Duration {
		v := get(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			fail(name, "%q is not a duration such as 90s, 30m or 24h", v)
		case d < lo || d > hi:
			fail(name, "%v is outside %v to %v", d, lo, hi)
		}
		return d
	}
	c.Deadline = duration("IPRODWATCH_DEADLINE", 24*time.Hour, time.Minute, MaxDeadline)
	c.StalledAfter = duration("IPRODWATCH_STALLED_AFTER", 2*time.Hour, time.Minute, 7*24*time.Hour)
	c.PullBudget = duration("IPRODWATCH_PULL_BUDGET", 45*time.Second, time.Second, 24*time.Hour)
	integer := func(name string, def, lo, hi int) int {
		v := get(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			fail(name, "%q is not a whole number from %d to %d", v, lo, hi)
		}
		return n
	}
	c.Concurrency = integer("IPRODWATCH_CONCURRENCY", 8, 1, 64)
	c.PullBatch = integer("IPRODWATCH_PULL_BATCH", 256, 1, 10000)
	c.QPS = 10
	if v := get("IPRODWATCH_QPS"); v != "" {
		q, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(q) || q <= 0 || q > QueryQuota {
			fail("IPRODWATCH_QPS", "%q is not a number above 0 and at most %d", v, QueryQuota)
		}
		c.QPS = q
	}
	if v := get("IPRODWATCH_PRIORS"); v != "" {
		if err := mergePriors(c.Policy.Priors, v); err != nil {
			fail("IPRODWATCH_PRIORS", "%v", err)
		}
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("%w:\n  %s", ErrConfig, strings.Join(errs, "\n  "))
	}
	return c, nil
}

// endpoint parses an endpoint variable: an https URL in the cloud, plain http://HOST:PORT for an
// emulator; no path, query or credentials.
func endpoint(v, def string, fail func(string)) *url.URL {
	if v == "" {
		v = def
	}
	u, err := url.Parse(v)
	switch {
	case err != nil:
		fail(fmt.Sprintf("%q is not a URL", v))
	case u.Scheme != "http" && u.Scheme != "https":
		fail(fmt.Sprintf("%q: want an http:// or https:// URL", v))
	case u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "":
		fail(fmt.Sprintf("%q: want scheme://HOST[:PORT] and nothing else", v))
	default:
		return u
	}
	return nil
}

// mergePriors reads IPRODWATCH_PRIORS over the built-in priors: one JSON value so that every
// algorithm's prior fits FC's 4 KB environment limit.
func mergePriors(into map[string]policy.Prior, v string) error {
	var given map[string]policy.Prior
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&given); err != nil {
		return fmt.Errorf("not a JSON object of priors: %v", err)
	}
	for name, p := range given {
		for phase, ph := range map[string]policy.Phase{"queue": p.Queue, "processing": p.Processing} {
			if !(ph.MedianSeconds > 0) || !(ph.Spread > 0) || ph.Spread > 5 {
				return fmt.Errorf("%s %s: want a median above 0 seconds and a spread above 0 and at most 5", name, phase)
			}
		}
		into[name] = p
	}
	return nil
}

// DefaultReservedConcurrency is the function's instance limit that s.yaml ships with: times the
// default QPS it stays under QueryQuota, with room for other callers of the account.
const DefaultReservedConcurrency = 8

// NotifyURL is the NotifyUrl that has MPS announce a job's end on the check queue (the fast path),
// in the one form MPS documents: mns://<account>.mns.<region>.aliyuncs.com/queues/<queue>. It names
// the cloud's endpoint even when IPRODWATCH_MNS_ENDPOINT points elsewhere: MPS resolves it, not us
// (the MPS emulator reads the same form).
func NotifyURL(cfg Config) string {
	return "mns://" + cfg.AccountID + ".mns." + cfg.Region + ".aliyuncs.com/queues/" + cfg.CheckQueue
}
