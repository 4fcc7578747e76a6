package mnstest

import (
	"fmt"
	"sync"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"
	"github.com/valyala/fasthttp"
)

// ClientEndpoint is a cloud-shaped endpoint, "http://<account>.mns.<region>.aliyuncs.com", that
// passes the SDK's five-piece check and gives Subscribe's GenerateQueueEndpoint this server's
// account and region. It is never resolved: install Transport() on the client.
func (s *Server) ClientEndpoint() string {
	return fmt.Sprintf("http://%s.mns.%s.aliyuncs.com", s.cfg.account, s.cfg.region)
}

// Transport returns a fasthttp.RoundTripper for MNSClient.SetTransport (the SDK's only extension
// point in v1.0.11) that sends every request to this server, Host header untouched. Use one per
// client: it copies the SDK's timeouts from the first request it carries.
func (s *Server) Transport() *Transport { return &Transport{Addr: s.Addr()} }

// Transport carries SDK requests to a fixed address. It keeps its own HostClient because the
// SDK's fasthttp.Client drops and rebuilds idle per-host clients every second, which would lose
// a Dial set on them (wire-formats.md 2.1).
type Transport struct {
	Addr string // "127.0.0.1:PORT"

	once sync.Once
	hc   *fasthttp.HostClient
}

// RoundTrip implements fasthttp.RoundTripper. The inner HostClient.Do makes fasthttp's usual
// idempotent retries, so the SDK behaves as it does against the cloud.
func (t *Transport) RoundTrip(outer *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response) (bool, error) {
	t.once.Do(func() {
		t.hc = &fasthttp.HostClient{
			Addr: t.Addr, Name: outer.Name, ReadTimeout: outer.ReadTimeout,
			WriteTimeout: outer.WriteTimeout, MaxConns: outer.MaxConns,
		}
	})
	return false, t.hc.Do(req, resp)
}

// NewSDKClient builds a real aliyun-mns-go-sdk client aimed at this server, signed with the given
// pair (token "" for a permanent pair). timeoutSeconds 0 means the SDK's default 35.
func (s *Server) NewSDKClient(id, secret, token string, timeoutSeconds int64) ali_mns.MNSClient {
	c := ali_mns.NewAliMNSClientWithConfig(ali_mns.AliMNSClientConfig{
		EndPoint: s.ClientEndpoint(), AccessKeyId: id, AccessKeySecret: secret, Token: token,
		TimeoutSecond: timeoutSeconds,
	})
	c.SetTransport(s.Transport())
	return c
}
