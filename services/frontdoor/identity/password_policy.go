package identity

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Password policy limits.
const (
	// MinPasswordRunes is the fewest characters (Unicode code points) a
	// password may have.
	MinPasswordRunes = 8
	// MaxPasswordBytes is the longest password accepted, in bytes of UTF-8.
	// It bounds the work a single request can cause.
	MaxPasswordBytes = 1024
)

// PolicyViolation names the rule of the password policy a password breaks.
type PolicyViolation string

// The rules of the password policy.
const (
	PolicyTooShort    PolicyViolation = "too_short"
	PolicyTooLong     PolicyViolation = "too_long"
	PolicyTooCommon   PolicyViolation = "too_common"
	PolicyInvalidUTF8 PolicyViolation = "invalid_utf8"
)

// ErrPasswordPolicy is matched (errors.Is) by every [*PasswordPolicyError].
var ErrPasswordPolicy = errors.New("password does not meet the password policy")

// PasswordPolicyError is a password refused by the policy. Its message is
// meant for the person choosing the password and never contains the
// password.
type PasswordPolicyError struct {
	Violation PolicyViolation
}

// Error returns a sentence saying what is wrong and what to do.
func (e *PasswordPolicyError) Error() string {
	switch e.Violation {
	case PolicyTooShort:
		return fmt.Sprintf("password is too short: use at least %d characters", MinPasswordRunes)
	case PolicyTooLong:
		return fmt.Sprintf("password is too long: use at most %d bytes", MaxPasswordBytes)
	case PolicyTooCommon:
		return "password is too common: it is on a list of passwords attackers try first; choose another one"
	case PolicyInvalidUTF8:
		return "password contains invalid characters: it must be valid UTF-8 text"
	}
	return "password does not meet the password policy (" + string(e.Violation) + ")"
}

// Is makes errors.Is(err, ErrPasswordPolicy) true.
func (e *PasswordPolicyError) Is(target error) bool { return target == ErrPasswordPolicy }

// CheckPasswordPolicy returns a [*PasswordPolicyError] when password breaks
// the policy: at most [MaxPasswordBytes] bytes, valid UTF-8, at least
// [MinPasswordRunes] characters, and not on the embedded list of a million
// common passwords (compared case-insensitively). Any other error means the
// common-password list could not be loaded.
func CheckPasswordPolicy(password string) error {
	if len(password) > MaxPasswordBytes {
		return &PasswordPolicyError{Violation: PolicyTooLong}
	}
	if !utf8.ValidString(password) {
		return &PasswordPolicyError{Violation: PolicyInvalidUTF8}
	}
	if utf8.RuneCountInString(password) < MinPasswordRunes {
		return &PasswordPolicyError{Violation: PolicyTooShort}
	}
	list, err := commonPasswords()
	if err != nil {
		return fmt.Errorf("check password policy: %w", err)
	}
	if list.contains(strings.ToLower(password)) {
		return &PasswordPolicyError{Violation: PolicyTooCommon}
	}
	return nil
}
