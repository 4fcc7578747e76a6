package mnstest

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"iprodwatch/parse"
)

// Notification formats a subscription can ask for.
const (
	FormatXML        = "XML"
	FormatJSON       = "JSON"
	FormatSimplified = "SIMPLIFIED"
)

type topic struct {
	name        string
	maxSize     int64
	logging     bool
	created     time.Time
	modified    time.Time
	subs        map[string]*subscription
	published   []PublishedMessage
	messageSeen int64
}

type subscription struct {
	name     string
	endpoint string
	filter   string
	strategy string
	format   string
	created  time.Time
	modified time.Time
}

// PublishedMessage is one PublishMessage the topic accepted.
type PublishedMessage struct {
	Topic       string
	MessageID   string
	Body        string
	MessageMD5  string // upper-case hex MD5 of Body
	Tag         string
	PublishTime time.Time // injected clock
}

// Subscription describes a subscription, for seeding through the test API.
type Subscription struct {
	Endpoint            string // e.g. "acs:mns:cn-hangzhou:1234567890123456:queues/sink"
	FilterTag           string
	NotifyStrategy      string // BACKOFF_RETRY (default) or EXPONENTIAL_DECAY_RETRY
	NotifyContentFormat string // XML (default), JSON or SIMPLIFIED
}

func validTopicName(name string) *APIError {
	if len(name) > maxTopicNameLen {
		return apiErr(http.StatusBadRequest, "TopicNameLengthError", "The length of topic name should not exceed %d.", maxTopicNameLen)
	}
	if !validName(name) {
		return apiErr(http.StatusBadRequest, "TopicNameInvalid", "The topic name you provided is invalid.")
	}
	return nil
}

func (s *Server) topicLocked(name string) (*topic, *APIError) {
	t, ok := s.topics[name]
	if !ok {
		return nil, ErrTopicNotExist
	}
	return t, nil
}

func parseTopicAttrs(body []byte, size int64, logging bool) (int64, bool, *APIError) {
	var w wireTopic
	if e := decodeXML(body, &w); e != nil {
		return 0, false, e
	}
	size, e := intField("MaximumMessageSize", w.MaximumMessageSize, size)
	if e != nil {
		return 0, false, e
	}
	if size < minMessageSize || size > maxMessageSize {
		return 0, false, errRange("MaximumMessageSize", minMessageSize, maxMessageSize, "bytes")
	}
	logging, e = boolField("LoggingEnabled", w.LoggingEnabled, logging)
	return size, logging, e
}

func (s *Server) createTopicOp(c *call) (answer, *APIError) {
	if e := validTopicName(c.topic); e != nil {
		return answer{}, e
	}
	size, logging, e := parseTopicAttrs(c.body, maxMessageSize, false)
	if e != nil {
		return answer{}, e
	}
	return s.createTopic(c.topic, size, logging)
}

func (s *Server) createTopic(name string, size int64, logging bool) (answer, *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.topics[name]; ok {
		if t.maxSize == size && t.logging == logging {
			return answer{status: http.StatusNoContent}, nil
		}
		return answer{}, ErrTopicAlreadyExist
	}
	now := s.clock.Now()
	s.topics[name] = &topic{name: name, maxSize: size, logging: logging, created: now, modified: now, subs: map[string]*subscription{}}
	return answer{status: http.StatusCreated, location: "/topics/" + name}, nil
}

func (s *Server) setTopicAttributesOp(c *call) (answer, *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.topicLocked(c.topic)
	if e != nil {
		return answer{}, e
	}
	size, logging, e := parseTopicAttrs(c.body, t.maxSize, t.logging)
	if e != nil {
		return answer{}, e
	}
	t.maxSize, t.logging, t.modified = size, logging, s.clock.Now()
	return answer{status: http.StatusNoContent}, nil
}

