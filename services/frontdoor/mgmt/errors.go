package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// Error codes of the management API: the code of every item of an error
// response. They are stable; messages are for people and may change.
const (
	CodeInvalidRequest       = "invalid_request"        // 400: malformed body, parameter or field
	CodeUnauthorized         = "unauthorized"           // 401: no usable access token
	CodeInsufficientScope    = "insufficient_scope"     // 403: the token lacks the scope the endpoint needs
	CodePermissionDenied     = "permission_denied"      // 403: a service refused the caller
	CodeNotFound             = "not_found"              // 404: no such resource (or route)
	CodeMethodNotAllowed     = "method_not_allowed"     // 405
	CodeConflict             = "conflict"               // 409: it exists already, or clashes with another
	CodeFailedPrecondition   = "failed_precondition"    // 409: not allowed in the resource's current state
	CodePayloadTooLarge      = "payload_too_large"      // 413
	CodeUnsupportedMediaType = "unsupported_media_type" // 415
	CodeInternal             = "internal"               // 500
	CodeUnavailable          = "unavailable"            // 503: a service is down or overloaded; retry
	CodeDeadlineExceeded     = "deadline_exceeded"      // 504: a service did not answer in time
)

// ErrorResponse is the body of every error response, as in Kinde's
// management API.
type ErrorResponse struct {
	Errors []ErrorItem `json:"errors"`
}

// ErrorItem is one error of an ErrorResponse.
type ErrorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// apiError is an error answered with Status, Code and Message.
type apiError struct {
	Status  int
	Code    string
	Message string
	// header is added to the response (WWW-Authenticate).
	header http.Header
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, CodeInvalidRequest, format, args...)
}

func notFound(format string, args ...any) *apiError {
	return errorf(http.StatusNotFound, CodeNotFound, format, args...)
}

// rpcStatus maps the natsrpc codes of the services behind the API.
var rpcStatus = map[natsrpc.Code]struct {
	status int
	code   string
}{
	natsrpc.CodeInvalidArgument:    {http.StatusBadRequest, CodeInvalidRequest},
	natsrpc.CodeNotFound:           {http.StatusNotFound, CodeNotFound},
	natsrpc.CodeConflict:           {http.StatusConflict, CodeConflict},
	natsrpc.CodeFailedPrecondition: {http.StatusConflict, CodeFailedPrecondition},
	natsrpc.CodePermissionDenied:   {http.StatusForbidden, CodePermissionDenied},
	natsrpc.CodeOverloaded:         {http.StatusServiceUnavailable, CodeUnavailable},
	natsrpc.CodeUnavailable:        {http.StatusServiceUnavailable, CodeUnavailable},
	natsrpc.CodeDeadlineExceeded:   {http.StatusGatewayTimeout, CodeDeadlineExceeded},
}

// toAPIError turns any error of a handler into what the client sees:
// errors of the identity store and of the services keep their meaning and
// message; anything else is an internal error whose details stay in the
// log (ok false).
func toAPIError(err error) (e *apiError, ok bool) {
	if errors.As(err, &e) {
		return e, true
	}
	var rpc *natsrpc.Error
	if errors.As(err, &rpc) {
		if m, found := rpcStatus[rpc.Code]; found {
			msg := rpc.Message
			if rpc.Code == natsrpc.CodeOverloaded {
				msg = "the service is overloaded; retry shortly: " + msg
			}
			return &apiError{Status: m.status, Code: m.code, Message: msg}, true
		}
		return errorf(http.StatusInternalServerError, CodeInternal, "internal error"), false
	}
	switch {
	case errors.Is(err, identity.ErrNotFound):
		return errorf(http.StatusNotFound, CodeNotFound, "%v", err), true
	case errors.Is(err, identity.ErrAlreadyExists):
		return errorf(http.StatusConflict, CodeConflict, "%v", err), true
	case errors.Is(err, identity.ErrInvalid), errors.Is(err, identity.ErrPasswordPolicy):
		return badRequest("%v", err), true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return errorf(http.StatusGatewayTimeout, CodeDeadlineExceeded, "the request ran out of time; retry"), true
	case errors.Is(err, nats.ErrNoResponders):
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "a service the request needs is not running; retry shortly"), true
	}
	return errorf(http.StatusInternalServerError, CodeInternal, "internal error"), false
}

// fail writes err as an error response. It is the one place error
// responses are written.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := toAPIError(err)
	if !ok {
		a.log.ErrorContext(r.Context(), "management API request failed", "method", r.Method,
			"path", r.URL.Path, "error", err)
	}
	for k, vs := range e.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	writeJSON(w, e.Status, ErrorResponse{Errors: []ErrorItem{{Code: e.Code, Message: e.Message}}})
}

// writeJSON writes v as the JSON body of a response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// noContent answers 204.
func noContent(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
