package deploy

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// FC and fc3 limits on triggers (reference §5.3 and §6).
const (
	maxTriggers     = 50
	maxFilterTag    = 16
	maxTimerPayload = 128 << 10 // a timer invokes asynchronously: the async payload limit
)

var triggerTypes = []string{"timer", "mns_topic", "eventbridge", "http", "oss", "log", "cdn_events", "tablestore"}

// checkTriggers checks each trigger's config, then the rules that span triggers.
func checkTriggers(c *checker, fn function, f facts) {
	path := fn.path + ".props.triggers"
	list, ok := c.list(fn.props, fn.path+".props", "triggers", true)
	if !ok {
		return
	}
	if len(list) > maxTriggers {
		c.fail(path, errSize, "%d triggers, over FC's %d per function", len(list), maxTriggers)
	}
	seen := map[string]bool{}
	sources := map[string]string{} // EventBridge source queue -> trigger
	consumers := 0                 // enabled triggers that consume the check queue
	for i, e := range list {
		t, ok := e.(map[string]any)
		if !ok {
			c.fail(path+"."+strconv.Itoa(i), errType, "want a mapping, have %T", e)
			continue
		}
		name, _ := t["triggerName"].(string)
		tp := path + "." + name
		if name == "" {
			tp = path + "." + strconv.Itoa(i)
		}
		if n, ok := c.str(t, tp, "triggerName", true); ok {
			if !isResourceName(n, 128) {
				c.fail(join(tp, "triggerName"), errFormat, "%q: letters, digits, _ and -, not starting with a digit or -", n)
			}
			if seen[n] {
				c.fail(join(tp, "triggerName"), errFormat, "%q names two triggers", n)
			}
			seen[n] = true
		}
		if q, ok := c.str(t, tp, "qualifier", false); ok && q == "" {
			c.fail(join(tp, "qualifier"), errFormat, "empty; LATEST, a version or an alias")
		}
		c.str(t, tp, "description", false)
		typ, ok := c.enum(t, tp, "triggerType", true, triggerTypes...)
		if !ok {
			continue
		}
		cfg, ok := c.obj(t, tp, "triggerConfig", true)
		if !ok {
			continue
		}
		cp := join(tp, "triggerConfig")
		switch typ {
		case "timer":
			if checkTimer(c, cfg, cp) {
				consumers++
			}
		case "mns_topic":
			checkTopicTrigger(c, t, tp, cfg, cp, f)
		case "eventbridge":
			// fc3 (since commit 61f88fc, 2024) compares each EventBridge trigger with the one
			// deployed and, when they match, returns from the loop instead of continuing: what
			// follows is never created or updated. Last is the only safe place, for one of them.
			if i < len(list)-1 {
				c.fail(tp, errOrder, "%d trigger(s) after it: fc3's trigger loop returns at an EventBridge trigger that has not changed (src/subCommands/deploy/impl/trigger.ts), so list it last, and list only one", len(list)-1-i)
			}
			queue, enabled := checkEventBridge(c, cfg, cp, f)
			if queue != "" {
				if other, dup := sources[queue]; dup {
					c.fail(tp, errFormat, "queue %s is already the source of %s (fc3: never two EventBridge triggers on one source)", queue, other)
				}
				sources[queue] = name
			}
			if enabled && f.cfg != nil && queue == f.cfg.CheckQueue {
				consumers++
			}
		default:
			c.fail(join(tp, "triggerType"), errUnsuited, "%s: the function reads MNS queue, MNS topic and timer events only", typ)
		}
	}
	if f.cfg != nil && consumers != 1 {
		c.fail(path, errModes, "%d enabled consumers of the check queue; push mode (the EventBridge trigger) and pull mode (the timer) replace each other, and with neither, re-queued checks are never read", consumers)
	}
}

// checkTimer checks a timer trigger and reports whether it is enabled.
func checkTimer(c *checker, cfg map[string]any, path string) bool {
	if expr, ok := c.str(cfg, path, "cronExpression", true); ok {
		if err := checkCron(expr); err != nil {
			c.fail(join(path, "cronExpression"), errFormat, "%q: %v", expr, err)
		}
	}
	if p, ok := c.str(cfg, path, "payload", false); ok && len(p) > maxTimerPayload {
		c.fail(join(path, "payload"), errSize, "%d bytes, over the async limit of %d", len(p), maxTimerPayload)
	}
	enabled, _ := c.boolean(cfg, path, "enable", true)
	return enabled
}

