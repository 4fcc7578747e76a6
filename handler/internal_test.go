package handler

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestRedactTextCutsEveryQueryString(t *testing.T) {
	in := `Post "http://127.0.0.1:1/?AccessKeyId=a&SecurityToken=tok&Signature=sig": dial tcp: refused; again "https://h/?x=1"`
	got := redactText(in)
	for _, s := range []string{"tok", "sig", "AccessKeyId", "x=1"} {
		if strings.Contains(got, s) {
			t.Errorf("redactText left %q in %q", s, got)
		}
	}
	ue := redactURLError(&url.Error{Op: "Post", URL: "http://h/?SecurityToken=tok", Err: fmt.Errorf("boom")})
	if strings.Contains(ue.Error(), "tok") {
		t.Errorf("url.Error kept the token: %v", ue)
	}
}
