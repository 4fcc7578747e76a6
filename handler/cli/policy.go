package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"iprodwatch/handler"
	"iprodwatch/handler/cloud"
)

const policyUsage = `Usage: iprodwatch policy [-operator] [-log-project P] [-log-store L] [flags]

Prints the least-privilege RAM policy (JSON) for the configured region, account, queues and topics:
by default the function's role, with -operator the operator commands'. Attach it to the role
s.yaml names (vars.roleName), or to the RAM user or role that runs setup, submit, watch, check and
dlq. It allows each action on the named resources only; the MPS actions on every resource, since
MPS authorizes them on no narrower one. Tests hold it to the calls the end-to-end, chaos and demo
runs (the function) and the operator commands' tests make: each call allowed, each grant used.

The function's role needs:
  mts:QueryIProductionJob
  mns:SendMessage                the check queue (re-queues), the dead-letter queue (dead letters,
                                 and FC's asynchronous-failure destination, which sends as the role)
  mns:ReceiveMessage and mns:BatchReceiveMessage (MNS's documents name either for a batch
                                 receive), mns:ChangeMessageVisibility, mns:DeleteMessage
                                 the check queue (pull mode)
  mns:GetQueueAttributes         both queues; mns:GetTopicAttributes: the event topic (sizes)
  mns:PublishMessage             the event topic
  log:PostLogStoreLogs           the log store (s.yaml's logConfig)
The triggers need nothing of it: EventBridge consumes the check queue with its service-linked role,
MNS pushes the intake topic with its own, and MPS sends job notifications with its own.

Flags:
  -operator        the operator commands' policy instead
  -log-project P   the SLS project of the function's logs (default iprodwatch-<account>, s.yaml's)
  -log-store L     its log store (default iprodwatch); -log-project "" leaves the statement out
` + configUsage + `
Exit codes:
  0  printed
  1  configuration missing or invalid
  2  usage error
`

func policyCommand() command {
	c := command{name: "policy", summary: "print the least-privilege RAM policy of the function or the operator", usage: policyUsage}
	c.run = func(ctx context.Context, env Env, args []string) int { return runPolicy(ctx, env, &c, args) }
	return c
}

func runPolicy(_ context.Context, env Env, c *command, args []string) int {
	fs := newFlagSet(c.name)
	operator := fs.Bool("operator", false, "")
	project := fs.String("log-project", "", "")
	store := fs.String("log-store", "iprodwatch", "")
	conf := addConfigFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return usageError(env, c, err)
	}
	cfg, err := handler.LoadConfig(conf.getenv(fs, env))
	if err != nil {
		return fail(env, c, err)
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "log-project" })
	if !given {
		*project = "iprodwatch-" + cfg.AccountID // s.yaml's vars.logProject
	}
	p := cloud.FunctionPolicy(cfg, cloud.LogStore{Project: *project, Store: *store})
	if *operator {
		p = cloud.OperatorPolicy(cfg)
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fail(env, c, err)
	}
	fmt.Fprintf(env.Stdout, "%s\n", b)
	return ExitOK
}
