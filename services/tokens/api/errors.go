package api

import (
	"errors"
	"strings"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
)

// Reasons: the first word of an error message, before ": ", for the
// failures the frontdoor must tell apart. Each comes with one natsrpc code.
const (
	// ReasonInvalidRefreshToken (failed_precondition): the refresh token is
	// unknown, malformed, expired, revoked, or from another environment.
	// OAuth: invalid_grant.
	ReasonInvalidRefreshToken = "invalid_refresh_token"
	// ReasonRefreshTokenReused (failed_precondition): the refresh token was
	// already rotated; its family is now revoked. OAuth: invalid_grant.
	ReasonRefreshTokenReused = "refresh_token_reused"
	// ReasonClientMismatch: the token was issued to another client.
	// failed_precondition from refresh (OAuth: invalid_grant),
	// permission_denied from revoke (RFC 7009 §2.1: refuse the request).
	ReasonClientMismatch = "client_mismatch"
	// ReasonScopeExceeded (invalid_argument): a refresh asked for a scope the
	// original grant does not have. OAuth: invalid_scope.
	ReasonScopeExceeded = "scope_exceeded"
	// ReasonGrantMismatch (invalid_argument): a refresh named a subject,
	// organization or other grant field that differs from the stored grant.
	ReasonGrantMismatch = "grant_mismatch"
)

// ReasonOf returns the reason of a tokens service error (one of the Reason
// constants), or "" when err carries none.
func ReasonOf(err error) string {
	var e *natsrpc.Error
	if !errors.As(err, &e) {
		return ""
	}
	reason, _, ok := strings.Cut(e.Message, ": ")
	if !ok {
		return ""
	}
	switch reason {
	case ReasonInvalidRefreshToken, ReasonRefreshTokenReused, ReasonClientMismatch,
		ReasonScopeExceeded, ReasonGrantMismatch:
		return reason
	}
	return ""
}

// Errorf returns a natsrpc error whose message starts with reason, as
// ReasonOf reads it.
func Errorf(code natsrpc.Code, reason, format string, args ...any) *natsrpc.Error {
	e := natsrpc.Errorf(code, format, args...)
	e.Message = reason + ": " + e.Message
	return e
}
