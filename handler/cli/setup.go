package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/cloud"
)

const setupUsage = `Usage: iprodwatch setup [-fix] [-json] [flags]

Creates, or checks, the function's queues and topics through the MNS API, idempotently: the check
queue, the dead-letter queue, the event topic and (when IPRODWATCH_INTAKE_TOPIC is set) the intake
topic. It prints what it created, what already matched and what differs. It never changes an
existing queue or topic unless -fix is given; then it says what it changed.

What each must have, and why:
  check queue   retention of at least the deadline plus 1.5 h (LastQueryGrace three times and an
                hour of margin; created with 7 days, MNS's most): a job must outlive its chain;
                message size 65536 (MNS's most: a check with a large userData fits); visibility
                timeout of at least the pull budget plus 15 s (a sweep's received messages must not
                come back while it works them; created with that); no delay (it would hold back
                every first check)
  dead-letter   retention of at least 3 days (a dead letter outlives a long weekend; created with
  queue         7 days), message size 65536 (a dead letter carries the message it is about)
  topics        message size 65536 (an event is fitted to it, and cut above it)
Not checked: a queue's receive-count dead-letter policy, which MNS SDK v1.0.11's API does not show.
Configure none on the check queue in pull mode: it would take running jobs' messages away.

Flags:
  -fix    set what differs on an existing queue or topic to what it must have
  -json   one JSON line per queue or topic: {"kind","name","status","differences"}
          (status: created, matches, differs, fixed)
` + configUsage + `
Exit codes:
  0  everything exists and has what it must (created or fixed now, or already)
  3  something differs (the lines say what; -fix changes it)
  1  error: configuration, credentials, or a call that failed
  2  usage error
`

func setupCommand() command {
	c := command{name: "setup", summary: "create or check the function's queues and topics", usage: setupUsage}
	c.run = func(ctx context.Context, env Env, args []string) int { return runSetup(ctx, env, &c, args) }
	return c
}

// MNS's largest message, and its longest retention.
const (
	mnsMaxMessage   = 65536
	mnsMaxRetention = 7 * 24 * time.Hour
	dlqRetention    = 3 * 24 * time.Hour
)

// resource is one queue or topic setup looks after.
type resource struct {
	Kind string `json:"kind"` // "check queue", "dead-letter queue", "event topic", "intake topic"
	Name string `json:"name"`
	// The attributes it is created with (queueDifferences says what an existing one lacks).
	createQueue cloud.QueueAttributes
	createTopic cloud.TopicAttributes
	queue       bool
}

// difference is one attribute that is not what it must be.
type difference struct {
	Attribute string `json:"attribute"`
	Have      string `json:"have"`
	Want      string `json:"want"`
}

// resources are the queues and topics cfg names, with what each is created with.
func resources(cfg handler.Config) []resource {
	check := cloud.QueueAttributes{MaxMessageSize: mnsMaxMessage, RetentionSeconds: int(mnsMaxRetention.Seconds()),
		VisibilitySeconds: int(visibilityFor(cfg).Seconds())}
	dlq := cloud.QueueAttributes{MaxMessageSize: mnsMaxMessage, RetentionSeconds: int(mnsMaxRetention.Seconds()), VisibilitySeconds: 30}
	topic := cloud.TopicAttributes{MaxMessageSize: mnsMaxMessage}
	rs := []resource{
		{Kind: "check queue", Name: cfg.CheckQueue, createQueue: check, queue: true},
		{Kind: "dead-letter queue", Name: cfg.DLQQueue, createQueue: dlq, queue: true},
		{Kind: "event topic", Name: cfg.EventTopic, createTopic: topic},
	}
	if cfg.IntakeTopic != "" {
		rs = append(rs, resource{Kind: "intake topic", Name: cfg.IntakeTopic, createTopic: topic})
	}
	return rs
}

// visibilityFor is the least visibility timeout of the check queue: a pull sweep's budget and room
// for its last query.
func visibilityFor(cfg handler.Config) time.Duration {
	return min(cfg.PullBudget+15*time.Second, handler.MaxVisibility*time.Second)
}

// checkRetention is the least retention of the check queue, as pull mode checks it.
func checkRetention(cfg handler.Config) time.Duration {
	return cfg.Deadline + 3*handler.LastQueryGrace + handler.PullRetentionMargin
}

