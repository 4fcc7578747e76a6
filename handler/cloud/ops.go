package cloud

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/mts"
	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"iprodwatch/handler"
)

// Ops are the operator commands' calls beyond the function's ports: submitting a job, and creating,
// reading and peeking the function's queues and topics. Like the adapters they translate and
// classify, and never retry.
type Ops struct {
	cfg  handler.Config
	cred Credentials
	mns  *mnsClient
}

// NewOps returns the operator calls for cfg with cred. It does no I/O.
func NewOps(cfg handler.Config, cred Credentials) (*Ops, error) {
	fillEndpoints.Do(func() { mts.GetEndpointMap() })
	m, err := newMNS(cfg, cred)
	if err != nil {
		return nil, err
	}
	return &Ops{cfg: cfg, cred: cred, mns: m}, nil
}

// Clients are the function's own ports over the same credentials, for the commands that send,
// receive and query as the function does.
func (o *Ops) Clients() *handler.Clients {
	return &handler.Clients{Jobs: newMPS(o.cfg, o.cred, 1), Queues: o.mns, Topics: mnsTopics{o.mns}}
}

// ErrNotExist is a queue or topic that does not exist; it is also an ErrConfig.
var ErrNotExist = errors.New("does not exist")

// QueueAttributes are the attributes of a queue that setup checks, in seconds and bytes. Not its
// message counts: MNS is retiring them (GetQueueAttributes answers 0; CloudMonitor's
// NumberOfMessagesVisible replaces ActiveMessages).
type QueueAttributes struct {
	DelaySeconds, MaxMessageSize, RetentionSeconds, VisibilitySeconds, PollingWaitSeconds int
	LoggingEnabled                                                                        bool
}

// TopicAttributes are the attributes of a topic that setup checks.
type TopicAttributes struct {
	MaxMessageSize int
	LoggingEnabled bool
}

// Queue reads a queue's attributes; a queue that does not exist is ErrNotExist.
func (o *Ops) Queue(ctx context.Context, name string) (QueueAttributes, error) {
	a, err := bounded(ctx, func() (ali_mns.QueueAttribute, error) {
		return ali_mns.NewMNSQueueManager(o.mns.client).GetQueueAttributes(name)
	})
	if err != nil {
		return QueueAttributes{}, notExist(ali_mns.ERR_MNS_QUEUE_NOT_EXIST.IsEqual(err), classifyMNS("GetQueueAttributes", name, err))
	}
	return QueueAttributes{
		DelaySeconds: int(a.DelaySeconds), MaxMessageSize: int(a.MaxMessageSize), RetentionSeconds: int(a.MessageRetentionPeriod),
		VisibilitySeconds: int(a.VisibilityTimeout), PollingWaitSeconds: int(a.PollingWaitSeconds), LoggingEnabled: a.LoggingEnabled,
	}, nil
}

// CreateQueue creates a queue with a's attributes (not its counts). A queue of that name that
// exists already is an error, whatever its attributes: setup reads before it creates.
func (o *Ops) CreateQueue(ctx context.Context, name string, a QueueAttributes) error {
	_, err := bounded(ctx, func() (struct{}, error) {
		return struct{}{}, ali_mns.NewMNSQueueManager(o.mns.client).CreateQueueWithOptions(name, queueOptions(a)...)
	})
	if ali_mns.ERR_MNS_QUEUE_ALREADY_EXIST_AND_HAVE_SAME_ATTR.IsEqual(err) {
		return nil // made meanwhile, by another setup, exactly so
	}
	return classifyMNS("CreateQueue", name, err)
}

// SetQueue sets a queue's attributes to a's.
func (o *Ops) SetQueue(ctx context.Context, name string, a QueueAttributes) error {
	_, err := bounded(ctx, func() (struct{}, error) {
		return struct{}{}, ali_mns.NewMNSQueueManager(o.mns.client).SetQueueAttributesWithOptions(name, queueOptions(a)...)
	})
	return notExist(ali_mns.ERR_MNS_QUEUE_NOT_EXIST.IsEqual(err), classifyMNS("SetQueueAttributes", name, err))
}

