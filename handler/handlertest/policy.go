package handlertest

import (
	"fmt"
	"strings"

	"iprodwatch/handler"
	"iprodwatch/handler/cloud"
)

// PolicyCheck is what CheckPolicy found: the calls the policy does not allow, and what it allows
// that no call used (each "action on resource", in the policy's order).
type PolicyCheck struct {
	Denied []string
	Unused []string
}

// CheckPolicy holds every call the emulators answered for the function's identity (any key but
// ServiceKeyID's) against p: cfg gives the region and account of the resources' names, and alias
// renames queues and topics of the run to those p names (a test may give a pull-mode instance a
// queue of its own where a deployment has one check queue for both modes). The log store, which no
// emulator sees, is never reported unused.
func (w *World) CheckPolicy(p cloud.Policy, cfg handler.Config, alias map[string]string) PolicyCheck {
	used := map[string]int{}
	var pc PolicyCheck
	denied := map[string]bool{}
	check := func(key string, actions []string, resource string) {
		if key == ServiceKeyID {
			return
		}
		for from, to := range alias {
			for _, kind := range []string{"/queues/", "/topics/"} {
				if r, ok := strings.CutPrefix(resource, mnsPrefix(cfg)+kind+from); ok && (r == "" || r[0] == '/') {
					resource = mnsPrefix(cfg) + kind + to + r
				}
			}
		}
		for _, action := range actions {
			pair := action + " on " + resource
			if _, ok := p.Allows(action, resource); !ok {
				if !denied[pair] {
					denied[pair] = true
					pc.Denied = append(pc.Denied, pair)
				}
				continue
			}
			used[pair]++
		}
	}
	for _, c := range w.MNS.Calls() {
		actions, resource := cloud.MNSActions(cfg, string(c.Op), c.Target)
		check(c.AccessKeyID, actions, resource)
	}
	for _, c := range w.MPS.Calls() {
		action, resource := cloud.MPSAction(c.Action)
		check(c.AccessKeyID, []string{action}, resource)
	}
	for _, s := range p.Statement {
		for _, a := range s.Action {
			for _, r := range s.Resource {
				if pair := a + " on " + r; used[pair] == 0 && !strings.HasPrefix(a, "log:") {
					pc.Unused = append(pc.Unused, pair)
				}
			}
		}
	}
	return pc
}

func mnsPrefix(cfg handler.Config) string {
	return fmt.Sprintf("acs:mns:%s:%s:", cfg.Region, cfg.AccountID)
}
