package mgmt_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// mfaEnv is the environment of the MFA scenarios, so that its policies
// touch no other scenario.
const mfaEnv = "mfa"

// mfaRun is one MFA scenario's environment and token (every scope the MFA
// endpoints need).
type mfaRun struct {
	h   *harness
	tok string
}

func testMFA(t *testing.T, h *harness) {
	h.env(mfaEnv)
	m := &mfaRun{h: h, tok: h.token(t, mfaEnv, mgmt.ScopeReadUsers, mgmt.ScopeWriteUsers, mgmt.ScopeReadMFA, mgmt.ScopeWriteMFA)}
	for _, sc := range []struct {
		name string
		run  func(*testing.T, *mfaRun)
	}{
		{"totp_round_trip", testMFATOTP},
		{"challenge_errors", testMFAChallengeErrors},
		{"sms", testMFASMS},
		{"email", testMFAEmail},
		{"backup_codes", testMFABackupCodes},
		{"delete_factor", testMFADeleteFactor},
		{"lock_and_reset", testMFALockAndReset},
		{"policy", testMFAPolicy},
		{"org_policy", testMFAOrgPolicy},
		{"stats", testMFAStats},
		{"scopes", testMFAScopes},
	} {
		if !t.Run(sc.name, func(t *testing.T) { sc.run(t, m) }) {
			return
		}
	}
}

// do sends c in the MFA environment with the run's token.
func (m *mfaRun) do(t *testing.T, c call) answer {
	t.Helper()
	c.env = mfaEnv
	if c.token == "" {
		c.token = m.tok
	}
	return m.h.do(t, c)
}

