package frontdoor

import (
	"testing"
	"time"
)

// TestPageToken: a page token holds only for the session secret, purpose
// and values it was made for, until it expires.
func TestPageToken(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	const secret = "session-cookie-secret"
	tok := pageToken(secret, purposeTOTPEnrollment, now.Add(10*time.Minute), "ses_1", "auth_factor_1")
	if !checkPageToken(tok, secret, purposeTOTPEnrollment, now, "ses_1", "auth_factor_1") {
		t.Fatal("a fresh token is refused")
	}
	for name, ok := range map[string]bool{
		"another session secret": checkPageToken(tok, "another-secret", purposeTOTPEnrollment, now, "ses_1", "auth_factor_1"),
		"no session secret":      checkPageToken(tok, "", purposeTOTPEnrollment, now, "ses_1", "auth_factor_1"),
		"another purpose":        checkPageToken(tok, secret, purposeReauthChallenge, now, "ses_1", "auth_factor_1"),
		"another session id":     checkPageToken(tok, secret, purposeTOTPEnrollment, now, "ses_2", "auth_factor_1"),
		"another factor":         checkPageToken(tok, secret, purposeTOTPEnrollment, now, "ses_1", "auth_factor_2"),
		"values run together":    checkPageToken(tok, secret, purposeTOTPEnrollment, now, "ses_1auth_factor_1"),
		"values moved":           checkPageToken(tok, secret, purposeTOTPEnrollment, now, "ses_", "1auth_factor_1"),
		"expired":                checkPageToken(tok, secret, purposeTOTPEnrollment, now.Add(10*time.Minute), "ses_1", "auth_factor_1"),
		"expiry moved":           checkPageToken("9999999999"+tok[len("1795348800"):], secret, purposeTOTPEnrollment, now, "ses_1", "auth_factor_1"),
		"empty":                  checkPageToken("", secret, purposeTOTPEnrollment, now, "ses_1", "auth_factor_1"),
		"garbage":                checkPageToken("x.y", secret, purposeTOTPEnrollment, now, "ses_1", "auth_factor_1"),
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
}
