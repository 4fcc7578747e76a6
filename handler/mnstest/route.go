package mnstest

import (
	"net/http"
	"net/url"
	"strings"
)

// Op names one MNS operation, for counters, records and fault injection.
type Op string

// The operations the emulator serves.
const (
	OpCreateQueue               Op = "CreateQueue"
	OpSetQueueAttributes        Op = "SetQueueAttributes"
	OpGetQueueAttributes        Op = "GetQueueAttributes"
	OpDeleteQueue               Op = "DeleteQueue"
	OpSendMessage               Op = "SendMessage"
	OpBatchSendMessage          Op = "BatchSendMessage"
	OpReceiveMessage            Op = "ReceiveMessage"
	OpBatchReceiveMessage       Op = "BatchReceiveMessage"
	OpPeekMessage               Op = "PeekMessage"
	OpBatchPeekMessage          Op = "BatchPeekMessage"
	OpDeleteMessage             Op = "DeleteMessage"
	OpBatchDeleteMessage        Op = "BatchDeleteMessage"
	OpChangeMessageVisibility   Op = "ChangeMessageVisibility"
	OpCreateTopic               Op = "CreateTopic"
	OpSetTopicAttributes        Op = "SetTopicAttributes"
	OpGetTopicAttributes        Op = "GetTopicAttributes"
	OpDeleteTopic               Op = "DeleteTopic"
	OpSubscribe                 Op = "Subscribe"
	OpSetSubscriptionAttributes Op = "SetSubscriptionAttributes"
	OpGetSubscriptionAttributes Op = "GetSubscriptionAttributes"
	OpUnsubscribe               Op = "Unsubscribe"
	OpPublishMessage            Op = "PublishMessage"
	// OpUnknown is a request no route matches (answered 400 InvalidRequestURL).
	OpUnknown Op = "Unknown"
	// OpAny in fault injection matches every operation.
	OpAny Op = "*"
)

var handlers = map[Op]func(*Server, *call) (answer, *APIError){
	OpCreateQueue:               (*Server).createQueueOp,
	OpSetQueueAttributes:        (*Server).setQueueAttributesOp,
	OpGetQueueAttributes:        (*Server).getQueueAttributesOp,
	OpDeleteQueue:               (*Server).deleteQueueOp,
	OpSendMessage:               (*Server).sendMessageOp,
	OpBatchSendMessage:          (*Server).batchSendMessageOp,
	OpReceiveMessage:            (*Server).receiveOp,
	OpBatchReceiveMessage:       (*Server).receiveOp,
	OpPeekMessage:               (*Server).receiveOp,
	OpBatchPeekMessage:          (*Server).receiveOp,
	OpDeleteMessage:             (*Server).deleteMessageOp,
	OpBatchDeleteMessage:        (*Server).batchDeleteMessageOp,
	OpChangeMessageVisibility:   (*Server).changeVisibilityOp,
	OpCreateTopic:               (*Server).createTopicOp,
	OpSetTopicAttributes:        (*Server).setTopicAttributesOp,
	OpGetTopicAttributes:        (*Server).getTopicAttributesOp,
	OpDeleteTopic:               (*Server).deleteTopicOp,
	OpSubscribe:                 (*Server).subscribeOp,
	OpSetSubscriptionAttributes: (*Server).setSubscriptionAttributesOp,
	OpGetSubscriptionAttributes: (*Server).getSubscriptionAttributesOp,
	OpUnsubscribe:               (*Server).unsubscribeOp,
	OpPublishMessage:            (*Server).publishOp,
}

// params are a request's query parameters as the service reads them: names in any case (the Go SDK
// writes ReceiptHandle, the API reference receiptHandle), values percent-decoded as a path is, so
// that a raw '+' in a receipt handle stays a '+' rather than becoming a space. The first of a
// repeated name wins.
type params map[string]string

func parseQuery(raw string) params {
	p := params{}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.PathUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.PathUnescape(v); err == nil {
			v = dv
		}
		if k = strings.ToLower(k); !p.has(k) {
			p[k] = v
		}
	}
	return p
}

func (p params) has(name string) bool   { _, ok := p[strings.ToLower(name)]; return ok }
func (p params) get(name string) string { return p[strings.ToLower(name)] }

// route names the operation of a request and fills the resource names of c.
func route(method, path string, q params, body []byte, c *call) Op {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	override := q.get("metaoverride") == "true"
	switch {
	case len(parts) == 2 && parts[0] == "queues":
		c.queue = parts[1]
		switch method {
		case http.MethodPut:
			if override {
				return OpSetQueueAttributes
			}
			return OpCreateQueue
		case http.MethodGet:
			return OpGetQueueAttributes
		case http.MethodDelete:
			return OpDeleteQueue
		}
	case len(parts) == 3 && parts[0] == "queues" && parts[2] == "messages":
		c.queue = parts[1]
		batch := q.has("numOfMessages")
		switch method {
		case http.MethodPost:
			if rootElement(body) == "Messages" {
				return OpBatchSendMessage
			}
			return OpSendMessage
		case http.MethodGet:
			switch {
			case q.get("peekonly") == "true" && batch:
				return OpBatchPeekMessage
			case q.get("peekonly") == "true":
				return OpPeekMessage
			case batch:
				return OpBatchReceiveMessage
			}
			return OpReceiveMessage
		case http.MethodDelete:
			if q.has("ReceiptHandle") {
				return OpDeleteMessage
			}
			return OpBatchDeleteMessage
		case http.MethodPut:
			return OpChangeMessageVisibility
		}
	case len(parts) == 2 && parts[0] == "topics":
		c.topic = parts[1]
		switch method {
		case http.MethodPut:
			if override {
				return OpSetTopicAttributes
			}
			return OpCreateTopic
		case http.MethodGet:
			return OpGetTopicAttributes
		case http.MethodDelete:
			return OpDeleteTopic
		}
	case len(parts) == 3 && parts[0] == "topics" && parts[2] == "messages" && method == http.MethodPost:
		c.topic = parts[1]
		return OpPublishMessage
	case len(parts) == 4 && parts[0] == "topics" && parts[2] == "subscriptions":
		c.topic, c.sub = parts[1], parts[3]
		switch method {
		case http.MethodPut:
			if override {
				return OpSetSubscriptionAttributes
			}
			return OpSubscribe
		case http.MethodGet:
			return OpGetSubscriptionAttributes
		case http.MethodDelete:
			return OpUnsubscribe
		}
	}
	return OpUnknown
}