// checkTopicTrigger checks an MNS topic trigger: it must listen to the intake topic, never the
// event topic the function publishes to.
func checkTopicTrigger(c *checker, t map[string]any, tp string, cfg map[string]any, cp string, f facts) {
	if src, ok := c.str(t, tp, "sourceArn", true); ok {
		sp := join(tp, "sourceArn")
		arn, ok := parseMNSARN(src, "topics")
		switch {
		case !ok:
			c.fail(sp, errFormat, "%q is not acs:mns:REGION:ACCOUNT:/topics/NAME", src)
		case f.cfg != nil:
			checkMNSARN(c, sp, arn, f)
			if arn.name == f.cfg.EventTopic {
				c.fail(sp, errEventTopic, "%s is IPRODWATCH_EVENT_TOPIC: the function would consume its own completion events", arn.name)
			} else if arn.name != f.cfg.IntakeTopic {
				c.fail(sp, errMismatch, "topic %s, but IPRODWATCH_INTAKE_TOPIC is %q", arn.name, f.cfg.IntakeTopic)
			}
		}
	}
	if r, ok := c.str(t, tp, "invocationRole", false); ok {
		if _, _, ok := parseRoleARN(r); !ok {
			c.fail(join(tp, "invocationRole"), errFormat, "%q is not a role ARN acs:ram::ACCOUNT:role/NAME", r)
		}
	}
	c.enum(cfg, cp, "notifyContentFormat", true, "JSON", "STREAM")
	c.enum(cfg, cp, "notifyStrategy", true, "BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY")
	if tag, ok := c.str(cfg, cp, "filterTag", false); ok && utf8.RuneCountInString(tag) > maxFilterTag {
		c.fail(join(cp, "filterTag"), errSize, "%q has %d characters, over %d", tag, utf8.RuneCountInString(tag), maxFilterTag)
	}
}

// checkEventBridge checks an EventBridge trigger; it returns the MNS queue it consumes and whether
// it is enabled.
func checkEventBridge(c *checker, cfg map[string]any, path string, f facts) (queue string, enabled bool) {
	enabled, _ = c.boolean(cfg, path, "triggerEnable", true)
	c.boolean(cfg, path, "asyncInvocationType", true)
	if p, ok := c.str(cfg, path, "eventRuleFilterPattern", true); ok {
		var m map[string]any
		if err := json.Unmarshal([]byte(p), &m); err != nil {
			c.fail(join(path, "eventRuleFilterPattern"), errFormat, "%q is not a JSON object: %v", p, err)
		}
	}
	queue = checkEventSource(c, cfg, path, f)
	if sink, ok := c.obj(cfg, path, "eventSinkConfig", true); ok {
		sp := join(path, "eventSinkConfig")
		if d, ok := c.obj(sink, sp, "deliveryOption", true); ok {
			dp := join(sp, "deliveryOption")
			c.enum(d, dp, "eventSchema", false, "CloudEvents", "RawData")
			if _, ok := d["mode"]; ok {
				c.fail(join(dp, "mode"), errUnsuited, "fc3 calls it not recommended and runOptions.mode overrides it: set the mode there only")
			}
		}
	}
	if ro, ok := c.obj(cfg, path, "runOptions", true); ok {
		checkRunOptions(c, ro, join(path, "runOptions"), f)
	}
	return queue, enabled
}

