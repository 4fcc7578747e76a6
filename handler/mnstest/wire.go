package mnstest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
)

// xmlns is the namespace the cloud puts on every answer; requests may carry it or not.
const xmlns = "http://mns.aliyuncs.com/doc/v1/"

// Request bodies. Numbers are decoded as text so a bad number is an InvalidArgument, not a
// MalformedXML, and an absent element is told apart from a zero.

type wireSend struct {
	XMLName      xml.Name `xml:"Message"`
	MessageBody  *string  `xml:"MessageBody"`
	DelaySeconds *string  `xml:"DelaySeconds"`
	Priority     *string  `xml:"Priority"`
}

type wireBatchSend struct {
	XMLName  xml.Name   `xml:"Messages"`
	Messages []wireSend `xml:"Message"`
}

type wireHandles struct {
	XMLName xml.Name `xml:"ReceiptHandles"`
	Handles []string `xml:"ReceiptHandle"`
}

type wireQueue struct {
	XMLName                xml.Name `xml:"Queue"`
	DelaySeconds           *string  `xml:"DelaySeconds"`
	MaximumMessageSize     *string  `xml:"MaximumMessageSize"`
	MessageRetentionPeriod *string  `xml:"MessageRetentionPeriod"`
	VisibilityTimeout      *string  `xml:"VisibilityTimeout"`
	PollingWaitSeconds     *string  `xml:"PollingWaitSeconds"`
	LoggingEnabled         *string  `xml:"LoggingEnabled"`
}

type wireTopic struct {
	XMLName            xml.Name `xml:"Topic"`
	MaximumMessageSize *string  `xml:"MaximumMessageSize"`
	LoggingEnabled     *string  `xml:"LoggingEnabled"`
}

type wireSubscription struct {
	XMLName             xml.Name `xml:"Subscription"`
	Endpoint            *string  `xml:"Endpoint"`
	FilterTag           *string  `xml:"FilterTag"`
	NotifyStrategy      *string  `xml:"NotifyStrategy"`
	NotifyContentFormat *string  `xml:"NotifyContentFormat"`
}

type wirePublish struct {
	XMLName     xml.Name `xml:"Message"`
	MessageBody *string  `xml:"MessageBody"`
	MessageTag  *string  `xml:"MessageTag"`
}

// rootElement names the first element of body, so one POST path can serve SendMessage and
// BatchSendMessage. It returns "" when there is none.
func rootElement(body []byte) string {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local
		}
	}
}

// decodeXML decodes body into v. Any failure, syntax or wrong root, is MalformedXML: the
// emulator never answers a bad body with anything but an error body.
func decodeXML(body []byte, v any) *APIError {
	d := xml.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errMalformedXML(errors.New("empty body"))
		}
		return errMalformedXML(err)
	}
	// Trailing garbage after the root is not well-formed either.
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errMalformedXML(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errMalformedXML(errors.New("text after the root element"))
			}
		case xml.Comment, xml.ProcInst:
		default:
			return errMalformedXML(errors.New("content after the root element"))
		}
	}
}

// intField parses an optional integer element; def is used when it is absent.
func intField(name string, v *string, def int64) (int64, *APIError) {
	if v == nil {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(*v), 10, 64)
	if err != nil {
		return 0, errInvalidArgument("The value of %s is not a valid integer", name)
	}
	return n, nil
}

// boolField parses an optional boolean element the way the service does (True/true/False/false).
func boolField(name string, v *string, def bool) (bool, *APIError) {
	if v == nil {
		return def, nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(*v))
	if err != nil {
		return false, errInvalidArgument("The value of %s is not a valid boolean", name)
	}
	return b, nil
}

// Answer bodies, each with the cloud's namespace.

