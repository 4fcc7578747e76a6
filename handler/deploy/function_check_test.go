package deploy

import (
	"math"
	"strings"
	"time"

	"iprodwatch/handler"
)

// accountInstances is FC's default instance quota per region and account (reference §2).
const accountInstances = 100

// checkFunction checks the function's own props (fc3 schema ranges, FC limits, our choices).
func checkFunction(c *checker, fn function, f facts) {
	p, path := fn.props, fn.path+".props"
	if r, ok := c.str(p, path, "region", true); ok {
		if !isRegionID(r) {
			c.fail(join(path, "region"), errFormat, "%q is not a region id such as cn-shanghai", r)
		} else if f.cfg != nil && r != f.cfg.Region {
			c.fail(join(path, "region"), errMismatch, "%q, but IPRODWATCH_REGION is %q", r, f.cfg.Region)
		}
	}
	if n, ok := c.str(p, path, "functionName", true); ok && !isResourceName(n, 64) {
		c.fail(join(path, "functionName"), errFormat, "%q: 1 to 64 letters, digits, _ and -, not starting with a digit or -", n)
	}
	if r, ok := c.str(p, path, "runtime", true); ok && r != "go1" {
		c.fail(join(path, "runtime"), errUnsuited, "%q: the binary uses fc-runtime-go-sdk, which runs only in go1", r)
	}
	if h, ok := c.str(p, path, "handler", true); ok && h != "main" {
		c.fail(join(path, "handler"), errUnsuited, "%q: go1 execs the handler name, and the build writes main", h)
	}
	checkCode(c, p, path)
	checkResources(c, p, path, f)
	if _, ok := c.has(p, path, "instanceConcurrency", false); ok {
		c.integer(p, path, "instanceConcurrency", false, 1, 200)
		c.fail(join(path, "instanceConcurrency"), errUnsuited, "fc3 applies it to custom runtimes only; go1 runs one request per instance, which the QPS budget assumes")
	}
	c.boolean(p, path, "internetAccess", false)
	if role, ok := c.str(p, path, "role", true); ok {
		checkRole(c, join(path, "role"), role, f)
	}
	checkLog(c, p, path)
	checkConcurrency(c, p, path, f)
	checkAsync(c, p, path, f)
}

func checkCode(c *checker, p map[string]any, path string) {
	v, ok := c.has(p, path, "code", true)
	if !ok {
		return
	}
	switch code := v.(type) {
	case string:
		if !strings.HasSuffix(code, ".zip") {
			c.fail(join(path, "code"), errUnsuited, "%q: point at the zip the pre-deploy action builds (a directory would be zipped whole)", code)
		}
	case map[string]any:
		for _, k := range []string{"src", "ossBucketName", "ossObjectName"} {
			c.str(code, join(path, "code"), k, true)
		}
	default:
		c.fail(join(path, "code"), errType, "want a path or {src, ossBucketName, ossObjectName}, have %T", v)
	}
}

// checkResources checks memory, CPU, disk and timeout against FC's ranges and the measured
// footprint.
func checkResources(c *checker, p map[string]any, path string, f facts) {
	mem, memOK := c.integer(p, path, "memorySize", true, 128, 32768)
	if memOK && mem%64 != 0 {
		c.fail(join(path, "memorySize"), errRange, "%d is not a multiple of 64", mem)
		memOK = false
	}
	if cpu, ok := c.number(p, path, "cpu", true); ok {
		steps := cpu / 0.05
		switch {
		case cpu < 0.05 || cpu > 16:
			c.fail(join(path, "cpu"), errRange, "%v is outside 0.05..16", cpu)
		case math.Abs(steps-math.Round(steps)) > 1e-9:
			c.fail(join(path, "cpu"), errRange, "%v is not a multiple of 0.05", cpu)
		case memOK && (float64(mem)/1024/cpu < 1 || float64(mem)/1024/cpu > 4):
			// FC 3.0: vCPU to memory in GB between 1:1 and 1:4.
			c.fail(join(path, "cpu"), errRange, "%v vCPU with %d MB is outside 1:1..1:4 vCPU:GB", cpu, mem)
		}
	}
	if d, ok := c.integer(p, path, "diskSize", false, 512, 10240); ok && d != 512 && d != 10240 {
		c.fail(join(path, "diskSize"), errEnum, "%d: 512 or 10240", d)
	}
	if t, ok := c.integer(p, path, "timeout", true, 1, 86400); ok && f.cfg != nil {
		// A sweep runs for IPRODWATCH_PULL_BUDGET, then finishes what it holds.
		if timeout := time.Duration(t) * time.Second; timeout < 2*f.cfg.PullBudget {
			c.fail(join(path, "timeout"), errUnsuited, "%v is not comfortably above IPRODWATCH_PULL_BUDGET %v (want at least twice)", timeout, f.cfg.PullBudget)
		}
	}
}

func checkRole(c *checker, path, role string, f facts) {
	account, name, ok := parseRoleARN(role)
	switch {
	case !ok:
		c.fail(path, errFormat, "%q is not a role ARN acs:ram::ACCOUNT:role/NAME", role)
	case f.cfg != nil && account != f.cfg.AccountID:
		c.fail(path, errMismatch, "role of account %s, but IPRODWATCH_ACCOUNT_ID is %s", account, f.cfg.AccountID)
	case name == "":
		c.fail(path, errFormat, "%q has no role name", role)
	}
}

