package natsrpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
)

// Code is the closed set of error codes a service may reply with.
type Code string

// The error codes.
const (
	CodeInvalidArgument    Code = "invalid_argument"    // the request is malformed or a field is invalid
	CodeNotFound           Code = "not_found"           // the thing asked for does not exist
	CodeConflict           Code = "conflict"            // it already exists, or it clashes with another
	CodeFailedPrecondition Code = "failed_precondition" // not allowed in the current state
	CodePermissionDenied   Code = "permission_denied"   // the caller may not do this
	CodeOverloaded         Code = "overloaded"          // shed: the endpoint's pool was full
	CodeDeadlineExceeded   Code = "deadline_exceeded"   // the deadline passed
	CodeUnavailable        Code = "unavailable"         // no responder
	CodeInternal           Code = "internal"            // a bug or an infrastructure failure
)

var knownCodes = map[Code]bool{
	CodeInvalidArgument: true, CodeNotFound: true, CodeConflict: true,
	CodeFailedPrecondition: true, CodePermissionDenied: true, CodeOverloaded: true,
	CodeDeadlineExceeded: true, CodeUnavailable: true, CodeInternal: true,
}

// Error is an error with a code, as sent over the wire.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err: the code of a wrapped *Error, or the code
// that best describes a context or NATS failure, or CodeInternal.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return CodeDeadlineExceeded
	case errors.Is(err, nats.ErrNoResponders):
		return CodeUnavailable
	default:
		return CodeInternal
	}
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// toWire turns a handler error into the code and message sent to the caller.
// Unexpected errors become CodeInternal with a generic message: their text
// stays in the service's own log.
func toWire(err error) (Code, string) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, e.Message
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return CodeDeadlineExceeded, "deadline exceeded"
	case errors.Is(err, context.Canceled):
		return CodeUnavailable, "request canceled"
	default:
		return CodeInternal, "internal error"
	}
}

func fromWire(code, message string) *Error {
	c := Code(code)
	if !knownCodes[c] {
		c = CodeInternal
	}
	return &Error{Code: c, Message: message}
}