func (s *Server) getTopicAttributesOp(c *call) (answer, *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.topicLocked(c.topic)
	if e != nil {
		return answer{}, e
	}
	return answer{status: http.StatusOK, body: marshalAnswer(wireTopicAttributes{
		TopicName: t.name, CreateTime: t.created.Unix(), LastModifyTime: t.modified.Unix(),
		MaximumMessageSize: t.maxSize, MessageRetentionPeriod: topicRetentionSec,
		MessageCount: t.messageSeen, LoggingEnabled: titleBool(t.logging),
	})}, nil
}

func (s *Server) deleteTopicOp(c *call) (answer, *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.topics, c.topic)
	return answer{status: http.StatusNoContent}, nil
}

func parseSubscription(body []byte) (Subscription, *APIError) {
	var w wireSubscription
	if e := decodeXML(body, &w); e != nil {
		return Subscription{}, e
	}
	var sub Subscription
	if w.Endpoint != nil {
		sub.Endpoint = strings.TrimSpace(*w.Endpoint)
	}
	if w.FilterTag != nil {
		sub.FilterTag = *w.FilterTag
	}
	if w.NotifyStrategy != nil {
		sub.NotifyStrategy = *w.NotifyStrategy
	}
	if w.NotifyContentFormat != nil {
		sub.NotifyContentFormat = *w.NotifyContentFormat
	}
	return sub, nil
}

// normalize applies defaults and the documented checks to a subscription.
func (sub Subscription) normalize() (Subscription, *APIError) {
	if sub.Endpoint == "" {
		return sub, apiErr(http.StatusBadRequest, "EndpointInvalid", "The Endpoint is missing.")
	}
	if !strings.HasPrefix(sub.Endpoint, "acs:mns:") && !strings.HasPrefix(sub.Endpoint, "http://") &&
		!strings.HasPrefix(sub.Endpoint, "https://") && !strings.HasPrefix(sub.Endpoint, "mail:") {
		return sub, apiErr(http.StatusBadRequest, "EndpointInvalid", "The Endpoint %q is invalid.", sub.Endpoint)
	}
	if utf8.RuneCountInString(sub.FilterTag) > maxFilterTagLen { // characters, not bytes
		return sub, errRange("the length of FilterTag", 0, maxFilterTagLen, "")
	}
	switch sub.NotifyStrategy {
	case "":
		sub.NotifyStrategy = "BACKOFF_RETRY"
	case "BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY":
	default:
		return sub, errInvalidArgument("The NotifyStrategy %q is invalid", sub.NotifyStrategy)
	}
	switch sub.NotifyContentFormat {
	case "":
		sub.NotifyContentFormat = FormatXML
	case FormatXML, FormatJSON, FormatSimplified:
	default:
		return sub, errInvalidArgument("The NotifyContentFormat %q is invalid", sub.NotifyContentFormat)
	}
	return sub, nil
}

func (s *Server) subscribeOp(c *call) (answer, *APIError) {
	sub, e := parseSubscription(c.body)
	if e != nil {
		return answer{}, e
	}
	return s.subscribe(c.topic, c.sub, sub)
}

