package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"iprodwatch/handler"
	"iprodwatch/handler/cloud"
)

const dlqUsage = `Usage: iprodwatch dlq list [-n N] [-json] [flags]
       iprodwatch dlq redrive (-all | -id MESSAGEID...) [-json] [flags]

list prints the messages of the dead-letter queue (IPRODWATCH_DLQ_QUEUE) with their reasons,
without taking them (BatchPeekMessage: MNS shows at most the 16 at the head of the queue; a peek
neither hides them nor counts as a receive). The queue holds three kinds, all read: the function's
own dead letters (the reason, and the message as it came), EventBridge's (a batch whose
invocations kept failing) and FC's asynchronous failures (a timer tick, an intake request).

redrive sends dead letters back to the check queue, each as it was first sent, and deletes each
only after its send succeeded (a crash in between leaves it in both queues: a copy, never a loss).
A message that is bad again is dead-lettered again by the function, as a new message that names the
one sent back: redrive leaves it for the next look, takes each message at most once and at most
-max in all, so it never loops. A letter that cannot be sent back whole (its body was cut to fit, a timer
tick, a shape iprodwatch does not know) is left where it is, and said why.

Flags:
  -n N       list: at most N messages, 1 to 16 (default 16)
  -all       redrive: every message
  -id ID     redrive: the message with this id (as list prints it); repeatable
  -max N     redrive: take at most N messages (default 10000)
  -json      one JSON line per message
` + configUsage + `
Exit codes:
  0  listed (also an empty queue); redrive: every chosen message was sent back
  3  redrive: some chosen messages were left in the queue (the lines say why)
  1  error: configuration, credentials, or a call that failed (redrive stops there: each
     message sent back before it was deleted after its send, or, if that delete failed, is in
     both queues; the rest is left; nothing is lost)
  2  usage error
`

func dlqCommand() command {
	c := command{name: "dlq", summary: "list the dead-letter queue, or send its messages back to the check queue", usage: dlqUsage}
	c.run = func(ctx context.Context, env Env, args []string) int { return runDLQ(ctx, env, &c, args) }
	return c
}

func runDLQ(ctx context.Context, env Env, c *command, args []string) int {
	if len(args) == 0 {
		return usageError(env, c, errors.New("want list or redrive"))
	}
	switch args[0] {
	case "list":
		return runDLQList(ctx, env, c, args[1:])
	case "redrive":
		return runDLQRedrive(ctx, env, c, args[1:])
	case "-h", "-help", "--help":
		fmt.Fprint(env.Stdout, c.usage)
		return ExitOK
	}
	return usageError(env, c, fmt.Errorf("unknown dlq command %q: want list or redrive", args[0]))
}

