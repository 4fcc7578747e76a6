package deploy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestARNsParseInTheFormsFC3Uses(t *testing.T) {
	type parsed struct {
		Region, Account, Kind, Name string
		Messages, OK                bool
	}
	tests := []struct {
		name  string
		parse func(string) (mnsARN, bool)
		in    string
		want  parsed
	}{
		{"a topic source", func(s string) (mnsARN, bool) { return parseMNSARN(s, "topics") }, "acs:mns:cn-shanghai:123:/topics/iprod-intake", parsed{"cn-shanghai", "123", "topics", "iprod-intake", false, true}},
		{"a dead-letter queue", func(s string) (mnsARN, bool) { return parseMNSARN(s, "queues") }, "acs:mns:cn-shanghai:123:/queues/dlq", parsed{"cn-shanghai", "123", "queues", "dlq", false, true}},
		{"a queue is not a topic", func(s string) (mnsARN, bool) { return parseMNSARN(s, "topics") }, "acs:mns:cn-shanghai:123:/queues/dlq", parsed{"cn-shanghai", "123", "queues", "dlq", false, false}},
		{"a source never ends in /messages", func(s string) (mnsARN, bool) { return parseMNSARN(s, "queues") }, "acs:mns:cn-shanghai:123:/queues/dlq/messages", parsed{"cn-shanghai", "123", "queues", "dlq", true, false}},
		{"a queue destination", parseDestinationARN, "acs:mns:cn-shanghai:123:/queues/dlq/messages", parsed{"cn-shanghai", "123", "queues", "dlq", true, true}},
		{"a topic destination", parseDestinationARN, "acs:mns:cn-shanghai:123:/topics/t/messages", parsed{"cn-shanghai", "123", "topics", "t", true, true}},
		{"a function destination", parseDestinationARN, "acs:fc:cn-shanghai:123:functions/next", parsed{"cn-shanghai", "123", "functions", "next", false, true}},
		{"a destination needs /messages", parseDestinationARN, "acs:mns:cn-shanghai:123:/queues/dlq", parsed{"cn-shanghai", "123", "queues", "dlq", false, false}},
		{"an account must be digits", parseDestinationARN, "acs:mns:cn-shanghai:acme:/queues/dlq/messages", parsed{}},
		{"a region must look like one", parseDestinationARN, "acs:mns:Shanghai:123:/queues/dlq/messages", parsed{}},
		{"a queue name cannot start with -", parseDestinationARN, "acs:mns:cn-shanghai:123:/queues/-dlq/messages", parsed{"cn-shanghai", "123", "queues", "-dlq", true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := tt.parse(tt.in)
			got := parsed{a.region, a.account, a.kind, a.name, a.messages, ok}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestRoleARNsParse(t *testing.T) {
	tests := []struct {
		in                  string
		wantAccount, wantNm string
		wantOK              bool
	}{
		{"acs:ram::1234567890123456:role/iprodwatch-fc", "1234567890123456", "iprodwatch-fc", true},
		{"iprodwatch-fc", "", "", false},
		{"acs:ram::acme:role/x", "", "", false},
		{"acs:ram::123:user/x", "", "", false},
		{"acs:ram::123:role/", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, n, ok := parseRoleARN(tt.in)
			if diff := cmp.Diff([]any{tt.wantAccount, tt.wantNm, tt.wantOK}, []any{a, n, ok}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
