package mgmt

import (
	"context"

	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// Error codes of the MFA endpoints: the MFA service's reasons, as WorkOS
// names them, with the status of their natsrpc code (400 for a malformed
// code or phone number, 409 for a challenge or factor in the wrong state
// and for too many codes sent to one destination, 503 when the code could
// not be delivered).
const (
	CodePreviouslyVerified = mapi.ReasonPreviouslyVerified
	CodeExpired            = mapi.ReasonExpired
	CodeTooManyAttempts    = mapi.ReasonTooManyAttempts
	CodeInvalidCodeFormat  = mapi.ReasonInvalidCodeFormat
	CodeFactorLocked       = mapi.ReasonFactorLocked
	CodeInvalidPhoneNumber = mapi.ReasonInvalidPhoneNumber
	CodeFactorNotAllowed   = mapi.ReasonFactorNotAllowed
	CodeResendTooSoon      = mapi.ReasonResendTooSoon
	CodeDeliveryFailed     = mapi.ReasonDeliveryFailed
	CodeRateLimited        = mapi.ReasonRateLimited
)

// mfaCall sends one request to the MFA service; an error carrying one of
// the service's reasons becomes an API error whose code is that reason.
func mfaCall[Req, Resp any](ctx context.Context, a *API, subject string, req Req) (Resp, error) {
	resp, err := call[Req, Resp](ctx, a, subject, req)
	if err != nil {
		return resp, mfaError(err)
	}
	return resp, nil
}

// mfaError keeps the status and message toAPIError gives err and replaces
// the code with the MFA reason err carries, if any.
func mfaError(err error) error {
	reason := mapi.ReasonOf(err)
	if reason == "" {
		return err
	}
	e, ok := toAPIError(err)
	if !ok {
		// A reason under a code the API does not map: keep it internal.
		return err
	}
	return &apiError{Status: e.Status, Code: reason, Message: e.Message}
}
