package mfa_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

func TestTOTPCodesFromOathtool(t *testing.T) {
	h := newHarness(t)
	const user = "user_totp"
	e := h.enrollTOTP(user)
	f, totp := e.Factor, e.TOTP
	if !strings.HasPrefix(f.ID, "auth_factor_") || f.Type != api.FactorTOTP || f.Verified || totp == nil {
		t.Fatalf("enrollment %+v", e)
	}
	u, err := url.Parse(totp.URI)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != totp.Secret ||
		u.Query().Get("issuer") != "Acme" || u.Path != "/Acme:"+user+"@example.com" {
		t.Fatalf("otpauth URI %q", totp.URI)
	}
	raw, ok := strings.CutPrefix(totp.QRCode, "data:image/png;base64,")
	if !ok {
		t.Fatalf("QR code is not a PNG data URI: %.40s", totp.QRCode)
	}
	pngBytes, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(pngBytes)); err != nil || img.Bounds().Dx() < 100 {
		t.Fatalf("QR code PNG: %v", err)
	}

	// Not usable before its first code.
	if c := h.context(api.ContextRequest{UserID: user}); len(c.Factors) != 0 {
		t.Fatalf("an unverified factor counts for sign-in: %+v", c.Factors)
	}

	c := h.mustChallenge(user, f.ID)
	if !strings.HasPrefix(c.ID, "auth_challenge_") || c.ExpiresAt != nil || c.FactorID != f.ID {
		t.Fatalf("TOTP challenge %+v", c)
	}
	now := h.clock.Now()
	code := oathtool(t, totp.Secret, now)
	r := h.mustVerify(user, c.ID, code)
	if !r.Valid || r.Factor == nil || !r.Factor.Verified || r.Method != "otp" || r.Factor.LastUsedAt == nil {
		t.Fatalf("first code: %+v", r)
	}
	if got := h.context(api.ContextRequest{UserID: user}); len(got.Factors) != 1 || got.Factors[0].ID != f.ID {
		t.Fatalf("verified factor missing from the context: %+v", got.Factors)
	}
	if n := h.counter("gatehouse_mfa_enrollments_total", map[string]string{"factor": "totp"}); n != 1 {
		t.Fatalf("enrollments counted %v", n)
	}

	// The same code, in a new challenge within the same time step: replay.
	c2 := h.mustChallenge(user, f.ID)
	if r := h.mustVerify(user, c2.ID, code); r.Valid {
		t.Fatal("a TOTP code was accepted twice")
	}

	// One step of skew either way is accepted, two are not.
	h.clock.Advance(5 * 30 * time.Second)
	if r := h.mustVerify(user, c2.ID, oathtool(t, totp.Secret, h.clock.Now().Add(30*time.Second))); !r.Valid {
		t.Fatalf("the code of the next step was refused: %+v", r)
	}
	h.clock.Advance(5 * 30 * time.Second)
	c3 := h.mustChallenge(user, f.ID)
	if r := h.mustVerify(user, c3.ID, oathtool(t, totp.Secret, h.clock.Now().Add(-30*time.Second))); !r.Valid {
		t.Fatalf("the code of the previous step was refused: %+v", r)
	}
	h.clock.Advance(5 * 30 * time.Second)
	c4 := h.mustChallenge(user, f.ID)
	for _, d := range []time.Duration{2 * 30 * time.Second, -2 * 30 * time.Second} {
		if r := h.mustVerify(user, c4.ID, oathtool(t, totp.Secret, h.clock.Now().Add(d))); r.Valid {
			t.Fatalf("a code %v away was accepted", d)
		}
	}
	if r := h.mustVerify(user, c4.ID, oathtool(t, totp.Secret, h.clock.Now())); !r.Valid {
		t.Fatalf("the current code was refused after two wrong ones: %+v", r)
	}
	if n := h.counter("gatehouse_mfa_verifications_total", map[string]string{"factor": "totp", "outcome": "valid"}); n != 4 {
		t.Fatalf("valid verifications counted %v, want 4", n)
	}
	if n := h.counter("gatehouse_mfa_verifications_total", map[string]string{"factor": "totp", "outcome": "invalid"}); n != 3 {
		t.Fatalf("invalid verifications counted %v, want 3", n)
	}
}

func TestChallengeErrors(t *testing.T) {
	h := newHarness(t)
	const user = "user_errors"
	e := h.enrollTOTP(user)
	c := h.mustChallenge(user, e.Factor.ID)
	for _, bad := range []string{"12345", "abc123", "1234567", "12 456"} {
		_, err := h.verify(user, c.ID, bad)
		wantReason(t, err, natsrpc.CodeInvalidArgument, api.ReasonInvalidCodeFormat)
	}
	code := oathtool(t, e.TOTP.Secret, h.clock.Now())
	if r := h.mustVerify(user, c.ID, code); !r.Valid {
		t.Fatalf("code refused: %+v", r)
	}
	_, err := h.verify(user, c.ID, code)
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonPreviouslyVerified)

	// Five wrong codes lock the challenge, even for the right code after.
	h.clock.Advance(time.Minute)
	c2 := h.mustChallenge(user, e.Factor.ID)
	right := oathtool(t, e.TOTP.Secret, h.clock.Now())
	wrong := wrongCode(right, oathtool(t, e.TOTP.Secret, h.clock.Now().Add(-30*time.Second)),
		oathtool(t, e.TOTP.Secret, h.clock.Now().Add(30*time.Second)))
	for i := 1; i <= api.MaxChallengeAttempts; i++ {
		r := h.mustVerify(user, c2.ID, wrong)
		if r.Valid || r.AttemptsLeft != api.MaxChallengeAttempts-i {
			t.Fatalf("wrong code %d: %+v", i, r)
		}
	}
	_, err = h.verify(user, c2.ID, right)
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonTooManyAttempts)
	if n := h.counter("gatehouse_mfa_lockouts_total", map[string]string{"kind": "challenge"}); n != 1 {
		t.Fatalf("challenge lockouts counted %v", n)
	}
	// A new challenge works.
	c3 := h.mustChallenge(user, e.Factor.ID)
	if r := h.mustVerify(user, c3.ID, right); !r.Valid {
		t.Fatalf("a new challenge refused the right code: %+v", r)
	}

	// Another user's challenge, or an unknown one, is not found.
	_, err = h.verify("someone_else", c3.ID, right)
	if !natsrpc.IsCode(err, natsrpc.CodeNotFound) {
		t.Fatalf("another user's challenge: %v", err)
	}
	_, err = h.challenge("someone_else", e.Factor.ID)
	if !natsrpc.IsCode(err, natsrpc.CodeNotFound) {
		t.Fatalf("another user's factor: %v", err)
	}
}
