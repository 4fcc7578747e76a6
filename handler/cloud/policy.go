package cloud

import (
	"slices"
	"strings"

	"iprodwatch/handler"
)

// Policy is a RAM policy document (Version "1"), as RAM reads it
// (help.aliyun.com: MNS and MPS authorization references).
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Policy. Every statement iprodwatch writes allows.
type Statement struct {
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// LogStore is where FC writes the function's logs (s.yaml's logConfig): the role must be allowed to
// post to it. An empty Project leaves the statement out.
type LogStore struct{ Project, Store string }

// FunctionPolicy is the least the function's role needs, on the resources cfg names only:
//   - mts:QueryIProductionJob on every resource: MPS authorizes it on no narrower one (its RAM
//     reference lists "All resources");
//   - mns:SendMessage to the check queue (re-queues) and the dead-letter queue (dead letters, and
//     FC's asynchronous-failure destination, which sends with the role);
//   - mns:ReceiveMessage (and mns:BatchReceiveMessage: see MNSActions), mns:ChangeMessageVisibility
//     and mns:DeleteMessage on the check queue (pull mode);
//   - mns:GetQueueAttributes on both queues and mns:GetTopicAttributes on the event topic (each
//     invocation reads their message sizes, and pull mode the retention);
//   - mns:PublishMessage to the event topic;
//   - log:PostLogStoreLogs on the log store.
//
// The triggers need nothing of it: EventBridge consumes the check queue with its service-linked
// role, and MNS pushes the intake topic with its own.
func FunctionPolicy(cfg handler.Config, logs LogStore) Policy {
	q, t := mnsARN(cfg, "/queues/"), mnsARN(cfg, "/topics/")
	p := Policy{Version: "1", Statement: []Statement{
		allow([]string{"mts:QueryIProductionJob"}, "*"),
		allow([]string{"mns:SendMessage"}, q+cfg.CheckQueue+"/messages", q+cfg.DLQQueue+"/messages"),
		allow([]string{"mns:ReceiveMessage", "mns:BatchReceiveMessage", "mns:ChangeMessageVisibility", "mns:DeleteMessage"}, q+cfg.CheckQueue+"/messages"),
		allow([]string{"mns:GetQueueAttributes"}, q+cfg.CheckQueue, q+cfg.DLQQueue),
		allow([]string{"mns:GetTopicAttributes"}, t+cfg.EventTopic),
		allow([]string{"mns:PublishMessage"}, t+cfg.EventTopic+"/messages"),
	}}
	if logs.Project != "" {
		p.Statement = append(p.Statement, allow([]string{"log:PostLogStoreLogs"},
			"acs:log:"+cfg.Region+":"+cfg.AccountID+":project/"+logs.Project+"/logstore/"+logs.Store))
	}
	return p
}

// OperatorPolicy is the least the operator commands need (a person's or a workflow's RAM user, not
// the function's role): setup creates, reads and sets the queues and topics; submit submits and
// sends the first check; watch sends it; check queries and, with -publish, publishes; dlq peeks,
// takes, deletes and hides dead letters and sends them back.
func OperatorPolicy(cfg handler.Config) Policy {
	q, t := mnsARN(cfg, "/queues/"), mnsARN(cfg, "/topics/")
	topics := []string{t + cfg.EventTopic}
	if cfg.IntakeTopic != "" {
		topics = append(topics, t+cfg.IntakeTopic)
	}
	return Policy{Version: "1", Statement: []Statement{
		allow([]string{"mts:SubmitIProductionJob", "mts:QueryIProductionJob"}, "*"),
		allow([]string{"mns:CreateQueue", "mns:GetQueueAttributes", "mns:SetQueueAttributes"}, q+cfg.CheckQueue, q+cfg.DLQQueue),
		allow([]string{"mns:CreateTopic", "mns:GetTopicAttributes", "mns:SetTopicAttributes"}, topics...),
		allow([]string{"mns:SendMessage"}, q+cfg.CheckQueue+"/messages"),
		allow([]string{"mns:PeekMessage", "mns:BatchPeekMessage", "mns:ReceiveMessage", "mns:BatchReceiveMessage",
			"mns:ChangeMessageVisibility", "mns:DeleteMessage"}, q+cfg.DLQQueue+"/messages"),
		allow([]string{"mns:PublishMessage"}, t+cfg.EventTopic+"/messages"),
	}}
}

func allow(actions []string, resources ...string) Statement {
	return Statement{Effect: "Allow", Action: actions, Resource: resources}
}

// mnsARN is the ARN prefix of MNS resources of cfg's account and region.
func mnsARN(cfg handler.Config, kind string) string {
	return "acs:mns:" + cfg.Region + ":" + cfg.AccountID + ":" + kind
}

// Allows reports the first statement of p that allows action on resource, and whether one does.
// Actions and resources match exactly; a resource "*" matches every resource.
func (p Policy) Allows(action, resource string) (int, bool) {
	for i, s := range p.Statement {
		if s.Effect == "Allow" && slices.Contains(s.Action, action) && (slices.Contains(s.Resource, "*") || slices.Contains(s.Resource, resource)) {
			return i, true
		}
	}
	return -1, false
}

// MNSActions are the RAM actions one MNS request may be authorized by, all of which a policy must
// allow, and its resource: its operation (as MNS names it) and its path. MNS's documents disagree
// on the batch operations: its permission table maps each to the single-message action, while
// the operations' own references (BatchReceiveMessage, BatchPeekMessage, BatchDeleteMessage) name
// actions of their own; a policy that grants both works whichever RAM checks.
func MNSActions(cfg handler.Config, op, path string) (actions []string, resource string) {
	path, _, _ = strings.Cut(path, "?")
	actions = []string{"mns:" + op}
	if single, ok := strings.CutPrefix(op, "Batch"); ok && strings.HasSuffix(op, "Message") {
		actions = []string{"mns:" + single, "mns:" + op}
	}
	return actions, "acs:mns:" + cfg.Region + ":" + cfg.AccountID + ":" + path
}

// MPSAction is the RAM action and resource of one MPS call: MPS authorizes its intelligent-production
// actions on every resource only.
func MPSAction(action string) (string, string) { return "mts:" + action, "*" }