// letterLine is one message, as list and redrive print it with -json.
type letterLine struct {
	MessageID    string    `json:"messageId"`
	EnqueuedAt   time.Time `json:"enqueuedAt,omitzero"`
	DequeueCount int       `json:"dequeueCount,omitempty"`
	From         string    `json:"from"`
	JobID        string    `json:"jobId,omitempty"`
	Trigger      string    `json:"trigger,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	At           time.Time `json:"at,omitzero"`
	Stuck        string    `json:"stuck,omitempty"`
	// Redrive's outcome: "sent back", "left", or "failed".
	Redrive string `json:"redrive,omitempty"`
	Error   string `json:"error,omitempty"`
}

func lineOf(m handler.Received) letterLine {
	l := handler.ReadLetter(m.Body)
	return letterLine{MessageID: m.ID, EnqueuedAt: m.EnqueuedAt, DequeueCount: m.DequeueCount, From: l.From,
		JobID: l.JobID, Trigger: l.Trigger, Reason: l.Reason, At: l.At, Stuck: l.Stuck}
}

func runDLQList(ctx context.Context, env Env, c *command, args []string) int {
	fs := newFlagSet(c.name + " list")
	n := fs.Int("n", 16, "")
	asJSON := fs.Bool("json", false, "")
	conf := addConfigFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return usageError(env, c, err)
	}
	switch {
	case *n < 1 || *n > 16:
		return usageError(env, c, fmt.Errorf("-n %d: want 1 to 16 (MNS peeks at most 16)", *n))
	}
	cfg, ops, err := conf.connect(ctx, fs, env)
	if err != nil {
		return fail(env, c, err)
	}
	msgs, err := ops.Peek(ctx, cfg.DLQQueue, *n)
	if err != nil {
		return fail(env, c, err)
	}
	lines := make([]letterLine, 0, len(msgs))
	for _, m := range msgs {
		lines = append(lines, lineOf(m))
	}
	if *asJSON {
		for _, l := range lines {
			printJSONLine(env, l)
		}
		return ExitOK
	}
	if len(lines) == 0 {
		fmt.Fprintf(env.Stdout, "%s: no visible message\n", cfg.DLQQueue)
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MESSAGE ID\tDEAD-LETTERED\tFROM\tJOB\tREASON")
	for _, l := range lines {
		why := l.Reason
		if l.Stuck != "" {
			why = strings.TrimSpace(why + " [cannot be sent back: " + l.Stuck + "]")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.MessageID, l.EnqueuedAt.UTC().Format(time.RFC3339), l.From, orDash(l.JobID), oneLine(why, 160))
	}
	tw.Flush()
	if len(lines) == *n {
		// GetQueueAttributes' message counts are being retired (MNS answers 0 for them): the depth
		// is CloudMonitor's NumberOfMessagesVisible.
		fmt.Fprintf(env.Stdout, "(%d shown: MNS peeks at most %d, from the head of the queue; there may be more)\n", len(lines), *n)
	}
	return ExitOK
}

func printJSONLine(env Env, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(env.Stderr, "iprodwatch: %v\n", err)
		return
	}
	fmt.Fprintf(env.Stdout, "%s\n", b)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine is s on one line, cut to n characters.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// idList is the repeatable -id flag.
type idList []string

func (l *idList) String() string     { return strings.Join(*l, ",") }
func (l *idList) Set(v string) error { *l = append(*l, v); return nil }

func runDLQRedrive(ctx context.Context, env Env, c *command, args []string) int {
	fs := newFlagSet(c.name + " redrive")
	all := fs.Bool("all", false, "")
	var ids idList
	fs.Var(&ids, "id", "")
	maxN := fs.Int("max", redriveMax, "")
	asJSON := fs.Bool("json", false, "")
	conf := addConfigFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return usageError(env, c, err)
	}
	switch {
	case *maxN < 1:
		return usageError(env, c, fmt.Errorf("-max %d: want at least 1", *maxN))
	case *all == (len(ids) > 0):
		return usageError(env, c, errors.New("want -all or -id MESSAGEID (not both)"))
	}
	cfg, ops, err := conf.connect(ctx, fs, env)
	if err != nil {
		return fail(env, c, err)
	}
	r := redrive{cfg: cfg, ops: ops, q: ops.Clients().Queues, all: *all, want: map[string]bool{}, max: *maxN, sent: map[string]bool{}}
	for _, id := range ids {
		r.want[id] = true
	}
	print := func(l letterLine) {
		switch {
		case *asJSON:
			printJSONLine(env, l)
		case l.Redrive == "sent back":
			fmt.Fprintf(env.Stdout, "sent back %s (job %s) to %s\n", l.MessageID, orDash(l.JobID), cfg.CheckQueue)
		case l.Redrive == "failed":
			fmt.Fprintf(env.Stderr, "iprodwatch dlq redrive: %s (job %s) failed, left in %s: %s\n", l.MessageID, orDash(l.JobID), cfg.DLQQueue, l.Error)
		default:
			fmt.Fprintf(env.Stdout, "left %s (job %s): %s\n", l.MessageID, orDash(l.JobID), l.Stuck)
		}
	}
	res, err := r.run(ctx, print)
	if err != nil {
		fmt.Fprintf(env.Stderr, "iprodwatch dlq redrive: %v (%d sent back before it; the rest is left in %s)\n", err, res.sent, cfg.DLQQueue)
		return ExitError
	}
	for id := range r.want {
		if !res.seen[id] {
			res.left++
			print(letterLine{MessageID: id, Redrive: "left", Stuck: "not in the queue (or being received by someone else)"})
		}
	}
	if !*asJSON {
		fmt.Fprintf(env.Stdout, "%d sent back, %d left\n", res.sent, res.left)
	}
	if res.left > 0 {
		return ExitFailed
	}
	return ExitOK
}

// redrive is one run of dlq redrive.
type redrive struct {
	cfg  handler.Config
	ops  *cloud.Ops
	q    handler.Queues
	all  bool
	want map[string]bool
	max  int
	// sent are the ids of the check-queue messages this run sent back: a letter about one of them
	// is that message, bad again.
	sent  map[string]bool
	found int // of want
}

type redriveResult struct {
	sent, left int
	seen       map[string]bool
}

// redriveMax is how many dead-letter messages one redrive takes at most, by default.
const redriveMax = 10000

// run takes the dead-letter queue's messages, each once, and sends back those chosen. Three things
// keep it from looping on a message that is bad again (the function dead-letters it at once, as a
// new message): a letter about a message this run sent back is left, a message is taken at most
// once, and the run takes at most r.max. Not the queue's message counts, which MNS is retiring
// (GetQueueAttributes answers 0), nor enqueue times, which are MNS's clock, not this machine's.
func (r *redrive) run(ctx context.Context, print func(letterLine)) (redriveResult, error) {
	res := redriveResult{seen: map[string]bool{}}
	var held []string // receipts of messages taken and left, made visible again at the end
	defer func() {
		// Best effort, within half a minute even after an interrupt: a message not made visible
		// now is visible after the queue's own visibility timeout.
		show, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		for _, receipt := range held {
			if _, err := r.q.Defer(show, r.cfg.DLQQueue, receipt, time.Second); err != nil {
				return
			}
		}
	}()
	idle := 0
	for taken := 0; taken < r.max; {
		msgs, err := r.q.Receive(ctx, r.cfg.DLQQueue, min(16, r.max-taken), 0)
		if err != nil {
			return res, err
		}
		fresh := 0
		for i, m := range msgs {
			if res.seen[m.ID] {
				held = append(held, m.Receipt) // taken again: its new receipt is the one that shows it
				continue
			}
			if !r.all && len(r.want) == r.found {
				// Every message asked for is done: the rest goes back as it was.
				for _, m := range msgs[i:] {
					held = append(held, m.Receipt)
				}
				return res, nil
			}
			fresh++
			taken++
			res.seen[m.ID] = true
			l := lineOf(m)
			if !r.all && !r.want[m.ID] {
				held = append(held, m.Receipt)
				continue
			}
			if r.want[m.ID] {
				r.found++
			}
			if slices.ContainsFunc(handler.ReadLetter(m.Body).MessageIDs, func(id string) bool { return r.sent[id] }) {
				l.Stuck = "sent back by this redrive and dead-lettered again: left for the next look"
			}
			if l.Stuck != "" {
				l.Redrive = "left"
				res.left++
				held = append(held, m.Receipt)
				print(l)
				continue
			}
			if err := r.sendBack(ctx, m); err != nil {
				l.Redrive, l.Error = "failed", err.Error()
				for _, m := range msgs[i:] {
					held = append(held, m.Receipt) // this one and the rest of the batch, untouched
				}
				print(l)
				return res, err
			}
			l.Redrive = "sent back"
			res.sent++
			print(l)
		}
		// An empty receive ends the run. A batch of messages already taken (come back because
		// this run held them past the queue's visibility timeout, or the queue's loose order
		// gave them again) does not, unless three come in a row.
		if len(msgs) == 0 {
			return res, nil
		}
		if fresh > 0 {
			idle = 0
		} else if idle++; idle == 3 {
			return res, nil
		}
	}
	return res, nil
}

// sendBack sends a letter's requests to the check queue, then deletes it.
func (r *redrive) sendBack(ctx context.Context, m handler.Received) error {
	for _, body := range handler.ReadLetter(m.Body).Requests {
		id, err := r.ops.Send(ctx, r.cfg.CheckQueue, body)
		if err != nil {
			return fmt.Errorf("sending back to %s: %w", r.cfg.CheckQueue, err)
		}
		r.sent[id] = true
	}
	if err := r.q.Delete(ctx, r.cfg.DLQQueue, m.Receipt); err != nil {
		return fmt.Errorf("deleting from %s after it was sent back (it is now in both): %w", r.cfg.DLQQueue, err)
	}
	return nil
}
