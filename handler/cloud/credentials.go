package cloud

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"iprodwatch/handler"
)

// Credentials are an AccessKey pair, with the STS token when it is temporary. They are never logged:
// LogValue prints only a masked id.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// LogValue keeps the secret and the token out of every log line.
func (c Credentials) LogValue() slog.Value {
	id := c.AccessKeyID
	if len(id) > 4 {
		id = id[:4] + "***"
	}
	return slog.GroupValue(slog.String("accessKeyId", id), slog.Bool("sts", c.SecurityToken != ""))
}

// String is LogValue for %v.
func (c Credentials) String() string { return c.LogValue().String() }

// CredentialsFrom returns the credentials of the invocation in ctx (the function role's STS
// credentials, which FC refreshes per invocation), else those in the standard ALIBABA_CLOUD_*
// variables.
func CredentialsFrom(ctx context.Context, getenv func(string) string) (Credentials, error) {
	if fc, ok := fccontext.FromContext(ctx); ok && fc.Credentials.AccessKeyId != "" {
		return Credentials{fc.Credentials.AccessKeyId, fc.Credentials.AccessKeySecret, fc.Credentials.SecurityToken}, nil
	}
	c := Credentials{getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"), getenv("ALIBABA_CLOUD_SECURITY_TOKEN")}
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		return Credentials{}, fmt.Errorf("%w: no credentials: the invocation carries none and ALIBABA_CLOUD_ACCESS_KEY_ID or ALIBABA_CLOUD_ACCESS_KEY_SECRET is unset", handler.ErrConfig)
	}
	return c, nil
}