func queueOptions(a QueueAttributes) []ali_mns.QueueOption {
	return []ali_mns.QueueOption{
		ali_mns.WithDelaySeconds(int32(a.DelaySeconds)), ali_mns.WithMaxMessageSize(int32(a.MaxMessageSize)),
		ali_mns.WithMessageRetentionPeriod(int32(a.RetentionSeconds)), ali_mns.WithVisibilityTimeout(int32(a.VisibilitySeconds)),
		ali_mns.WithPollingWaitSeconds(int32(a.PollingWaitSeconds)), ali_mns.WithLoggingEnabled(a.LoggingEnabled),
	}
}

// Topic reads a topic's attributes; a topic that does not exist is ErrNotExist.
func (o *Ops) Topic(ctx context.Context, name string) (TopicAttributes, error) {
	a, err := bounded(ctx, func() (ali_mns.TopicAttribute, error) {
		return ali_mns.NewMNSTopicManager(o.mns.client).GetTopicAttributes(name)
	})
	if err != nil {
		return TopicAttributes{}, notExist(ali_mns.ERR_MNS_TOPIC_NOT_EXIST.IsEqual(err), classifyMNS("GetTopicAttributes", name, err))
	}
	return TopicAttributes{MaxMessageSize: int(a.MaxMessageSize), LoggingEnabled: a.LoggingEnabled}, nil
}

// CreateTopic creates a topic with a's attributes.
func (o *Ops) CreateTopic(ctx context.Context, name string, a TopicAttributes) error {
	_, err := bounded(ctx, func() (struct{}, error) {
		return struct{}{}, ali_mns.NewMNSTopicManager(o.mns.client).CreateTopic(name, int32(a.MaxMessageSize), a.LoggingEnabled)
	})
	if ali_mns.ERR_MNS_TOPIC_ALREADY_EXIST_AND_HAVE_SAME_ATTR.IsEqual(err) {
		return nil // made meanwhile, by another setup, exactly so
	}
	return classifyMNS("CreateTopic", name, err)
}

// SetTopic sets a topic's attributes to a's.
func (o *Ops) SetTopic(ctx context.Context, name string, a TopicAttributes) error {
	_, err := bounded(ctx, func() (struct{}, error) {
		return struct{}{}, ali_mns.NewMNSTopicManager(o.mns.client).SetTopicAttributes(name, int32(a.MaxMessageSize), a.LoggingEnabled)
	})
	return notExist(ali_mns.ERR_MNS_TOPIC_NOT_EXIST.IsEqual(err), classifyMNS("SetTopicAttributes", name, err))
}

func notExist(missing bool, err error) error {
	if missing {
		return fmt.Errorf("%w: %w", ErrNotExist, err)
	}
	return err
}

// Peek returns up to n (at most 16, BatchPeekMessage's limit) of the queue's visible messages
// without taking them: they stay visible, their receive counts unchanged, and a peek has no
// receipt. MNS peeks from the head of the queue, so a second peek sees the same messages: what lies
// past the first 16 cannot be seen without receiving.
func (o *Ops) Peek(ctx context.Context, queue string, n int) ([]handler.Received, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q := ali_mns.NewMNSQueue(queue, o.mns.client)
	resps, errs := make(chan ali_mns.BatchMessageReceiveResponse, 1), make(chan error, 1)
	go q.BatchPeekMessage(resps, errs, int32(min(max(n, 1), 16)))
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-resps:
		return receivedOf(r.Messages), nil
	case err := <-errs:
		if ali_mns.ERR_MNS_MESSAGE_NOT_EXIST.IsEqual(err) {
			return nil, nil
		}
		return nil, notExist(ali_mns.ERR_MNS_QUEUE_NOT_EXIST.IsEqual(err), classifyMNS("BatchPeekMessage", queue, err))
	}
}

// Submission is one SubmitIProductionJob request.
type Submission struct {
	FunctionName, Input, Output, JobParams, UserData, PipelineID, NotifyURL, ModelID, ScheduleParams string
}

// Submitted is MPS's answer to a submit.
type Submitted struct {
	JobID     string `json:"jobId"`
	RequestID string `json:"requestId"`
}