func checkEventSource(c *checker, cfg map[string]any, path string, f facts) string {
	src, ok := c.obj(cfg, path, "eventSourceConfig", true)
	if !ok {
		return ""
	}
	sp := join(path, "eventSourceConfig")
	typ, typOK := c.enum(src, sp, "eventSourceType", true, "Default", "MNS", "RocketMQ", "RabbitMQ", "Kafka", "DTS")
	params, ok := c.obj(src, sp, "eventSourceParameters", true)
	if !typOK || !ok {
		return ""
	}
	if typ != "MNS" {
		c.fail(join(sp, "eventSourceType"), errUnsuited, "%s: the function consumes the MNS check queue", typ)
		return ""
	}
	pp := join(sp, "eventSourceParameters")
	mns, ok := c.obj(params, pp, "sourceMNSParameters", true)
	if !ok {
		return ""
	}
	mp := join(pp, "sourceMNSParameters")
	if r, ok := c.str(mns, mp, "RegionId", false); ok && f.cfg != nil && r != f.cfg.Region {
		c.fail(join(mp, "RegionId"), errMismatch, "%s, but the function runs in %s (queue and function share a region)", r, f.cfg.Region)
	}
	// EventBridge base64-decodes bodies unless told not to; our producers send plain text.
	if b, ok := c.boolean(mns, mp, "IsBase64Decode", false); !ok || b {
		c.fail(join(mp, "IsBase64Decode"), errUnsuited, "must be false: check messages are sent as plain text, and the default true would decode them")
	}
	q, ok := c.str(mns, mp, "QueueName", true)
	if !ok {
		return ""
	}
	if !isMNSName(q) {
		c.fail(join(mp, "QueueName"), errFormat, "%q is not an MNS queue name", q)
	} else if f.cfg != nil && q != f.cfg.CheckQueue {
		c.fail(join(mp, "QueueName"), errMismatch, "%s, but the function re-queues checks to IPRODWATCH_CHECK_QUEUE %s", q, f.cfg.CheckQueue)
	}
	return q
}

func checkRunOptions(c *checker, ro map[string]any, path string, f facts) {
	if m, ok := c.enum(ro, path, "mode", true, "event-streaming", "event-driven"); ok && m != "event-streaming" {
		c.fail(join(path, "mode"), errUnsuited, "%s ignores batchWindow, retryStrategy, errorsTolerance and deadLetterQueue", m)
	}
	if bw, ok := c.obj(ro, path, "batchWindow", false); ok {
		bp := join(path, "batchWindow")
		windowValue(c, bw, bp, "CountBasedWindow", 1, 10000)
		windowValue(c, bw, bp, "TimeBasedWindow", 0, 15)
	}
	if rs, ok := c.obj(ro, path, "retryStrategy", false); ok {
		rp := join(path, "retryStrategy")
		c.enum(rs, rp, "PushRetryStrategy", true, "BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY")
		c.integer(rs, rp, "MaximumRetryAttempts", false, 0, 1<<31-1)
		c.integer(rs, rp, "MaximumEventAgeInSeconds", false, 0, 1<<31-1)
	}
	if _, ok := ro["maximumTasks"]; ok {
		c.fail(join(path, "maximumTasks"), errUnsuited, "applies to Kafka sources only")
	}
	tol, ok := c.enum(ro, path, "errorsTolerance", true, "ALL", "NONE")
	dlq, hasDLQ := c.obj(ro, path, "deadLetterQueue", false)
	if ok && tol == "ALL" && !hasDLQ {
		c.fail(join(path, "deadLetterQueue"), errNoDLQ, "errorsTolerance ALL discards a failing batch after its retries")
	}
	if !hasDLQ {
		return
	}
	dp := join(path, "deadLetterQueue")
	arnStr, ok := c.str(dlq, dp, "Arn", true)
	if !ok {
		return
	}
	ap := join(dp, "Arn")
	arn, ok := parseMNSARN(arnStr, "queues")
	switch {
	case !ok:
		c.fail(ap, errFormat, "%q is not acs:mns:REGION:ACCOUNT:/queues/NAME", arnStr)
	case f.cfg != nil:
		checkMNSARN(c, ap, arn, f)
		if arn.name != f.cfg.DLQQueue {
			c.fail(ap, errMismatch, "queue %s, but IPRODWATCH_DLQ_QUEUE is %s", arn.name, f.cfg.DLQQueue)
		}
	}
}

// windowValue reads a batch window bound, a number or (as fc3's docs type it) a numeric string.
func windowValue(c *checker, m map[string]any, path, key string, lo, hi int) {
	if s, ok := m[key].(string); ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			c.fail(join(path, key), errType, "%q is not a whole number", s)
			return
		}
		m = map[string]any{key: n}
	}
	c.integer(m, path, key, false, lo, hi)
}
