package mnstest

import (
	"errors"
	"fmt"
	"net/http"
)

// APIError is an answer in the service's <Error> shape. Handlers return it; ServeHTTP writes it
// with the HTTP status, so SDKs parse exactly what the cloud would send.
type APIError struct {
	Status  int    // HTTP status, e.g. 404
	Code    string // MNS error code, e.g. "QueueNotExist"
	Message string // human text, as in the cloud's <Message>
}

func (e *APIError) Error() string {
	return fmt.Sprintf("mnstest: %d %s: %s", e.Status, e.Code, e.Message)
}

// Is makes errors.Is match on the code and status, so tests can compare with the Err* values.
func (e *APIError) Is(target error) bool {
	var t *APIError
	if !errors.As(target, &t) {
		return false
	}
	return t.Code == e.Code && t.Status == e.Status
}

func apiErr(status int, code, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// The codes and statuses the emulator answers with. Sources are in wire-formats.md 2.6; codes
// marked "inferred" there are noted in the package doc.
var (
	ErrQueueNotExist       = &APIError{Status: http.StatusNotFound, Code: "QueueNotExist", Message: "The queue name you provided is not exist."}
	ErrTopicNotExist       = &APIError{Status: http.StatusNotFound, Code: "TopicNotExist", Message: "The topic name you provided is not exist."}
	ErrSubscriptionMissing = &APIError{Status: http.StatusNotFound, Code: "SubscriptionNotExist", Message: "The subscription name you provided is not exist."}
	ErrMessageNotExist     = &APIError{Status: http.StatusNotFound, Code: "MessageNotExist", Message: "Message not exist."}
	ErrQueueAlreadyExist   = &APIError{Status: http.StatusConflict, Code: "QueueAlreadyExist", Message: "The queue you want to create is already exist."}
	ErrTopicAlreadyExist   = &APIError{Status: http.StatusConflict, Code: "TopicAlreadyExist", Message: "The topic you want to create is already exist."}
	ErrSubscriptionExist   = &APIError{Status: http.StatusConflict, Code: "SubscriptionAlreadyExist", Message: "The subscription you want to create is already exist."}
	ErrReceiptHandle       = &APIError{Status: http.StatusBadRequest, Code: "ReceiptHandleError", Message: "The receipt handle you provide is not valid."}
	ErrInternal            = &APIError{Status: http.StatusInternalServerError, Code: "InternalError", Message: "The service is currently unavailable, please retry later."}
)

func errInvalidArgument(format string, args ...any) *APIError {
	return apiErr(http.StatusBadRequest, "InvalidArgument", format, args...)
}

func errMalformedXML(err error) *APIError {
	return apiErr(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed: %v", err)
}

// errRange is the cloud's range message, e.g. "The value of DelaySeconds should between 0 and
// 604800 seconds".
func errRange(name string, lo, hi int64, unit string) *APIError {
	return errInvalidArgument("The value of %s should between %d and %d %s", name, lo, hi, unit)
}
