package deploy

import (
	"strings"
)

// mnsARN is an Alibaba Cloud resource name of an MNS queue or topic (or, as an async destination,
// an FC function).
type mnsARN struct {
	service, region, account string
	kind                     string // queues, topics or functions
	name                     string
	messages                 bool // ends in /messages: the form async destinations use
}

// parseMNSARN reads acs:mns:REGION:ACCOUNT:/KIND/NAME, the form of trigger sources and
// EventBridge dead-letter queues.
func parseMNSARN(s, kind string) (mnsARN, bool) {
	a, ok := parseARN(s)
	return a, ok && a.service == "mns" && a.kind == kind && !a.messages
}

// parseDestinationARN reads an async destination: acs:mns:REGION:ACCOUNT:/queues/Q/messages,
// acs:mns:REGION:ACCOUNT:/topics/T/messages or acs:fc:REGION:ACCOUNT:functions/F.
func parseDestinationARN(s string) (mnsARN, bool) {
	a, ok := parseARN(s)
	if !ok {
		return a, false
	}
	switch a.service {
	case "mns":
		return a, a.messages && (a.kind == "queues" || a.kind == "topics")
	case "fc":
		return a, !a.messages && a.kind == "functions"
	}
	return a, false
}

func parseARN(s string) (mnsARN, bool) {
	parts := strings.SplitN(s, ":", 5)
	if len(parts) != 5 || parts[0] != "acs" || !isRegionID(parts[2]) || !isAccountID(parts[3]) {
		return mnsARN{}, false
	}
	a := mnsARN{service: parts[1], region: parts[2], account: parts[3]}
	res := parts[4]
	if a.service == "mns" {
		var ok bool
		if res, ok = strings.CutPrefix(res, "/"); !ok {
			return a, false
		}
	}
	segs := strings.Split(res, "/")
	if len(segs) == 3 && segs[2] == "messages" {
		a.messages, segs = true, segs[:2]
	}
	if len(segs) != 2 {
		return a, false
	}
	a.kind, a.name = segs[0], segs[1]
	switch a.kind {
	case "queues", "topics":
		return a, isMNSName(a.name)
	case "functions":
		return a, isResourceName(a.name, 64)
	}
	return a, false
}

// parseRoleARN reads acs:ram::ACCOUNT:role/NAME.
func parseRoleARN(s string) (account, name string, ok bool) {
	rest, ok := strings.CutPrefix(s, "acs:ram::")
	if !ok {
		return "", "", false
	}
	account, name, ok = strings.Cut(rest, ":role/")
	if !ok || !isAccountID(account) || name == "" || strings.ContainsAny(name, ":/ ") {
		return "", "", false
	}
	return account, name, true
}

// isRegionID reports lower-case words joined by single dashes, such as cn-shanghai.
func isRegionID(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.ContainsFunc(p, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }) {
			return false
		}
	}
	return true
}

func isAccountID(s string) bool {
	return s != "" && len(s) <= 32 && !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}

// isMNSName reports a queue or topic name: a letter or digit, then letters, digits and -, at
// most 256 characters.
func isMNSName(s string) bool {
	return s != "" && len(s) <= 256 && s[0] != '-' &&
		!strings.ContainsFunc(s, func(r rune) bool { return !(r == '-' || isAlnum(r)) })
}

// isResourceName reports an FC function or trigger name: letters, digits, _ and -, not starting
// with a digit or -, at most max characters.
func isResourceName(s string, max int) bool {
	return s != "" && len(s) <= max && !(s[0] == '-' || '0' <= s[0] && s[0] <= '9') &&
		!strings.ContainsFunc(s, func(r rune) bool { return !(r == '-' || r == '_' || isAlnum(r)) })
}

func isAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}
