package cloud

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/mts"

	"iprodwatch/handler"
)

// mpsJobs is the MPS adapter: QueryIProductionJob through services/mts, the raw body handed back
// for parse (the SDK's struct turns a null UserData into "" and cannot hold a Result object).
// An *mts.Client is not safe for concurrent use, so each concurrent caller takes its own client
// from a small pool.
type mpsJobs struct {
	pool chan *mts.Client
	new  func() (*mts.Client, error)

	mu     sync.Mutex // closed, and sends to pool against close
	closed bool
}

// newMPS returns the adapter for one invocation; clients are made on demand (no I/O), at most size
// at once.
func newMPS(cfg handler.Config, cred Credentials, size int) *mpsJobs {
	return &mpsJobs{
		pool: make(chan *mts.Client, size),
		new: func() (*mts.Client, error) {
			var c *mts.Client
			var err error
			if cred.SecurityToken != "" {
				c, err = mts.NewClientWithStsToken(cfg.Region, cred.AccessKeyID, cred.AccessKeySecret, cred.SecurityToken)
			} else {
				c, err = mts.NewClientWithAccessKey(cfg.Region, cred.AccessKeyID, cred.AccessKeySecret)
			}
			if err != nil {
				return nil, fmt.Errorf("%w: MPS client: %w", handler.ErrConfig, err)
			}
			c.Domain = cfg.MPSEndpoint.Host
			c.GetConfig().Scheme = strings.ToUpper(cfg.MPSEndpoint.Scheme)
			// Set on the client, not per request: a per-request timeout leaks into later calls.
			c.SetConnectTimeout(5 * time.Second)
			c.SetReadTimeout(10 * time.Second)
			return c, nil
		},
	}
}

// close shuts the pooled clients' idle connections down; clients still in use finish their call
// and are shut down when they come back.
func (m *mpsJobs) close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	for {
		select {
		case c := <-m.pool:
			c.Shutdown()
		default:
			return
		}
	}
}

func (m *mpsJobs) get() (*mts.Client, error) {
	select {
	case c := <-m.pool:
		return c, nil
	default:
		return m.new()
	}
}

// put returns a client to the pool, or shuts it down when the pool is closed or full: a client
// dropped without Shutdown keeps its idle connections open.
func (m *mpsJobs) put(c *mts.Client) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		select {
		case m.pool <- c:
			return
		default:
		}
	}
	c.Shutdown()
}

// QueryJob implements Jobs. The SDK takes no context; a call is bounded by the client's timeouts.
func (m *mpsJobs) QueryJob(ctx context.Context, jobID string) (body []byte, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := m.get()
	if err != nil {
		return nil, err
	}
	defer func() {
		// The SDK panics on an error body with a non-string Code; a panic must not escape.
		if p := recover(); p != nil {
			body, err = nil, fmt.Errorf("%w: MPS answered an error the SDK could not read: %v", handler.ErrTransient, p)
			return
		}
		m.put(c)
	}()
	req := mts.CreateQueryIProductionJobRequest()
	req.JobId = jobID
	resp, err := c.QueryIProductionJob(req)
	if err != nil {
		// A 200 whose Result is an object fails the SDK's typed decode; the raw body is what we want.
		var ce *sdkerrors.ClientError
		if errors.As(err, &ce) && ce.ErrorCode() == sdkerrors.JsonUnmarshalErrorCode && resp != nil && resp.GetHttpStatus() == 200 {
			return resp.GetHttpContentBytes(), nil
		}
		return nil, classifyMPS(err)
	}
	return resp.GetHttpContentBytes(), nil
}

// mpsCodes classifies MPS error codes by name. Beyond them, Throttling* is handler.ErrThrottled, any other
// 5xx is transient and any other 4xx is a configuration fault (the request itself is wrong).
var mpsCodes = map[string]error{
	"InvalidAccessKeyId.NotFound":                handler.ErrConfig,
	"InvalidAccessKeyId.Inactive":                handler.ErrConfig,
	"SignatureDoesNotMatch":                      handler.ErrConfig,
	"IncompleteSignature":                        handler.ErrConfig,
	"InvalidSecurityToken.Expired":               handler.ErrConfig,
	"InvalidSecurityToken.Malformed":             handler.ErrConfig,
	"InvalidSecurityToken.MismatchWithAccessKey": handler.ErrConfig,
	"Forbidden.RAM":                              handler.ErrConfig,
	"Forbidden":                                  handler.ErrConfig,
	"InvalidIdentity.ServiceDisabled":            handler.ErrConfig,
	"InvalidAction.NotFound":                     handler.ErrConfig,
	"MissingParameter":                           handler.ErrConfig,
	"InvalidParameter.JobNotFound":               handler.ErrNoSuchJob,
	"InvalidParameter.ResourceNotFound":          handler.ErrNoSuchJob,
	"InvalidTimeStamp.Expired":                   handler.ErrTransient, // this machine's clock; the next try re-signs
	"SignatureNonceUsed":                         handler.ErrTransient,
}

