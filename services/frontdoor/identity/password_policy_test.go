package identity_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

func TestPasswordPolicy(t *testing.T) {
	for _, c := range []struct {
		name     string
		password string
		want     identity.PolicyViolation // "" for accepted
	}{
		{"empty", "", identity.PolicyTooShort},
		{"7 characters", "xq7!vbz", identity.PolicyTooShort},
		{"8 characters", "xq7!vbzk", ""},
		{"7 runes in 14 bytes", "éàüößçñ", identity.PolicyTooShort},
		{"8 runes in 16 bytes", "éàüößçñø", ""},
		{"7 emoji in 28 bytes", "🔒🔑🗝🚪🏠🧱🪟", identity.PolicyTooShort},
		{"8 emoji in 32 bytes", "🔒🔑🗝🚪🏠🧱🪟🌳", ""},
		{"1024 bytes", strings.Repeat("x7", 512), ""},
		{"1025 bytes", strings.Repeat("x7", 512) + "y", identity.PolicyTooLong},
		{"1025 bytes of 2-byte runes", strings.Repeat("é", 512) + "y", identity.PolicyTooLong},
		{"invalid UTF-8", "abcdefgh\xff", identity.PolicyInvalidUTF8},
		{"common", "password", identity.PolicyTooCommon},
		{"common, upper case", "PASSWORD", identity.PolicyTooCommon},
		{"common, mixed case", "PaSsWoRd", identity.PolicyTooCommon},
		{"common with digits", "password1", identity.PolicyTooCommon},
		{"common, mixed case with digits", "Password123", identity.PolicyTooCommon},
		{"common digits", "12345678", identity.PolicyTooCommon},
		{"common keyboard walk", "QWERTYUIOP", identity.PolicyTooCommon},
		{"common word", "Sunshine", identity.PolicyTooCommon},
		{"rare passphrase", "correct horse battery staple 1729", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := identity.CheckPasswordPolicy(c.password)
			if c.want == "" {
				if err != nil {
					t.Fatalf("CheckPasswordPolicy = %v, want nil", err)
				}
				return
			}
			var pe *identity.PasswordPolicyError
			if !errors.As(err, &pe) || pe.Violation != c.want {
				t.Fatalf("CheckPasswordPolicy = %v, want a %s violation", err, c.want)
			}
			if !errors.Is(err, identity.ErrPasswordPolicy) {
				t.Fatal("policy error does not match ErrPasswordPolicy")
			}
			msg := err.Error()
			// Every message says "password"; beyond that word it must not
			// contain the password.
			rest := strings.ReplaceAll(strings.ToLower(msg), "password", "")
			if len(c.password) >= 4 && strings.Contains(rest, strings.ToLower(c.password)) {
				t.Fatalf("error message %q repeats the password", msg)
			}
			if !strings.HasPrefix(msg, "password ") {
				t.Fatalf("error message %q does not say what is wrong with the password", msg)
			}
		})
	}
}

func TestPasswordPolicyMessages(t *testing.T) {
	for v, want := range map[identity.PolicyViolation]string{
		identity.PolicyTooShort:    "password is too short: use at least 8 characters",
		identity.PolicyTooLong:     "password is too long: use at most 1024 bytes",
		identity.PolicyTooCommon:   "password is too common",
		identity.PolicyInvalidUTF8: "password contains invalid characters",
	} {
		if got := (&identity.PasswordPolicyError{Violation: v}).Error(); !strings.HasPrefix(got, want) {
			t.Errorf("%s: message %q, want it to start with %q", v, got, want)
		}
	}
}