func checkLog(c *checker, p map[string]any, path string) {
	v, ok := c.has(p, path, "logConfig", true)
	if !ok {
		return
	}
	lp := join(path, "logConfig")
	switch l := v.(type) {
	case string:
		if l != "auto" {
			c.fail(lp, errEnum, "%q: auto, or {project, logstore}", l)
		} else {
			// fc3 turns auto into logBeginRule DefaultRegex (src/subCommands/deploy/impl/function.ts).
			c.fail(lp, errUnsuited, "auto sets logBeginRule DefaultRegex, which joins our JSON lines: name the project and log store")
		}
	case map[string]any:
		c.str(l, lp, "project", true)
		c.str(l, lp, "logstore", true)
		for _, k := range []string{"enableRequestMetrics", "enableInstanceMetrics", "enableLlmMetrics"} {
			c.boolean(l, lp, k, false)
		}
		if r, ok := c.enum(l, lp, "logBeginRule", false, "DefaultRegex", "None"); ok && r != "None" {
			c.fail(join(lp, "logBeginRule"), errUnsuited, "%s joins lines that do not start with a date, and every log line is a JSON record", r)
		}
	default:
		c.fail(lp, errType, "want auto or a mapping, have %T", v)
	}
}

// checkConcurrency checks that the instances FC may start, each spending IPRODWATCH_QPS, stay under
// the account's QueryIProductionJob quota.
func checkConcurrency(c *checker, p map[string]any, path string, f facts) {
	cc, ok := c.obj(p, path, "concurrencyConfig", true)
	if !ok {
		return
	}
	cp := join(path, "concurrencyConfig")
	n, ok := c.integer(cc, cp, "reservedConcurrency", true, 1, accountInstances)
	if !ok {
		return
	}
	rp := join(cp, "reservedConcurrency")
	if n != handler.DefaultReservedConcurrency {
		c.fail(rp, errMismatch, "%d, but handler.DefaultReservedConcurrency (what s.yaml ships with) is %d", n, handler.DefaultReservedConcurrency)
	}
	if f.cfg != nil {
		if total := float64(n) * f.cfg.QPS; total > handler.QueryQuota {
			c.fail(rp, errQuota, "%d instances x IPRODWATCH_QPS %v = %v queries/s, over the quota of %d", n, f.cfg.QPS, total, handler.QueryQuota)
		}
	}
}

// checkAsync checks the async invocation config; the timer and the topic trigger invoke
// asynchronously, and a failure that outlives the retries must land on the dead-letter queue.
func checkAsync(c *checker, p map[string]any, path string, f facts) {
	a, ok := c.obj(p, path, "asyncInvokeConfig", true)
	if !ok {
		return
	}
	ap := join(path, "asyncInvokeConfig")
	c.boolean(a, ap, "asyncTask", false)
	c.integer(a, ap, "maxAsyncRetryAttempts", true, 0, 8)
	// fc3's schema allows up to 2592000, FC's API 604800: the narrower range holds for both.
	c.integer(a, ap, "maxAsyncEventAgeInSeconds", true, 1, 604800)
	dc, ok := c.obj(a, ap, "destinationConfig", false)
	if !ok {
		c.fail(join(ap, "destinationConfig"), errNoDLQ, "an async invocation that fails its retries would vanish")
		return
	}
	dp := join(ap, "destinationConfig")
	for _, k := range []string{"onSuccess", "onFailure"} {
		d, ok := c.obj(dc, dp, k, false)
		if !ok {
			if k == "onFailure" {
				c.fail(join(dp, k), errNoDLQ, "an async invocation that fails its retries would vanish")
			}
			continue
		}
		dest, ok := c.str(d, join(dp, k), "destination", true)
		if !ok {
			continue
		}
		arn, ok := parseDestinationARN(dest)
		destPath := join(join(dp, k), "destination")
		if !ok {
			c.fail(destPath, errFormat, "%q: want acs:mns:REGION:ACCOUNT:/queues/Q/messages, .../topics/T/messages or acs:fc:REGION:ACCOUNT:functions/F", dest)
			continue
		}
		checkMNSARN(c, destPath, arn, f)
		if k == "onFailure" && f.cfg != nil && (arn.kind != "queues" || arn.name != f.cfg.DLQQueue) {
			c.fail(destPath, errMismatch, "failures go to %s %s; want the dead-letter queue %s", arn.kind, arn.name, f.cfg.DLQQueue)
		}
	}
}

// checkMNSARN checks that an MNS resource is in the function's region and account.
func checkMNSARN(c *checker, path string, arn mnsARN, f facts) {
	if f.cfg == nil {
		return
	}
	if arn.region != f.cfg.Region {
		c.fail(path, errMismatch, "region %s, but the function runs in %s (MNS triggers and destinations stay in one region)", arn.region, f.cfg.Region)
	}
	if arn.account != f.cfg.AccountID {
		c.fail(path, errMismatch, "account %s, but IPRODWATCH_ACCOUNT_ID is %s", arn.account, f.cfg.AccountID)
	}
}