// Submit calls SubmitIProductionJob once. Submit is billable and takes no idempotency token, so it
// is never retried here (the SDK's automatic retry stays off), and its error says which of two
// things happened: handler.ErrNotSubmitted (no job exists: the request never left, or MPS refused
// it with an error answer) or handler.ErrSubmitUnknown (the request left and no answer said what
// became of it: a job may exist, and submitting again may make a second).
func (o *Ops) Submit(ctx context.Context, s Submission) (Submitted, error) {
	if err := ctx.Err(); err != nil {
		return Submitted{}, fmt.Errorf("%w: %w", handler.ErrNotSubmitted, err)
	}
	c, err := newMPS(o.cfg, o.cred, 1).new()
	if err != nil {
		return Submitted{}, fmt.Errorf("%w: %w", handler.ErrNotSubmitted, err)
	}
	defer c.Shutdown()
	c.GetConfig().AutoRetry = false
	c.SetReadTimeout(30 * time.Second)
	req := mts.CreateSubmitIProductionJobRequest()
	req.FunctionName, req.Input, req.Output, req.JobParams = s.FunctionName, s.Input, s.Output, s.JobParams
	req.UserData, req.PipelineId, req.NotifyUrl, req.ModelId, req.ScheduleParams = s.UserData, s.PipelineID, s.NotifyURL, s.ModelID, s.ScheduleParams
	resp, err := submitOnce(c, req)
	if err != nil {
		return Submitted{}, submitFate(err)
	}
	if resp.JobId == "" {
		return Submitted{}, fmt.Errorf("%w: MPS answered HTTP %d without a JobId (request %s)", handler.ErrSubmitUnknown, resp.GetHttpStatus(), resp.RequestId)
	}
	return Submitted{JobID: resp.JobId, RequestID: resp.RequestId}, nil
}

// submitOnce calls the SDK with its panic on an unreadable error body contained: a panic there
// comes after the request was sent.
func submitOnce(c *mts.Client, req *mts.SubmitIProductionJobRequest) (resp *mts.SubmitIProductionJobResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, fmt.Errorf("%w: MPS answered something the SDK could not read: %v", handler.ErrTransient, p)
		}
	}()
	return c.SubmitIProductionJob(req)
}

// submitFate classifies a failed submit by whether a job can exist. An error answer from MPS (a
// 4xx with the API's error code) created none; so did a request that never connected (a dial or
// DNS failure, an SDK error before sending). A 5xx may come from a gateway after the job was
// created; so may a 4xx without an error code (a gateway's page: its 408 says nothing of the
// request, as classifyMPS says too); and a timeout or a cut connection after the request left
// says nothing: all are unknown.
func submitFate(err error) error {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) && se.HttpStatus() >= 400 && se.HttpStatus() < 500 && se.HttpStatus() != 408 && se.ErrorCode() != "" {
		return fmt.Errorf("%w: %w", handler.ErrNotSubmitted, classifyMPS(err))
	}
	var op *net.OpError
	var dns *net.DNSError
	if errors.As(err, &dns) || errors.As(err, &op) && op.Op == "dial" {
		return fmt.Errorf("%w: %w", handler.ErrNotSubmitted, classifyMPS(err))
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) && !strings.Contains(ce.ErrorCode(), "Timeout") && ce.ErrorCode() != sdkerrors.JsonUnmarshalErrorCode && ce.OriginError() == nil {
		// The SDK refused to build the request (a missing or invalid parameter): nothing left.
		return fmt.Errorf("%w: %w", handler.ErrNotSubmitted, classifyMPS(err))
	}
	return fmt.Errorf("%w: %w", handler.ErrSubmitUnknown, classifyMPS(err))
}

// Send sends body to queue at once and returns the message's id (the port's Send does not).
func (o *Ops) Send(ctx context.Context, queue string, body []byte) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	resp, err := ali_mns.NewMNSQueue(queue, o.mns.client).SendMessage(ali_mns.MessageSendRequest{MessageBody: string(body), Priority: 8})
	if err != nil {
		return "", classifyMNS("SendMessage", queue, err)
	}
	return resp.MessageId, nil
}
