package mfa

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// Limits on values beyond api's.
const (
	maxIDLen        = 255 // a user id, a factor id, an organization code
	maxListLen      = 100 // roles, connections, members in a context request
	maxMembers      = 100_000
	maxFactors      = 20 // factors of one user
	maxTemplateLen  = 320
	maxReasonLen    = 500
	defaultTemplate = "Your verification code is {{code}}"
	codePlaceholder = "{{code}}"
)

func invalid(format string, args ...any) error {
	return natsrpc.Errorf(natsrpc.CodeInvalidArgument, format, args...)
}

func notFound(format string, args ...any) error {
	return natsrpc.Errorf(natsrpc.CodeNotFound, format, args...)
}

func validateEnv(env string) error {
	if err := envname.Validate(env); err != nil {
		return invalid("%v", err)
	}
	return nil
}

// validateText checks a single identifier or value: at most max bytes of
// UTF-8 without control characters; empty is allowed unless required.
func validateText(field, v string, max int, required bool) error {
	switch {
	case v == "" && required:
		return invalid("%s is required", field)
	case len(v) > max:
		return invalid("%s is %d bytes, over the %d-byte limit", field, len(v), max)
	case !utf8.ValidString(v):
		return invalid("%s is not valid UTF-8", field)
	case strings.ContainsFunc(v, unicode.IsControl):
		return invalid("%s contains control characters", field)
	}
	return nil
}

// validateUser checks the env and user id of a request.
func validateUser(env, userID string) error {
	if err := validateEnv(env); err != nil {
		return err
	}
	return validateText("userId", userID, maxIDLen, true)
}

// validateCodeFormat refuses a code that is not api.CodeDigits digits.
func validateCodeFormat(code string) error {
	if len(code) != api.CodeDigits || strings.ContainsFunc(code, func(r rune) bool { return r < '0' || r > '9' }) {
		return api.Errorf(natsrpc.CodeInvalidArgument, api.ReasonInvalidCodeFormat,
			"the code must be %d digits", api.CodeDigits)
	}
	return nil
}