// authCode reports the families of Alibaba Cloud's authentication and authorization codes beyond
// the table (the POP gateway answers some of them with a 400): the configuration, not the job.
func authCode(code string) bool {
	for _, p := range []string{"Forbidden", "InvalidAccessKeyId", "InvalidSecurityToken", "MissingSecurityToken", "NoPermission",
		"SignatureDoesNotMatch", "IncompleteSignature", "InvalidVersion", "InvalidRegionId", "UnsupportedSignatureType"} {
		if strings.HasPrefix(code, p) {
			return true
		}
	}
	return false
}

// classifyMPS maps an SDK error to a category. Transport errors carry the signed URL, SecurityToken
// and Signature included, in their text: the copy returned keeps only the URL's path.
func classifyMPS(err error) error {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		msg := fmt.Sprintf("MPS %d %s: %s (RequestId %s)", se.HttpStatus(), se.ErrorCode(), redactMessage(se.Message()), se.RequestId())
		if se.ErrorCode() == "" {
			// Not an API error (a gateway's HTML page, which the SDK hands over whole as the
			// message): say so, and quote only its start into the reason and the log. A gateway's
			// 429 is the quota; its 408 and 5xx say nothing about the request; any other status is
			// read as the request's fault, as an API answer would be (a wrong endpoint's 404).
			msg = fmt.Sprintf("MPS %d without an API error body: %.80q", se.HttpStatus(), se.Message())
			switch st := se.HttpStatus(); {
			case st == 429:
				return classify(handler.ErrThrottled, msg, se)
			case st == 408 || st >= 500:
				return classify(handler.ErrGarbled, msg, se)
			default:
				return classify(handler.ErrConfig, "MPS refused the request: "+msg, se)
			}
		}
		if cat, ok := mpsCodes[se.ErrorCode()]; ok {
			return classify(cat, msg, se)
		}
		if authCode(se.ErrorCode()) {
			return classify(handler.ErrConfig, "MPS refused the request: "+msg, se)
		}
		if strings.HasPrefix(se.ErrorCode(), "Throttling") {
			return classify(handler.ErrThrottled, msg, se)
		}
		if strings.HasPrefix(se.ErrorCode(), "InvalidParameter") || strings.HasSuffix(se.ErrorCode(), "NotFound") {
			// About this request's job, not the configuration: dead-letter it, do not stop the batch.
			return classify(handler.ErrNoSuchJob, msg, se)
		}
		if se.HttpStatus() >= 500 {
			return classify(handler.ErrTransient, msg, se)
		}
		// An API code this build does not know. Only authentication and authorization (the
		// table above, or a 401 or 403) are configuration faults; failing the batch on any
		// other code would have the trigger redeliver every neighbour for a day.
		if st := se.HttpStatus(); st == 401 || st == 403 {
			return classify(handler.ErrConfig, "MPS refused the request: "+msg, se)
		}
		return classify(handler.ErrUnknownCode, msg, se)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%w: MPS: %w", handler.ErrTransient, redactURLError(ue))
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) {
		if orig, ok := ce.OriginError().(*url.Error); ok {
			return classify(handler.ErrTransient, fmt.Sprintf("MPS %s: %v", ce.ErrorCode(), redactURLError(orig)), ce)
		}
		return classify(handler.ErrTransient, "MPS client error "+ce.ErrorCode(), ce)
	}
	return classify(handler.ErrTransient, "MPS: "+redactText(err.Error()), err)
}

// redactMessage cuts the string to sign out of a SignatureDoesNotMatch message: it holds every
// request parameter, the STS token among them.
func redactMessage(m string) string {
	if i := strings.Index(m, "string to sign is:"); i >= 0 {
		return m[:i] + "string to sign is: [redacted]"
	}
	return m
}

// redactURLError returns a copy of e whose URL has no query string (where the SDK puts the
// signature and the STS token).
func redactURLError(e *url.Error) *url.Error {
	c := *e
	c.URL = redactText(e.URL)
	return &c
}

// redactText cuts every query string out of a text that may hold signed URLs.
func redactText(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '?')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString("?[query redacted]")
		s = s[i+1:]
		end := strings.IndexAny(s, " \"'\n")
		if end < 0 {
			return b.String()
		}
		s = s[end:]
	}
}
