package oauth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 7009, and OIDC Core §3.1.2.6.
const (
	CodeInvalidRequest          = "invalid_request"
	CodeInvalidClient           = "invalid_client"
	CodeInvalidGrant            = "invalid_grant"
	CodeUnauthorizedClient      = "unauthorized_client"
	CodeUnsupportedGrantType    = "unsupported_grant_type"
	CodeUnsupportedResponseType = "unsupported_response_type"
	CodeUnsupportedTokenType    = "unsupported_token_type"
	CodeInvalidScope            = "invalid_scope"
	CodeAccessDenied            = "access_denied"
	CodeServerError             = "server_error"
	CodeTemporarilyUnavailable  = "temporarily_unavailable"
	CodeLoginRequired           = "login_required"
	CodeInvalidToken            = "invalid_token"      // RFC 6750, userinfo
	CodeInsufficientScope       = "insufficient_scope" // RFC 6750, userinfo
)

// Error is a protocol error.
type Error struct {
	Code        string
	Description string
	// Status is the HTTP status of a direct (JSON) response.
	Status int
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

// Errorf returns an *Error with the status RFC 6749 §5.2 gives the code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...), Status: statusOf(code)}
}

func statusOf(code string) int {
	switch code {
	case CodeInvalidClient, CodeInvalidToken:
		return http.StatusUnauthorized
	case CodeServerError:
		return http.StatusInternalServerError
	case CodeTemporarilyUnavailable:
		return http.StatusServiceUnavailable
	case CodeAccessDenied, CodeInsufficientScope:
		return http.StatusForbidden
	default:
		return http.StatusBadRequest
	}
}

// Write renders e as the JSON error response of the token, revocation and
// introspection endpoints: no caching, and for invalid_client a
// WWW-Authenticate challenge (RFC 6749 §5.2).
func (e *Error) Write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	switch e.Code {
	case CodeInvalidClient:
		h.Set("WWW-Authenticate", `Basic realm="gatehouse"`)
	case CodeInvalidToken:
		h.Set("WWW-Authenticate", fmt.Sprintf(`Bearer error=%q, error_description=%q`, e.Code, e.Description))
	}
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{e.Code, e.Description})
}

// RedirectURL returns the client's redirect URI with the error and state
// added to its query (RFC 6749 §4.1.2.1), and iss (RFC 9207). Call it only
// with a redirect URI that matched the client's registration exactly.
func (e *Error) RedirectURL(redirectURI, state, issuer string) (string, error) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return "", fmt.Errorf("redirect URI %q: %w", redirectURI, err)
	}
	q := u.Query()
	q.Set("error", e.Code)
	if e.Description != "" {
		q.Set("error_description", e.Description)
	}
	if state != "" {
		q.Set("state", state)
	}
	if issuer != "" {
		q.Set("iss", issuer)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// CodeInvalidTarget is RFC 8707's error for a resource or audience the
// client may not request.
const CodeInvalidTarget = "invalid_target"