func (s *Server) subscribe(topicName, name string, sub Subscription) (answer, *APIError) {
	if len(name) > maxTopicNameLen {
		return answer{}, apiErr(http.StatusBadRequest, "SubscriptionNameLengthError", "The length of subscription name should not exceed %d.", maxTopicNameLen)
	}
	if !validName(name) {
		return answer{}, apiErr(http.StatusBadRequest, "SubsriptionNameInvalid", "The subscription name you provided is invalid.")
	}
	sub, e := sub.normalize()
	if e != nil {
		return answer{}, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.topicLocked(topicName)
	if e != nil {
		return answer{}, e
	}
	if old, ok := t.subs[name]; ok {
		if old.endpoint == sub.Endpoint && old.filter == sub.FilterTag && old.strategy == sub.NotifyStrategy && old.format == sub.NotifyContentFormat {
			return answer{status: http.StatusNoContent}, nil
		}
		return answer{}, ErrSubscriptionExist
	}
	now := s.clock.Now()
	t.subs[name] = &subscription{name: name, endpoint: sub.Endpoint, filter: sub.FilterTag,
		strategy: sub.NotifyStrategy, format: sub.NotifyContentFormat, created: now, modified: now}
	return answer{status: http.StatusCreated, location: "/topics/" + t.name + "/subscriptions/" + name}, nil
}

func (s *Server) subscriptionLocked(c *call) (*topic, *subscription, *APIError) {
	t, e := s.topicLocked(c.topic)
	if e != nil {
		return nil, nil, e
	}
	sub, ok := t.subs[c.sub]
	if !ok {
		return nil, nil, ErrSubscriptionMissing
	}
	return t, sub, nil
}

func (s *Server) setSubscriptionAttributesOp(c *call) (answer, *APIError) {
	in, e := parseSubscription(c.body)
	if e != nil {
		return answer{}, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, sub, e := s.subscriptionLocked(c)
	if e != nil {
		return answer{}, e
	}
	switch in.NotifyStrategy {
	case "":
	case "BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY":
		sub.strategy = in.NotifyStrategy
	default:
		return answer{}, errInvalidArgument("The NotifyStrategy %q is invalid", in.NotifyStrategy)
	}
	sub.modified = s.clock.Now()
	return answer{status: http.StatusNoContent}, nil
}

func (s *Server) getSubscriptionAttributesOp(c *call) (answer, *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, sub, e := s.subscriptionLocked(c)
	if e != nil {
		return answer{}, e
	}
	return answer{status: http.StatusOK, body: marshalAnswer(wireSubscriptionAttributes{
		SubscriptionName: sub.name, Subscriber: s.cfg.account, TopicOwner: s.cfg.account, TopicName: t.name,
		Endpoint: sub.endpoint, NotifyStrategy: sub.strategy, NotifyContentFormat: sub.format,
		FilterTag: sub.filter, CreateTime: sub.created.Unix(), LastModifyTime: sub.modified.Unix(),
	})}, nil
}

func (s *Server) unsubscribeOp(c *call) (answer, *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.topicLocked(c.topic)
	if e != nil {
		return answer{}, e
	}
	delete(t.subs, c.sub)
	return answer{status: http.StatusNoContent}, nil
}

func (s *Server) publishOp(c *call) (answer, *APIError) {
	var w wirePublish
	if e := decodeXML(c.body, &w); e != nil {
		return answer{}, e
	}
	if w.MessageBody == nil {
		return answer{}, errInvalidArgument("The MessageBody is missing")
	}
	tag := ""
	if w.MessageTag != nil {
		tag = *w.MessageTag
	}
	pm, e := s.publish(c.topic, *w.MessageBody, tag)
	if e != nil {
		return answer{}, e
	}
	return answer{status: http.StatusCreated, body: marshalAnswer(wireSendResult{MessageID: pm.MessageID, MessageBodyMD5: pm.MessageMD5})}, nil
}

// publish records the message, queues a push to every matching queue subscription in the format
// that subscription asks for (push.go), then runs the OnPublish hooks (outside the lock).
func (s *Server) publish(topicName, body, tag string) (PublishedMessage, *APIError) {
	s.mu.Lock()
	t, e := s.topicLocked(topicName)
	if e != nil {
		s.mu.Unlock()
		return PublishedMessage{}, e
	}
	if n := int64(len(body)); n < 1 || n > t.maxSize {
		s.mu.Unlock()
		return PublishedMessage{}, errRange("MessageBody length", 1, t.maxSize, "bytes")
	}
	if utf8.RuneCountInString(tag) > maxMessageTagLen { // characters, not bytes
		s.mu.Unlock()
		return PublishedMessage{}, errRange("the length of MessageTag", 0, maxMessageTagLen, "")
	}
	now := s.clock.Now()
	id, _ := s.newMessageIDLocked()
	pm := PublishedMessage{Topic: topicName, MessageID: id, Body: body, MessageMD5: bodyMD5(body), Tag: tag, PublishTime: now}
	t.published = append(t.published, pm)
	t.messageSeen++
	for _, sub := range t.subs {
		if sub.filter != "" && sub.filter != tag {
			continue
		}
		qname, ok := queueFromEndpoint(sub.endpoint)
		if !ok {
			continue // http and mail endpoints are accepted but not delivered
		}
		// Pushed after the answer, retried per NotifyStrategy (push.go).
		s.pushes = append(s.pushes, &push{topic: topicName, subscription: sub.name, queue: qname,
			body: s.notification(t, sub, pm), strategy: sub.strategy, due: now.Add(s.cfg.pushLatency)})
	}
	var hooks []func(PublishedMessage)
	for _, h := range s.hooks[topicName] {
		hooks = append(hooks, h)
	}
	s.mu.Unlock()
	for _, h := range hooks {
		h(pm)
	}
	return pm, nil
}

// queueFromEndpoint reads the queue name of "acs:mns:<region>:<account>:queues/<name>". Region
// and account are not checked: the SDK's 127.0.0.1 endpoint form yields "0" and "127".
func queueFromEndpoint(ep string) (string, bool) {
	if !strings.HasPrefix(ep, "acs:mns:") {
		return "", false
	}
	i := strings.LastIndex(ep, ":queues/")
	if i < 0 {
		return "", false
	}
	name := ep[i+len(":queues/"):]
	return name, name != ""
}

type jsonNotification struct {
	TopicOwner       string `json:"TopicOwner"`
	TopicName        string `json:"TopicName"`
	Subscriber       string `json:"Subscriber"`
	SubscriptionName string `json:"SubscriptionName"`
	MessageID        string `json:"MessageId"`
	Message          string `json:"Message"`
	MessageMD5       string `json:"MessageMD5"`
	MessageTag       string `json:"MessageTag,omitempty"`
	PublishTime      string `json:"PublishTime"`
}

type xmlNotification struct {
	XMLName          xml.Name `xml:"http://mns.aliyuncs.com/doc/v1/ Notification"`
	TopicOwner       string   `xml:"TopicOwner"`
	TopicName        string   `xml:"TopicName"`
	Subscriber       string   `xml:"Subscriber"`
	SubscriptionName string   `xml:"SubscriptionName"`
	MessageID        string   `xml:"MessageId"`
	Message          string   `xml:"Message"`
	MessageMD5       string   `xml:"MessageMD5"`
	MessageTag       string   `xml:"MessageTag,omitempty"`
	PublishTime      int64    `xml:"PublishTime"`
}

// notification renders the queue message body a subscription receives (wire-formats.md 2.7).
func (s *Server) notification(t *topic, sub *subscription, pm PublishedMessage) string {
	switch sub.format {
	case FormatSimplified:
		return pm.Body
	case FormatJSON:
		// The cloud does not write <, > and & as \u003c... (parse.Marshal does not either).
		b, err := parse.Marshal(jsonNotification{
			TopicOwner: s.cfg.account, TopicName: t.name, Subscriber: s.cfg.account, SubscriptionName: sub.name,
			MessageID: pm.MessageID, Message: pm.Body, MessageMD5: pm.MessageMD5, MessageTag: pm.Tag,
			PublishTime: strconv.FormatInt(epochMillis(pm.PublishTime), 10),
		})
		if err != nil {
			panic("mnstest: marshal notification: " + err.Error())
		}
		return string(b)
	}
	return string(marshalAnswer(xmlNotification{
		TopicOwner: s.cfg.account, TopicName: t.name, Subscriber: s.cfg.account, SubscriptionName: sub.name,
		MessageID: pm.MessageID, Message: pm.Body, MessageMD5: pm.MessageMD5, MessageTag: pm.Tag,
		PublishTime: epochMillis(pm.PublishTime),
	}))
}
