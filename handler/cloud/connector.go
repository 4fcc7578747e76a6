// Package cloud holds the function's SDK adapters: the handler's Jobs, Queues and Topics over
// alibaba-cloud-sdk-go's services/mts and aliyun-mns-go-sdk, the connector that builds them from
// an invocation's credentials, and the tables that classify each SDK's errors into the handler's
// categories. The adapters translate and classify; they neither retry nor log (the handler does
// both). handler/porttest's contract suites hold them to the handler's ports.
package cloud

import (
	"context"
	"os"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/mts"

	"iprodwatch/handler"
)

// Option configures a Connector.
type Option func(*connector)

// WithCredentials sets where an invocation's credentials come from (default: the FC context, then
// the ALIBABA_CLOUD_* variables of the process).
func WithCredentials(fn func(ctx context.Context) (Credentials, error)) Option {
	return func(c *connector) { c.creds = fn }
}

type connector struct {
	cfg   handler.Config
	creds func(ctx context.Context) (Credentials, error)

	mu     sync.Mutex
	last   Credentials
	cached *handler.Clients
	jobs   *mpsJobs
}

// fillEndpoints guards services/mts's own package-level endpoint map, which the SDK fills on first
// use without a lock: filled once before any client is made, concurrent construction is race-free.
var fillEndpoints sync.Once

// Connector returns the handler.Connector of the real SDK clients.
//
// The clients of the last credentials are kept and reused while the credentials stay the same
// (FC hands out the same STS credentials for an hour or so): a new set per invocation would open
// new connections every time and leave the old ones to idle out, and an instance serving a busy
// queue would run out of file descriptors. Both adapters are safe to share: the MNS client is, and
// MPS clients are taken from a pool one caller at a time.
func Connector(cfg handler.Config, opts ...Option) handler.Connector {
	fillEndpoints.Do(func() { mts.GetEndpointMap() })
	c := &connector{cfg: cfg, creds: func(ctx context.Context) (Credentials, error) { return CredentialsFrom(ctx, os.Getenv) }}
	for _, o := range opts {
		o(c)
	}
	return c.connect
}

func (c *connector) connect(ctx context.Context) (*handler.Clients, error) {
	cred, err := c.creds(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cached != nil && cred == c.last {
		return c.cached, nil
	}
	m, err := newMNS(c.cfg, cred)
	if err != nil {
		return nil, err
	}
	if c.jobs != nil {
		c.jobs.close()
	}
	c.jobs = newMPS(c.cfg, cred, c.cfg.Concurrency)
	c.cached, c.last = &handler.Clients{Jobs: c.jobs, Queues: m, Topics: mnsTopics{m}}, cred
	return c.cached, nil
}
