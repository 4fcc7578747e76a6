package cloud

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"iprodwatch/handler"
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

func TestAClassifiedErrorKeepsItsCategoryAndTheSDKsError(t *testing.T) {
	tests := []struct {
		body   string
		status int
		cat    error
	}{
		{`{"Code":"Throttling.User","Message":"slow down","RequestId":"r1"}`, 400, handler.ErrThrottled},
		{`{"Code":"ServiceUnavailable","Message":"later","RequestId":"r2"}`, 503, handler.ErrTransient},
		{`{"Code":"Forbidden.RAM","Message":"no","RequestId":"r3"}`, 403, handler.ErrConfig},
		{`{"Code":"InvalidParameter.JobNotFound","Message":"none","RequestId":"r4"}`, 404, handler.ErrNoSuchJob},
		{`<html>Bad Gateway</html>`, 502, handler.ErrTransient},
		// A code this build does not know: this request's problem, retried a bounded number of
		// times, never a reason to fail the batch; unless its status says authorization.
		{`{"Code":"Some.NewCode","Message":"new","RequestId":"r5"}`, 400, handler.ErrUnknownCode},
		{`{"Code":"Some.NewAuthCode","Message":"new","RequestId":"r6"}`, 403, handler.ErrConfig},
		{`<html>Forbidden</html>`, 403, handler.ErrConfig},
		// Authentication families the gateway answers with a 400 (found by the fifth review).
		{`{"Code":"MissingSecurityToken","Message":"m","RequestId":"r7"}`, 400, handler.ErrConfig},
		{`{"Code":"InvalidVersion","Message":"m","RequestId":"r8"}`, 400, handler.ErrConfig},
	}
	for _, tt := range tests {
		err := classifyMPS(sdkerrors.NewServerError(tt.status, tt.body, ""))
		var se *sdkerrors.ServerError
		if !errors.Is(err, tt.cat) || !errors.As(err, &se) || se.HttpStatus() != tt.status {
			t.Errorf("classifyMPS(%d %s) = %v: want %v and the SDK's *ServerError reachable", tt.status, tt.body, err, tt.cat)
		}
	}
	ce := sdkerrors.NewClientError("SDK.TimeoutError", "read timeout", &url.Error{Op: "Get", URL: "http://h/?Signature=s", Err: errors.New("i/o timeout")})
	err := classifyMPS(ce)
	var got *sdkerrors.ClientError
	if !errors.Is(err, handler.ErrTransient) || !errors.As(err, &got) || strings.Contains(err.Error(), "Signature=s") {
		t.Errorf("classifyMPS(client error) = %v: want transient, the *ClientError reachable, no signature in the text", err)
	}
}

// A client that comes back to a closed pool (a query in flight when the credentials rotated) is
// shut down, not pooled where nothing will ever shut it down.
func TestAClientBackInAClosedPoolIsNotPooled(t *testing.T) {
	cfg := handler.Config{Region: "cn-shanghai", MPSEndpoint: &url.URL{Scheme: "http", Host: "127.0.0.1:1"}}
	m := newMPS(cfg, Credentials{AccessKeyID: "id", AccessKeySecret: "secret"}, 2)
	c, err := m.get()
	if err != nil {
		t.Fatal(err)
	}
	m.close()
	m.put(c)
	if n := len(m.pool); n != 0 {
		t.Errorf("%d client(s) back in a closed pool", n)
	}
}