type wireError struct {
	XMLName   xml.Name `xml:"http://mns.aliyuncs.com/doc/v1/ Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

type wireSendResult struct {
	XMLName        xml.Name `xml:"http://mns.aliyuncs.com/doc/v1/ Message"`
	ErrorCode      string   `xml:"ErrorCode,omitempty"`
	ErrorMessage   string   `xml:"ErrorMessage,omitempty"`
	MessageID      string   `xml:"MessageId,omitempty"`
	MessageBodyMD5 string   `xml:"MessageBodyMD5,omitempty"`
}

type wireSendResults struct {
	XMLName  xml.Name         `xml:"http://mns.aliyuncs.com/doc/v1/ Messages"`
	Messages []wireSendResult `xml:"Message"`
}

type wireReceived struct {
	XMLName          xml.Name `xml:"http://mns.aliyuncs.com/doc/v1/ Message"`
	MessageID        string   `xml:"MessageId"`
	ReceiptHandle    string   `xml:"ReceiptHandle,omitempty"`
	MessageBodyMD5   string   `xml:"MessageBodyMD5"`
	MessageBody      string   `xml:"MessageBody"`
	EnqueueTime      int64    `xml:"EnqueueTime"`
	NextVisibleTime  int64    `xml:"NextVisibleTime"`
	FirstDequeueTime int64    `xml:"FirstDequeueTime"`
	DequeueCount     int64    `xml:"DequeueCount"`
	Priority         int64    `xml:"Priority"`
}

type wireReceivedList struct {
	XMLName  xml.Name       `xml:"http://mns.aliyuncs.com/doc/v1/ Messages"`
	Messages []wireReceived `xml:"Message"`
}

// MarshalXML puts the namespace on the root only, as the service does: encoding/xml would repeat
// it on every nested Message, which clients mapping XML attributes trip over.
func (l wireReceivedList) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return marshalList(e, l.Messages)
}

// MarshalXML: see wireReceivedList.
func (l wireSendResults) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return marshalList(e, l.Messages)
}

// marshalList writes <Messages xmlns=...> with each item as a plain <Message>.
func marshalList[T any](e *xml.Encoder, items []T) error {
	root := xml.StartElement{Name: xml.Name{Local: "Messages"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}}
	if err := e.EncodeToken(root); err != nil {
		return err
	}
	for _, it := range items {
		if err := e.EncodeElement(it, xml.StartElement{Name: xml.Name{Local: "Message"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(root.End())
}

type wireDeleteError struct {
	ErrorCode     string `xml:"ErrorCode"`
	ErrorMessage  string `xml:"ErrorMessage"`
	ReceiptHandle string `xml:"ReceiptHandle"`
}

type wireDeleteErrors struct {
	XMLName xml.Name          `xml:"http://mns.aliyuncs.com/doc/v1/ Errors"`
	Errors  []wireDeleteError `xml:"Error"`
}

type wireChangeVisibility struct {
	XMLName         xml.Name `xml:"http://mns.aliyuncs.com/doc/v1/ ChangeVisibility"`
	ReceiptHandle   string   `xml:"ReceiptHandle"`
	NextVisibleTime int64    `xml:"NextVisibleTime"`
}

type wireQueueAttributes struct {
	XMLName                xml.Name `xml:"http://mns.aliyuncs.com/doc/v1/ Queue"`
	QueueName              string   `xml:"QueueName"`
	CreateTime             int64    `xml:"CreateTime"`
	LastModifyTime         int64    `xml:"LastModifyTime"`
	DelaySeconds           int64    `xml:"DelaySeconds"`
	MaximumMessageSize     int64    `xml:"MaximumMessageSize"`
	MessageRetentionPeriod int64    `xml:"MessageRetentionPeriod"`
	VisibilityTimeout      int64    `xml:"VisibilityTimeout"`
	PollingWaitSeconds     int64    `xml:"PollingWaitSeconds"`
	ActiveMessages         int64    `xml:"ActiveMessages"`
	InactiveMessages       int64    `xml:"InactiveMessages"`
	DelayMessages          int64    `xml:"DelayMessages"`
	LoggingEnabled         string   `xml:"LoggingEnabled"`
}

type wireTopicAttributes struct {
	XMLName                xml.Name `xml:"http://mns.aliyuncs.com/doc/v1/ Topic"`
	TopicName              string   `xml:"TopicName"`
	CreateTime             int64    `xml:"CreateTime"`
	LastModifyTime         int64    `xml:"LastModifyTime"`
	MaximumMessageSize     int64    `xml:"MaximumMessageSize"`
	MessageRetentionPeriod int64    `xml:"MessageRetentionPeriod"`
	MessageCount           int64    `xml:"MessageCount"`
	LoggingEnabled         string   `xml:"LoggingEnabled"`
}

type wireSubscriptionAttributes struct {
	XMLName             xml.Name `xml:"http://mns.aliyuncs.com/doc/v1/ Subscription"`
	SubscriptionName    string   `xml:"SubscriptionName"`
	Subscriber          string   `xml:"Subscriber"`
	TopicOwner          string   `xml:"TopicOwner"`
	TopicName           string   `xml:"TopicName"`
	Endpoint            string   `xml:"Endpoint"`
	NotifyStrategy      string   `xml:"NotifyStrategy"`
	NotifyContentFormat string   `xml:"NotifyContentFormat"`
	FilterTag           string   `xml:"FilterTag,omitempty"`
	CreateTime          int64    `xml:"CreateTime"`
	LastModifyTime      int64    `xml:"LastModifyTime"`
}

// marshalAnswer renders v with the XML declaration the cloud sends.
func marshalAnswer(v any) []byte {
	b, err := xml.Marshal(v)
	if err != nil {
		// Only our own fixed types reach here; a failure is a bug in this package.
		panic("mnstest: marshal answer: " + err.Error())
	}
	return append([]byte(xml.Header), b...)
}

func titleBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
