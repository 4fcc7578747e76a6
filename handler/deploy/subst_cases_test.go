package deploy

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSubstitutionReplacesVarsAsServerlessDevsDoes(t *testing.T) {
	vars := map[string]any{
		"region":  "cn-shanghai",
		"account": "1234567890123456",
		"queue":   map[string]any{"check": "iprod-check"},
		"alias":   "${vars.region}",
		"project": "iprodwatch-${config('AccountID')}",
		"loop":    "${vars.loop}",
		"empty":   "",
		"number":  8,
		"flag":    true,
	}
	tests := []struct {
		name    string
		in      any
		want    any
		wantErr error
	}{
		{"a whole value is replaced", "${vars.region}", "cn-shanghai", nil},
		{"references inside text are replaced", "acs:mns:${vars.region}:${vars.account}:/queues/x", "acs:mns:cn-shanghai:1234567890123456:/queues/x", nil},
		{"spaces inside the braces are allowed", "${ vars.region }", "cn-shanghai", nil},
		{"a dotted path reads nested vars", "${vars.queue.check}", "iprod-check", nil},
		{"a var holding a reference is expanded once more", "${vars.alias}", "cn-shanghai", nil},
		{"a var that keeps referring to itself is refused", "${vars.loop}", nil, errVarUnsupported},
		{"maps and lists are walked", map[string]any{"a": []any{"${vars.region}", 3}}, map[string]any{"a": []any{"cn-shanghai", 3}}, nil},
		{"text without references is kept", "plain $ text {}", "plain $ text {}", nil},
		{"non-strings are kept", 128, 128, nil},
		{"a missing var is not found", "${vars.nope}", nil, errVarNotFound},
		{"an empty var is not found", "${vars.empty}", nil, errVarNotFound},
		{"a number var is refused", "${vars.number}", nil, errVarNotString},
		{"a boolean var is refused", "x-${vars.flag}", nil, errVarNotString},
		{"a path through a string is not found", "${vars.region.x}", nil, errVarNotFound},
		{"env() is not implemented", "${env('HOME')}", nil, errVarUnsupported},
		{"config('AccountID') is the access's account id", "${config('AccountID')}", testAccountID, nil},
		{"config() reads inside text", "acs:ram::${config('AccountID')}:role/r", "acs:ram::" + testAccountID + ":role/r", nil},
		{"config() takes double quotes and spaces", `${ config( "AccountID" ) }`, testAccountID, nil},
		{"a var holding config() is expanded once more", "${vars.project}", "iprodwatch-" + testAccountID, nil},
		{"config() of a key the access lacks is not found", "${config('Region')}", nil, errVarNotFound},
		{"config() of the AccessKey secret is refused", "${config('AccessKeySecret')}", nil, errConfigSecret},
		{"config() of the AccessKey id is refused", "${config('AccessKeyID')}", nil, errConfigSecret},
		{"config() of the STS token is refused", "${config('SecurityToken')}", nil, errConfigSecret},
		{"config() without quotes (the 2.x form) is not implemented", "${config(AccountID)}", nil, errVarUnsupported},
		{"config() with mismatched quotes is not implemented", `${config('AccountID")}`, nil, errVarUnsupported},
		{"another resource's props are not implemented", "${resources.other.props.region}", nil, errVarUnsupported},
		{"an unterminated reference is refused", "${vars.region", nil, errVarUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := substitute(tt.in, testScope(vars), "x")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
