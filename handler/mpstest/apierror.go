package mpstest

import (
	"fmt"
	"net/http"
)

// APIError is an error answer of the MPS gateway or service: the HTTP status and the body's Code
// and Message. Faults and the emulator's own checks both answer with it, so the SDK parses the
// same bodies it would get from the cloud.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("mpstest: %d %s: %s", e.Status, e.Code, e.Message)
}

// Error codes the emulator answers with (wire-formats.md 1.5). Codes are the cloud's strings.
const (
	CodeInvalidAccessKeyIDNotFound = "InvalidAccessKeyId.NotFound"
	CodeInvalidAccessKeyIDInactive = "InvalidAccessKeyId.Inactive"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	CodeIncompleteSignature        = "IncompleteSignature"
	CodeInvalidTimeStampExpired    = "InvalidTimeStamp.Expired"
	CodeInvalidTimeStampFormat     = "InvalidTimeStamp.Format"
	CodeSignatureNonceUsed         = "SignatureNonceUsed"
	CodeSecurityTokenExpired       = "InvalidSecurityToken.Expired"
	CodeSecurityTokenMalformed     = "InvalidSecurityToken.Malformed"
	CodeSecurityTokenMismatch      = "InvalidSecurityToken.MismatchWithAccessKey"
	CodeMissingParameter           = "MissingParameter"
	CodeInvalidParameter           = "InvalidParameter"
	CodeInvalidActionNotFound      = "InvalidAction.NotFound"
	CodeThrottlingUser             = "Throttling.User"
	CodeThrottling                 = "Throttling"
	CodeInternalError              = "InternalError"
	CodeServiceUnavailable         = "ServiceUnavailable"
	CodeJobNotFound                = "InvalidParameter.JobNotFound"
)

func errAccessKeyNotFound() *APIError {
	return &APIError{http.StatusNotFound, CodeInvalidAccessKeyIDNotFound, "Specified access key is not found."}
}

func errAccessKeyInactive() *APIError {
	return &APIError{http.StatusBadRequest, CodeInvalidAccessKeyIDInactive, "Specified access key is disabled."}
}

// errSignatureDoesNotMatch carries the server's string to sign after the marker the SDK splits on
// (sdk/errors/signature_does_not_match_wrapper.go), so the SDK can tell a wrong secret from a bug.
func errSignatureDoesNotMatch(stringToSign string) *APIError {
	return &APIError{http.StatusBadRequest, CodeSignatureDoesNotMatch,
		"Specified signature is not matched with our calculation. server string to sign is:" + stringToSign}
}

func errIncompleteSignature() *APIError {
	return &APIError{http.StatusBadRequest, CodeIncompleteSignature, "The request signature does not conform to Aliyun standards."}
}

func errTimeStampExpired() *APIError {
	return &APIError{http.StatusBadRequest, CodeInvalidTimeStampExpired, "Specified time stamp or date value is expired."}
}

func errTimeStampFormat() *APIError {
	return &APIError{http.StatusBadRequest, CodeInvalidTimeStampFormat, "Specified time stamp or date value is not well formatted."}
}

func errNonceUsed() *APIError {
	return &APIError{http.StatusBadRequest, CodeSignatureNonceUsed, "Specified signature nonce was used already."}
}

func errTokenExpired() *APIError {
	return &APIError{http.StatusBadRequest, CodeSecurityTokenExpired, "Specified SecurityToken is expired."}
}

func errTokenMalformed() *APIError {
	return &APIError{http.StatusBadRequest, CodeSecurityTokenMalformed, "Specified SecurityToken is malformed."}
}

func errTokenMismatch() *APIError {
	return &APIError{http.StatusBadRequest, CodeSecurityTokenMismatch, "Specified SecurityToken mismatch with the AccessKey."}
}

// errMissing uses the message the SDK's own integration tests expect from the cloud
// (integration/error_test.go).
func errMissing(name string) *APIError {
	return &APIError{http.StatusBadRequest, CodeMissingParameter,
		fmt.Sprintf("The input parameter %q that is mandatory for processing this request is not supplied.", name)}
}

func errInvalidParameter(name string) *APIError {
	return &APIError{http.StatusBadRequest, CodeInvalidParameter, fmt.Sprintf("The specified parameter %q is not valid.", name)}
}

func errActionNotFound() *APIError {
	return &APIError{http.StatusNotFound, CodeInvalidActionNotFound, "Specified api is not found, please check your url and method."}
}

func errThrottlingUser() *APIError {
	return &APIError{http.StatusBadRequest, CodeThrottlingUser, "Request was denied due to user flow control."}
}

func errJobNotFound() *APIError {
	return &APIError{http.StatusBadRequest, CodeJobNotFound, "The specified job is not found."}
}

// ErrThrottling is MPS's own flow-control answer (the code is from the MPS error table; the
// status is not documented, 503 is what the notes' probe served).
func ErrThrottling() *APIError {
	return &APIError{http.StatusServiceUnavailable, CodeThrottling, "Request was denied due to request throttling."}
}

// ErrThrottlingUser is the gateway's per-user QPS answer, the one the quota gives.
func ErrThrottlingUser() *APIError { return errThrottlingUser() }

// ErrInternalError is the cloud's 500 answer.
func ErrInternalError() *APIError {
	return &APIError{http.StatusInternalServerError, CodeInternalError, "The request processing has failed due to some unknown error."}
}

// ErrServiceUnavailable is the cloud's 503 answer.
func ErrServiceUnavailable() *APIError {
	return &APIError{http.StatusServiceUnavailable, CodeServiceUnavailable, "The request has failed due to a temporary failure of the server."}
}
