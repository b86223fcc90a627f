package api

import (
	"errors"
	"strings"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
)

// Reasons: the first word of an error message, before ": ", stable for
// clients (WorkOS's codes where WorkOS has one). Each comes with one
// natsrpc code.
const (
	// ReasonPreviouslyVerified (failed_precondition): the challenge was
	// already verified and cannot be used again.
	ReasonPreviouslyVerified = "previously_verified"
	// ReasonExpired (failed_precondition): the SMS or email challenge is
	// past its ChallengeTTL.
	ReasonExpired = "expired"
	// ReasonTooManyAttempts (failed_precondition): MaxChallengeAttempts
	// wrong codes locked the challenge.
	ReasonTooManyAttempts = "too_many_attempts"
	// ReasonInvalidCodeFormat (invalid_argument): the code is not six
	// digits (or, for backup codes, not a backup code).
	ReasonInvalidCodeFormat = "invalid_code_format"
	// ReasonFactorLocked (failed_precondition): MaxConsecutiveFailures
	// wrong codes locked the user's factors until a reset.
	ReasonFactorLocked = "factor_locked"
	// ReasonInvalidPhoneNumber (invalid_argument): not E.164.
	ReasonInvalidPhoneNumber = "invalid_phone_number"
	// ReasonFactorNotAllowed (failed_precondition): the policy does not
	// allow this factor type.
	ReasonFactorNotAllowed = "factor_not_allowed"
	// ReasonResendTooSoon (failed_precondition): a code was sent less
	// than ResendCooldown ago.
	ReasonResendTooSoon = "resend_too_soon"
	// ReasonDeliveryFailed (unavailable): the SMS or email provider
	// failed after retries.
	ReasonDeliveryFailed = "delivery_failed"
	// ReasonRateLimited (failed_precondition): too many codes were sent
	// to one phone number or email address, or to one user across all
	// their factors, lately.
	ReasonRateLimited = "rate_limited"
)

var reasons = []string{ReasonPreviouslyVerified, ReasonExpired, ReasonTooManyAttempts, ReasonInvalidCodeFormat,
	ReasonFactorLocked, ReasonInvalidPhoneNumber, ReasonFactorNotAllowed, ReasonResendTooSoon, ReasonDeliveryFailed, ReasonRateLimited}

// ReasonOf returns the reason of an MFA service error (one of the Reason
// constants), or "".
func ReasonOf(err error) string {
	var e *natsrpc.Error
	if !errors.As(err, &e) {
		return ""
	}
	reason, _, ok := strings.Cut(e.Message, ": ")
	if !ok {
		return ""
	}
	for _, r := range reasons {
		if r == reason {
			return r
		}
	}
	return ""
}

// Errorf returns a natsrpc error whose message starts with reason.
func Errorf(code natsrpc.Code, reason, format string, args ...any) *natsrpc.Error {
	e := natsrpc.Errorf(code, format, args...)
	e.Message = reason + ": " + e.Message
	return e
}