// queueDifferences says what an existing queue lacks, and the attributes -fix gives it (its own
// where they are right).
func queueDifferences(cfg handler.Config, r resource, have cloud.QueueAttributes) ([]difference, cloud.QueueAttributes) {
	var ds []difference
	fixed := have
	secs := func(n int) string { return fmt.Sprintf("%d s", n) }
	// least records an attribute under its floor; -fix sets it to what a new queue gets.
	least := func(attr string, got int, floor time.Duration, set *int, to int) {
		if w := int((floor + time.Second - 1) / time.Second); got < w {
			ds = append(ds, difference{attr, secs(got), "at least " + secs(w)})
			*set = max(to, w)
		}
	}
	if have.MaxMessageSize < mnsMaxMessage {
		ds = append(ds, difference{"MaximumMessageSize", fmt.Sprintf("%d B", have.MaxMessageSize), fmt.Sprintf("%d B", mnsMaxMessage)})
		fixed.MaxMessageSize = mnsMaxMessage
	}
	if r.Kind == "check queue" {
		least("MessageRetentionPeriod", have.RetentionSeconds, checkRetention(cfg), &fixed.RetentionSeconds, r.createQueue.RetentionSeconds)
		least("VisibilityTimeout", have.VisibilitySeconds, visibilityFor(cfg), &fixed.VisibilitySeconds, r.createQueue.VisibilitySeconds)
		if have.DelaySeconds != 0 {
			ds = append(ds, difference{"DelaySeconds", secs(have.DelaySeconds), secs(0)})
			fixed.DelaySeconds = 0
		}
	} else {
		least("MessageRetentionPeriod", have.RetentionSeconds, dlqRetention, &fixed.RetentionSeconds, r.createQueue.RetentionSeconds)
	}
	return ds, fixed
}

func topicDifferences(have cloud.TopicAttributes) ([]difference, cloud.TopicAttributes) {
	if have.MaxMessageSize >= mnsMaxMessage {
		return nil, have
	}
	fixed := have
	fixed.MaxMessageSize = mnsMaxMessage
	return []difference{{"MaximumMessageSize", fmt.Sprintf("%d B", have.MaxMessageSize), fmt.Sprintf("%d B", mnsMaxMessage)}}, fixed
}

// setupLine is one resource's outcome.
type setupLine struct {
	Kind        string       `json:"kind"`
	Name        string       `json:"name"`
	Status      string       `json:"status"`
	Differences []difference `json:"differences,omitempty"`
}

func runSetup(ctx context.Context, env Env, c *command, args []string) int {
	fs := newFlagSet(c.name)
	fix := fs.Bool("fix", false, "")
	asJSON := fs.Bool("json", false, "")
	conf := addConfigFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return usageError(env, c, err)
	}
	cfg, ops, err := conf.connect(ctx, fs, env)
	if err != nil {
		return fail(env, c, err)
	}
	code := ExitOK
	for _, r := range resources(cfg) {
		l, err := setUp(ctx, cfg, ops, r, *fix)
		if err != nil {
			return fail(env, c, fmt.Errorf("%s %s: %w", r.Kind, r.Name, err))
		}
		if l.Status == "differs" {
			code = ExitFailed
		}
		if *asJSON {
			printJSONLine(env, l)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s %s: %s", l.Kind, l.Name, l.Status)
		var parts []string
		for _, d := range l.Differences {
			parts = append(parts, fmt.Sprintf("%s %s, want %s", d.Attribute, d.Have, d.Want))
		}
		if len(parts) > 0 {
			fmt.Fprintf(env.Stdout, ": %s", strings.Join(parts, "; "))
		}
		if l.Status == "differs" {
			fmt.Fprint(env.Stdout, " (setup -fix changes it)")
		}
		fmt.Fprintln(env.Stdout)
	}
	return code
}

// setUp creates r, or compares it and, with fix, sets what differs.
func setUp(ctx context.Context, cfg handler.Config, ops *cloud.Ops, r resource, fix bool) (setupLine, error) {
	l := setupLine{Kind: r.Kind, Name: r.Name, Status: "matches"}
	if r.queue {
		have, err := ops.Queue(ctx, r.Name)
		if errors.Is(err, cloud.ErrNotExist) {
			l.Status = "created"
			return l, ops.CreateQueue(ctx, r.Name, r.createQueue)
		}
		if err != nil {
			return l, err
		}
		ds, fixed := queueDifferences(cfg, r, have)
		return settle(l, ds, fix, func() error { return ops.SetQueue(ctx, r.Name, fixed) })
	}
	have, err := ops.Topic(ctx, r.Name)
	if errors.Is(err, cloud.ErrNotExist) {
		l.Status = "created"
		return l, ops.CreateTopic(ctx, r.Name, r.createTopic)
	}
	if err != nil {
		return l, err
	}
	ds, fixed := topicDifferences(have)
	return settle(l, ds, fix, func() error { return ops.SetTopic(ctx, r.Name, fixed) })
}

func settle(l setupLine, ds []difference, fix bool, set func() error) (setupLine, error) {
	l.Differences = ds
	switch {
	case len(ds) == 0:
		return l, nil
	case !fix:
		l.Status = "differs"
		return l, nil
	}
	l.Status = "fixed"
	return l, set()
}