// user creates a user of the MFA environment.
func (m *mfaRun) user(t *testing.T, email string) *identity.User {
	t.Helper()
	u, err := m.h.ids.CreateUser(testContext(t), identity.NewUser{Env: mfaEnv, Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// enroll enrolls a factor for user id and returns the answer.
func (m *mfaRun) enroll(t *testing.T, id string, body map[string]any) mapi.EnrollResponse {
	t.Helper()
	a := m.do(t, call{method: "POST", path: "/users/" + id + "/mfa/factors", json: body})
	want(t, a, http.StatusCreated, "")
	var resp mapi.EnrollResponse
	a.decode(t, &resp)
	if resp.Factor.ID == "" || resp.Factor.UserID != id || string(resp.Factor.Type) != body["type"] || resp.Factor.Verified {
		t.Fatalf("enrolled %+v", resp.Factor)
	}
	return resp
}

// challenge challenges factor fid of user id.
func (m *mfaRun) challenge(t *testing.T, id, fid string, body any) mapi.Challenge {
	t.Helper()
	a := m.do(t, call{method: "POST", path: "/users/" + id + "/mfa/factors/" + fid + "/challenge", json: body})
	want(t, a, http.StatusCreated, "")
	var ch mapi.Challenge
	a.decode(t, &ch)
	if ch.ID == "" || ch.FactorID != fid {
		t.Fatalf("challenge %+v", ch)
	}
	return ch
}

// verify sends code for challenge cid of user id.
func (m *mfaRun) verify(t *testing.T, id, cid, code string) answer {
	t.Helper()
	return m.do(t, call{method: "POST", path: "/users/" + id + "/mfa/challenges/" + cid + "/verify",
		json: map[string]any{"code": code}})
}

// mustVerify sends code and wants {valid: want}.
func (m *mfaRun) mustVerify(t *testing.T, id, cid, code string, valid bool) mapi.VerifyResponse {
	t.Helper()
	a := m.verify(t, id, cid, code)
	want(t, a, http.StatusOK, "")
	var v mapi.VerifyResponse
	a.decode(t, &v)
	if v.Valid != valid || v.Challenge.ID != cid {
		t.Fatalf("verify: valid %v, want %v: %s", v.Valid, valid, a.body)
	}
	return v
}

// factors lists the factors of user id.
func (m *mfaRun) factors(t *testing.T, id string) []mapi.Factor {
	t.Helper()
	a := m.do(t, call{method: "GET", path: "/users/" + id + "/mfa/factors"})
	want(t, a, http.StatusOK, "")
	var resp mapi.FactorsResponse
	a.decode(t, &resp)
	return resp.Factors
}

// totpCode is the current code of a TOTP secret.
func totpCode(t *testing.T, secret string) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// wrongTOTPCode is a six-digit code that is none of the codes of secret
// around now.
func wrongTOTPCode(t *testing.T, secret string, n int) string {
	t.Helper()
	now := time.Now()
	var near []string
	for _, d := range []time.Duration{-60 * time.Second, -30 * time.Second, 0, 30 * time.Second, 60 * time.Second} {
		c, err := totp.GenerateCode(secret, now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		near = append(near, c)
	}
	for i := n; ; i++ {
		c := fmt.Sprintf("%06d", (i*7919+123457)%1000000)
		if !slices.Contains(near, c) {
			return c
		}
	}
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// outboxCode waits for a message to to in the development outbox sent
// after since and returns the one-time code in it, with the text.
func (m *mfaRun) outboxCode(t *testing.T, to string, since time.Time) (code, text string) {
	t.Helper()
	out := m.h.p.Outbox()
	if out == nil {
		t.Fatal("the platform has no development outbox")
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, msg := range out.Messages() { // newest first
			if msg.To == to && msg.Env == mfaEnv && !msg.SentAt.Before(since) {
				code := sixDigits.FindString(msg.Text)
				if code == "" {
					t.Fatalf("the message to %s has no code: %q", to, msg.Text)
				}
				return code, msg.Text
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no message to %s in the outbox", to)
	return "", ""
}

func testMFATOTP(t *testing.T, m *mfaRun) {
	u := m.user(t, "totp@example.com")
	// Nothing enrolled yet.
	if fs := m.factors(t, u.ID); len(fs) != 0 {
		t.Fatalf("factors of a new user: %+v", fs)
	}
	en := m.enroll(t, u.ID, map[string]any{"type": "totp"})
	if en.TOTP == nil || en.TOTP.Secret == "" || !strings.HasPrefix(en.TOTP.URI, "otpauth://totp/") ||
		!strings.HasPrefix(en.TOTP.QRCode, "data:image/png;base64,") {
		t.Fatalf("TOTP enrollment %+v", en.TOTP)
	}
	// The issuer is the host of the environment's issuer; the account is
	// the user's email.
	if en.TOTP.Issuer != "127.0.0.1" || en.TOTP.User != u.Email {
		t.Errorf("issuer %q user %q; want 127.0.0.1 and %s", en.TOTP.Issuer, en.TOTP.User, u.Email)
	}
	// Listed, unverified, without its secret.
	a := m.do(t, call{method: "GET", path: "/users/" + u.ID + "/mfa/factors"})
	want(t, a, http.StatusOK, "")
	if strings.Contains(string(a.body), en.TOTP.Secret) {
		t.Fatal("the factor list shows the TOTP secret")
	}
	fs := m.factors(t, u.ID)
	if len(fs) != 1 || fs[0].ID != en.Factor.ID || fs[0].Verified {
		t.Fatalf("factors %+v", fs)
	}

	ch := m.challenge(t, u.ID, en.Factor.ID, nil)
	if ch.Type != mapi.FactorTOTP || ch.ExpiresAt != nil {
		t.Fatalf("TOTP challenge %+v", ch)
	}
	v := m.mustVerify(t, u.ID, ch.ID, totpCode(t, en.TOTP.Secret), true)
	if v.Factor == nil || !v.Factor.Verified || v.Factor.ID != en.Factor.ID || v.Method != "otp" {
		t.Fatalf("verified %+v", v)
	}
	// A challenge is used once.
	want(t, m.verify(t, u.ID, ch.ID, totpCode(t, en.TOTP.Secret)), http.StatusConflict, mgmt.CodePreviouslyVerified)

	fs = m.factors(t, u.ID)
	if len(fs) != 1 || !fs[0].Verified || fs[0].LastUsedAt == nil {
		t.Fatalf("factors after verification %+v", fs)
	}
}

func testMFAChallengeErrors(t *testing.T, m *mfaRun) {
	u := m.user(t, "errors@example.com")
	en := m.enroll(t, u.ID, map[string]any{"type": "totp", "totpIssuer": "Acme Cloud"})
	if en.TOTP.Issuer != "Acme Cloud" || !strings.Contains(en.TOTP.URI, "Acme") {
		t.Errorf("issuer %q, URI %q; want Acme Cloud", en.TOTP.Issuer, en.TOTP.URI)
	}
	ch := m.challenge(t, u.ID, en.Factor.ID, map[string]any{})

	// Malformed codes are not attempts.
	for _, code := range []string{"12345", "abc123", "1234567", ""} {
		want(t, m.verify(t, u.ID, ch.ID, code), http.StatusBadRequest, mgmt.CodeInvalidCodeFormat)
	}
	// Wrong codes count down, then lock the challenge: even the right code
	// is refused.
	for i := range mapi.MaxChallengeAttempts {
		v := m.mustVerify(t, u.ID, ch.ID, wrongTOTPCode(t, en.TOTP.Secret, i), false)
		if v.AttemptsLeft != mapi.MaxChallengeAttempts-1-i {
			t.Errorf("attempt %d: attemptsLeft %d, want %d", i+1, v.AttemptsLeft, mapi.MaxChallengeAttempts-1-i)
		}
	}
	want(t, m.verify(t, u.ID, ch.ID, totpCode(t, en.TOTP.Secret)), http.StatusConflict, mgmt.CodeTooManyAttempts)

	// Unknown challenges, factors and users.
	want(t, m.verify(t, u.ID, "auth_challenge_nope", "123456"), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/factors/auth_factor_nope/challenge"}),
		http.StatusNotFound, mgmt.CodeNotFound)
	want(t, m.do(t, call{method: "GET", path: "/users/kp_00000000000000000000000000000000/mfa/factors"}),
		http.StatusNotFound, mgmt.CodeNotFound)
	// Another user's challenge is not this user's.
	other := m.user(t, "other@example.com")
	want(t, m.verify(t, other.ID, ch.ID, "123456"), http.StatusNotFound, mgmt.CodeNotFound)

	// Enrollment bodies the API refuses.
	for _, body := range []map[string]any{
		{"type": "backup_code"},
		{"type": "totp", "phoneNumber": "+15551234567"},
		{"type": "sms", "phoneNumber": "+15551234567", "email": "x@example.com"},
		{"type": "email", "totpIssuer": "Acme"},
	} {
		want(t, m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/factors", json: body, offSpec: body["type"] == "backup_code"}),
			http.StatusBadRequest, mgmt.CodeInvalidRequest)
	}
	want(t, m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/factors/" + en.Factor.ID + "/challenge",
		json: map[string]any{"smsTemplate": "no code here"}}), http.StatusBadRequest, mgmt.CodeInvalidRequest)
}

func testMFASMS(t *testing.T, m *mfaRun) {
	u := m.user(t, "sms@example.com")
	// Phone numbers that are not E.164 are refused before anything is sent.
	for _, phone := range []string{"", "5551234567", "+1 (555) 123-4567", "+0123456789", "+1555123456789012", "+1555abc4567"} {
		a := m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/factors", json: map[string]any{"type": "sms", "phoneNumber": phone}})
		want(t, a, http.StatusBadRequest, mgmt.CodeInvalidPhoneNumber)
	}
	if fs := m.factors(t, u.ID); len(fs) != 0 {
		t.Fatalf("refused numbers enrolled factors: %+v", fs)
	}
	const phone = "+15551234567"
	en := m.enroll(t, u.ID, map[string]any{"type": "sms", "phoneNumber": phone})
	if en.TOTP != nil || en.Factor.PhoneNumber != phone || en.Factor.Masked == "" || strings.Contains(en.Factor.Masked, "123") {
		t.Fatalf("SMS factor %+v", en.Factor)
	}

	since := time.Now()
	ch := m.challenge(t, u.ID, en.Factor.ID, map[string]any{"smsTemplate": "Your Acme code: {{code}}"})
	if ch.Type != mapi.FactorSMS || ch.ExpiresAt == nil {
		t.Fatalf("SMS challenge %+v", ch)
	}
	if ttl := ch.ExpiresAt.Sub(ch.CreatedAt); ttl != mapi.ChallengeTTL {
		t.Errorf("the challenge lasts %v, want %v", ttl, mapi.ChallengeTTL)
	}
	code, text := m.outboxCode(t, phone, since)
	if text != "Your Acme code: "+code {
		t.Errorf("SMS text %q does not follow the template", text)
	}
	// No second code within the cooldown.
	want(t, m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/factors/" + en.Factor.ID + "/challenge"}),
		http.StatusConflict, mgmt.CodeResendTooSoon)

	wrong := fmt.Sprintf("%06d", (mustAtoi(t, code)+1)%1000000)
	if v := m.mustVerify(t, u.ID, ch.ID, wrong, false); v.AttemptsLeft != mapi.MaxChallengeAttempts-1 {
		t.Errorf("attemptsLeft %d", v.AttemptsLeft)
	}
	v := m.mustVerify(t, u.ID, ch.ID, code, true)
	if v.Method != "sms" || v.Factor == nil || !v.Factor.Verified {
		t.Fatalf("verified %+v", v)
	}
	want(t, m.verify(t, u.ID, ch.ID, code), http.StatusConflict, mgmt.CodePreviouslyVerified)
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testMFAEmail(t *testing.T, m *mfaRun) {
	u := m.user(t, "email-factor@example.com")
	// The address defaults to the user's.
	en := m.enroll(t, u.ID, map[string]any{"type": "email"})
	if en.Factor.Email != u.Email || en.Factor.Masked == "" {
		t.Fatalf("email factor %+v", en.Factor)
	}
	since := time.Now()
	ch := m.challenge(t, u.ID, en.Factor.ID, nil)
	if ch.Type != mapi.FactorEmail || ch.ExpiresAt == nil {
		t.Fatalf("email challenge %+v", ch)
	}
	code, _ := m.outboxCode(t, u.Email, since)
	v := m.mustVerify(t, u.ID, ch.ID, code, true)
	if v.Method != "email" {
		t.Errorf("method %q", v.Method)
	}
}

func testMFABackupCodes(t *testing.T, m *mfaRun) {
	u := m.user(t, "backup@example.com")
	gen := func() mapi.BackupCodesResponse {
		t.Helper()
		a := m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/backup_codes"})
		want(t, a, http.StatusCreated, "")
		var resp mapi.BackupCodesResponse
		a.decode(t, &resp)
		if len(resp.Codes) != mapi.BackupCodeCount || resp.Factor.Type != mapi.FactorBackupCode || resp.Factor.Remaining != mapi.BackupCodeCount {
			t.Fatalf("backup codes %+v", resp)
		}
		return resp
	}
	useCode := func(code string) mgmt.MFABackupCodeResult {
		t.Helper()
		a := m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/backup_codes/verify", json: map[string]any{"code": code}})
		want(t, a, http.StatusOK, "")
		var res mgmt.MFABackupCodeResult
		a.decode(t, &res)
		return res
	}
	first := gen()
	// The codes are not shown again.
	a := m.do(t, call{method: "GET", path: "/users/" + u.ID + "/mfa/factors"})
	for _, c := range first.Codes {
		if strings.Contains(string(a.body), c) {
			t.Fatal("the factor list shows a backup code")
		}
	}
	res := useCode(first.Codes[0])
	if !res.Valid || res.Method != "kba" || res.Factor == nil || res.Factor.Remaining != mapi.BackupCodeCount-1 {
		t.Fatalf("first use %+v", res)
	}
	// Single use.
	if res := useCode(first.Codes[0]); res.Valid {
		t.Fatal("a backup code worked twice")
	}
	want(t, m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/backup_codes/verify", json: map[string]any{"code": "!!"}}),
		http.StatusBadRequest, mgmt.CodeInvalidCodeFormat)

	// A new set replaces the old one.
	second := gen()
	if res := useCode(first.Codes[1]); res.Valid {
		t.Fatal("a code of the replaced set still works")
	}
	if res := useCode(second.Codes[0]); !res.Valid {
		t.Fatal("a code of the new set does not work")
	}
	fs := m.factors(t, u.ID)
	if len(fs) != 1 || fs[0].Type != mapi.FactorBackupCode || fs[0].Remaining != mapi.BackupCodeCount-1 {
		t.Fatalf("factors %+v", fs)
	}
}

func testMFADeleteFactor(t *testing.T, m *mfaRun) {
	u := m.user(t, "delete@example.com")
	en := m.enroll(t, u.ID, map[string]any{"type": "totp"})
	path := "/users/" + u.ID + "/mfa/factors/" + en.Factor.ID
	// Not through another user.
	other := m.user(t, "delete-other@example.com")
	want(t, m.do(t, call{method: "DELETE", path: "/users/" + other.ID + "/mfa/factors/" + en.Factor.ID}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, m.do(t, call{method: "DELETE", path: path}), http.StatusNoContent, "")
	if fs := m.factors(t, u.ID); len(fs) != 0 {
		t.Fatalf("factors after delete %+v", fs)
	}
	want(t, m.do(t, call{method: "DELETE", path: path}), http.StatusNotFound, mgmt.CodeNotFound)
}

func testMFALockAndReset(t *testing.T, m *mfaRun) {
	u := m.user(t, "locked@example.com")
	en := m.enroll(t, u.ID, map[string]any{"type": "totp"})
	m.mustVerify(t, u.ID, m.challenge(t, u.ID, en.Factor.ID, nil).ID, totpCode(t, en.TOTP.Secret), true)
	bc := m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/backup_codes"})
	want(t, bc, http.StatusCreated, "")

	// MaxConsecutiveFailures wrong codes in a row, across challenges, lock
	// the user's factors.
	wrong := 0
	for wrong < mapi.MaxConsecutiveFailures {
		ch := m.challenge(t, u.ID, en.Factor.ID, nil)
		for range mapi.MaxChallengeAttempts {
			if wrong == mapi.MaxConsecutiveFailures {
				break
			}
			a := m.verify(t, u.ID, ch.ID, wrongTOTPCode(t, en.TOTP.Secret, wrong))
			wrong++
			if a.status != http.StatusOK {
				if wrong == mapi.MaxConsecutiveFailures {
					want(t, a, http.StatusConflict, mgmt.CodeFactorLocked)
					break
				}
				t.Fatalf("wrong code %d: %d %s", wrong, a.status, a.body)
			}
		}
	}
	a := m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/factors/" + en.Factor.ID + "/challenge"})
	if a.status == http.StatusCreated {
		var ch mapi.Challenge
		a.decode(t, &ch)
		a = m.verify(t, u.ID, ch.ID, totpCode(t, en.TOTP.Secret))
	}
	want(t, a, http.StatusConflict, mgmt.CodeFactorLocked)

	// An administrator's reset removes every factor and unlocks the user.
	a = m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/reset", json: map[string]any{"reason": "lost phone"}})
	want(t, a, http.StatusOK, "")
	var reset mapi.ResetResponse
	a.decode(t, &reset)
	if reset.Factors != 2 {
		t.Errorf("reset removed %d factors, want 2 (totp, backup codes)", reset.Factors)
	}
	if fs := m.factors(t, u.ID); len(fs) != 0 {
		t.Fatalf("factors after reset %+v", fs)
	}
	en = m.enroll(t, u.ID, map[string]any{"type": "totp"})
	ch := m.challenge(t, u.ID, en.Factor.ID, nil)
	m.mustVerify(t, u.ID, ch.ID, wrongTOTPCode(t, en.TOTP.Secret, 0), false)

	// No body is needed; the user must exist.
	a = m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/reset"})
	want(t, a, http.StatusOK, "")
	a.decode(t, &reset)
	if reset.Factors != 1 {
		t.Errorf("second reset removed %d factors, want 1", reset.Factors)
	}
	want(t, m.do(t, call{method: "POST", path: "/users/kp_00000000000000000000000000000000/mfa/reset"}), http.StatusNotFound, mgmt.CodeNotFound)
}

func testMFAPolicy(t *testing.T, m *mfaRun) {
	get := func() mapi.Policy {
		t.Helper()
		a := m.do(t, call{method: "GET", path: "/mfa/policy"})
		want(t, a, http.StatusOK, "")
		var p mapi.Policy
		a.decode(t, &p)
		return p
	}
	// The default: off, every factor allowed.
	p := get()
	if p.Env != mfaEnv || p.Policy != mapi.PolicyOff || len(p.AllowedFactors) != 4 || p.RequiredSince != nil {
		t.Fatalf("default policy %+v", p)
	}

	body := map[string]any{"policy": "required", "allowedFactors": []string{"totp", "backup_code"},
		"exemptRoles": []string{"break-glass"}, "exemptConnections": []string{"conn_enterprise"},
		"gracePeriod": 7 * 24 * 3600, "stepUpMaxAge": 3600}
	a := m.do(t, call{method: "PUT", path: "/mfa/policy", json: body})
	want(t, a, http.StatusOK, "")
	var put mapi.Policy
	a.decode(t, &put)
	for _, q := range []mapi.Policy{put, get()} {
		if q.Policy != mapi.PolicyRequired || !slices.Equal(q.AllowedFactors, []mapi.FactorType{mapi.FactorTOTP, mapi.FactorBackupCode}) ||
			!slices.Equal(q.ExemptRoles, []string{"break-glass"}) || !slices.Equal(q.ExemptConnections, []string{"conn_enterprise"}) ||
			time.Duration(q.GracePeriod) != 7*24*time.Hour || time.Duration(q.StepUpMaxAge) != time.Hour || q.RequiredSince == nil {
			t.Fatalf("policy %+v", q)
		}
	}

	// Factor types the policy does not allow cannot be enrolled.
	u := m.user(t, "policy@example.com")
	want(t, m.do(t, call{method: "POST", path: "/users/" + u.ID + "/mfa/factors", json: map[string]any{"type": "sms", "phoneNumber": "+15557654321"}}),
		http.StatusConflict, mgmt.CodeFactorNotAllowed)
	m.enroll(t, u.ID, map[string]any{"type": "totp"})

	// Refused bodies change nothing.
	for _, bad := range []any{
		map[string]any{},
		map[string]any{"policy": "sometimes"},
		map[string]any{"policy": "required", "allowedFactors": []string{"webauthn"}},
		map[string]any{"policy": "required", "allowedFactors": []string{}},
		map[string]any{"policy": "required", "allowedFactors": []string{"totp", "totp"}},
		map[string]any{"policy": "required", "gracePeriod": -1},
		map[string]any{"policy": "required", "stepUpMaxAge": 400 * 24 * 3600},
		map[string]any{"policy": "required", "exemptRoles": []string{""}},
		map[string]any{"policy": "required", "gracePeriod": "1d"},
		map[string]any{"policy": "required", "mfaRequired": true},
	} {
		want(t, m.do(t, call{method: "PUT", path: "/mfa/policy", json: bad, offSpec: true}), http.StatusBadRequest, mgmt.CodeInvalidRequest)
	}
	if q := get(); q.Policy != mapi.PolicyRequired || len(q.AllowedFactors) != 2 {
		t.Fatalf("a refused body changed the policy: %+v", q)
	}

	// Back to the default for the other scenarios: absent fields reset.
	a = m.do(t, call{method: "PUT", path: "/mfa/policy", json: map[string]any{"policy": "off"}})
	want(t, a, http.StatusOK, "")
	if q := get(); q.Policy != mapi.PolicyOff || len(q.AllowedFactors) != 4 || len(q.ExemptRoles) != 0 || q.GracePeriod != 0 {
		t.Fatalf("policy after reset %+v", q)
	}
}

func testMFAOrgPolicy(t *testing.T, m *mfaRun) {
	org, err := m.h.ids.CreateOrganization(testContext(t), mfaEnv, "Initech")
	if err != nil {
		t.Fatal(err)
	}
	path := "/organizations/" + org.Code + "/mfa/policy"
	// None yet: the environment's applies.
	want(t, m.do(t, call{method: "GET", path: path}), http.StatusNotFound, mgmt.CodeNotFound)

	a := m.do(t, call{method: "PUT", path: path, json: map[string]any{"policy": "required", "allowedFactors": []string{"totp"}}})
	want(t, a, http.StatusOK, "")
	var p mapi.OrgPolicy
	a.decode(t, &p)
	if p.OrgCode != org.Code || p.Policy != mapi.PolicyRequired || !slices.Equal(p.AllowedFactors, []mapi.FactorType{mapi.FactorTOTP}) ||
		p.RequiredSince == nil {
		t.Fatalf("org policy %+v", p)
	}
	a = m.do(t, call{method: "PUT", path: path, json: map[string]any{"policy": "off"}})
	want(t, a, http.StatusOK, "")
	a = m.do(t, call{method: "GET", path: path})
	want(t, a, http.StatusOK, "")
	var got mapi.OrgPolicy
	a.decode(t, &got)
	if got.Policy != mapi.PolicyOff || len(got.AllowedFactors) != 0 || got.RequiredSince != nil {
		t.Fatalf("org policy after update %+v", got)
	}

	want(t, m.do(t, call{method: "PUT", path: path, json: map[string]any{"policy": "maybe"}, offSpec: true}),
		http.StatusBadRequest, mgmt.CodeInvalidRequest)
	want(t, m.do(t, call{method: "PUT", path: path, json: map[string]any{"policy": "off", "exemptRoles": []string{"x"}}, offSpec: true}),
		http.StatusBadRequest, mgmt.CodeInvalidRequest)
	want(t, m.do(t, call{method: "PUT", path: "/organizations/org_00000000000000000000000000000000/mfa/policy",
		json: map[string]any{"policy": "off"}}), http.StatusNotFound, mgmt.CodeNotFound)

	want(t, m.do(t, call{method: "DELETE", path: path}), http.StatusNoContent, "")
	want(t, m.do(t, call{method: "GET", path: path}), http.StatusNotFound, mgmt.CodeNotFound)
}

func testMFAStats(t *testing.T, m *mfaRun) {
	stats := func(query string) mapi.Stats {
		t.Helper()
		a := m.do(t, call{method: "GET", path: "/mfa/stats" + query})
		want(t, a, http.StatusOK, "")
		var s mapi.Stats
		a.decode(t, &s)
		return s
	}
	// Every user of the environment counts; those with a verified factor
	// are enrolled.
	users, err := m.h.ids.ListUsers(testContext(t), mfaEnv, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	enrolled := 0
	for _, u := range users {
		if slices.ContainsFunc(m.factors(t, u.ID), func(f mapi.Factor) bool { return f.Verified }) {
			enrolled++
		}
	}
	s := stats("")
	if s.Env != mfaEnv || s.TotalUsers != len(users) || s.Enrolled != enrolled || enrolled == 0 {
		t.Fatalf("stats %+v; want %d users, %d enrolled", s, len(users), enrolled)
	}
	if want := float64(enrolled) / float64(len(users)); s.Rate < want-1e-9 || s.Rate > want+1e-9 {
		t.Errorf("rate %v, want %v", s.Rate, want)
	}

	// Of one organization: one member enrolled, one not.
	ctx := testContext(t)
	org, err := m.h.ids.CreateOrganization(ctx, mfaEnv, "Stats Org")
	if err != nil {
		t.Fatal(err)
	}
	in, out := m.user(t, "member-enrolled@example.com"), m.user(t, "member-plain@example.com")
	en := m.enroll(t, in.ID, map[string]any{"type": "totp"})
	m.mustVerify(t, in.ID, m.challenge(t, in.ID, en.Factor.ID, nil).ID, totpCode(t, en.TOTP.Secret), true)
	for _, u := range []*identity.User{in, out} {
		if _, err := m.h.ids.SetMembership(ctx, mfaEnv, org.Code, u.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	s = stats("?orgCode=" + org.Code)
	if s.OrgCode != org.Code || s.TotalUsers != 2 || s.Enrolled != 1 || s.Rate != 0.5 || s.ByFactor[mapi.FactorTOTP] != 1 {
		t.Fatalf("org stats %+v", s)
	}
	want(t, m.do(t, call{method: "GET", path: "/mfa/stats?orgCode=org_00000000000000000000000000000000"}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, m.do(t, call{method: "GET", path: "/mfa/stats?org=x"}), http.StatusBadRequest, mgmt.CodeInvalidRequest)
}

func testMFAScopes(t *testing.T, m *mfaRun) {
	for _, s := range []string{mgmt.ScopeReadMFA, mgmt.ScopeWriteMFA} {
		if !slices.Contains(mgmt.AllScopes(), s) || !mgmt.KnownScope(s) {
			t.Errorf("%s is not among the management scopes", s)
		}
	}
	u := m.user(t, "scopes@example.com")
	users := m.h.token(t, mfaEnv, mgmt.ScopeReadUsers, mgmt.ScopeWriteUsers)
	readMFA := m.h.token(t, mfaEnv, mgmt.ScopeReadMFA)
	for _, c := range []struct {
		token, method, path string
		body                any
		scope, has          string
	}{
		{users, "GET", "/mfa/policy", nil, mgmt.ScopeReadMFA, "read:users write:users"},
		{users, "PUT", "/mfa/policy", map[string]any{"policy": "required"}, mgmt.ScopeWriteMFA, "read:users write:users"},
		{users, "GET", "/mfa/stats", nil, mgmt.ScopeReadMFA, "read:users write:users"},
		{users, "DELETE", "/organizations/org_x/mfa/policy", nil, mgmt.ScopeWriteMFA, "read:users write:users"},
		{readMFA, "PUT", "/mfa/policy", map[string]any{"policy": "required"}, mgmt.ScopeWriteMFA, "read:mfa"},
		{readMFA, "GET", "/users/" + u.ID + "/mfa/factors", nil, mgmt.ScopeReadUsers, "read:mfa"},
		{readMFA, "POST", "/users/" + u.ID + "/mfa/factors", map[string]any{"type": "totp"}, mgmt.ScopeWriteUsers, "read:mfa"},
		{readMFA, "POST", "/users/" + u.ID + "/mfa/reset", nil, mgmt.ScopeWriteUsers, "read:mfa"},
	} {
		a := m.do(t, call{token: c.token, method: c.method, path: c.path, json: c.body})
		want(t, a, http.StatusForbidden, mgmt.CodeInsufficientScope)
		_, msg := a.errorCode(t)
		if !strings.Contains(msg, "needs scope "+c.scope) {
			t.Errorf("%s %s: message %q does not name %s", c.method, c.path, msg, c.scope)
		}
		for _, s := range strings.Fields(c.has) {
			if !strings.Contains(msg, s) {
				t.Errorf("%s %s: message %q does not name the token's scope %s", c.method, c.path, msg, s)
			}
		}
		if ch := a.header.Get("WWW-Authenticate"); ch != `Bearer error="insufficient_scope", scope="`+c.scope+`"` {
			t.Errorf("%s %s: WWW-Authenticate %q", c.method, c.path, ch)
		}
	}
	// The refused requests changed nothing.
	if fs := m.factors(t, u.ID); len(fs) != 0 {
		t.Fatalf("a token without write:users enrolled %+v", fs)
	}
	want(t, m.do(t, call{token: readMFA, method: "GET", path: "/mfa/stats"}), http.StatusOK, "")
}
