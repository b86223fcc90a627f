package mfa_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// lastSMSCode is the code of the last SMS the provider received.
func (h *harness) lastSMSCode() string {
	h.t.Helper()
	reqs := h.sms.requests()
	if len(reqs) == 0 {
		h.t.Fatal("no SMS was sent")
	}
	return regexp.MustCompile(`[0-9]{6}`).FindString(reqs[len(reqs)-1].body)
}

// TestChallengesAreBoundToTheirUserAndEnvironment: a challenge, a factor
// and backup codes of user A in one environment are not found (nor count
// as A's failures) when named by user B or in another environment.
func TestChallengesAreBoundToTheirUserAndEnvironment(t *testing.T) {
	h := newHarness(t)
	const user = "user_bound"
	e := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+15551234567"})
	c := h.mustChallenge(user, e.Factor.ID)
	code := h.lastSMSCode()
	set := h.backupCodes(user)

	for _, who := range []struct{ env, user string }{{env, "user_intruder"}, {"staging", user}} {
		_, err := call[api.VerifyRequest, api.VerifyResponse](t, h.nc, api.SubjectVerify,
			api.VerifyRequest{Env: who.env, UserID: who.user, ChallengeID: c.ID, Code: code})
		if !natsrpc.IsCode(err, natsrpc.CodeNotFound) {
			t.Fatalf("the challenge verified as %s in %s: %v", who.user, who.env, err)
		}
		_, err = call[api.ChallengeRequest, api.Challenge](t, h.nc, api.SubjectChallenge,
			api.ChallengeRequest{Env: who.env, UserID: who.user, FactorID: e.Factor.ID})
		if !natsrpc.IsCode(err, natsrpc.CodeNotFound) {
			t.Fatalf("the factor challenged as %s in %s: %v", who.user, who.env, err)
		}
		_, err = call[api.FactorRequest, api.Empty](t, h.nc, api.SubjectDeleteFactor,
			api.FactorRequest{Env: who.env, UserID: who.user, FactorID: e.Factor.ID})
		if !natsrpc.IsCode(err, natsrpc.CodeNotFound) {
			t.Fatalf("the factor deleted as %s in %s: %v", who.user, who.env, err)
		}
		r, err := call[api.BackupCodeRequest, api.VerifyResponse](t, h.nc, api.SubjectVerifyBackupCode,
			api.BackupCodeRequest{Env: who.env, UserID: who.user, Code: set.Codes[0]})
		if err != nil || r.Valid {
			t.Fatalf("a backup code used as %s in %s: %+v %v", who.user, who.env, r, err)
		}
	}
	// Still A's, untouched: no attempt was counted on the challenge.
	r := h.mustVerify(user, c.ID, code)
	if !r.Valid {
		t.Fatalf("the owner's code: %+v", r)
	}
	if r, err := h.useBackupCode(user, set.Codes[0]); err != nil || !r.Valid {
		t.Fatalf("the owner's backup code: %+v %v", r, err)
	}
}

// TestDeletingAFactorEndsItsOpenChallenges: ASVS 6.5.6 (a factor can be
// revoked) — the code already sent for a deleted factor no longer works.
func TestDeletingAFactorEndsItsOpenChallenges(t *testing.T) {
	h := newHarness(t)
	const user = "user_revoke"
	e := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+15551234567"})
	c := h.mustChallenge(user, e.Factor.ID)
	code := h.lastSMSCode()
	must[api.FactorRequest, api.Empty](t, h.nc, api.SubjectDeleteFactor, api.FactorRequest{Env: env, UserID: user, FactorID: e.Factor.ID})
	if _, err := h.verify(user, c.ID, code); !natsrpc.IsCode(err, natsrpc.CodeNotFound) {
		t.Fatalf("the code of a deleted factor: %v", err)
	}
}

// TestResetEndsEveryOpenChallengeAndCode: after a reset nothing issued
// before it works: open challenges of every kind, backup codes.
func TestResetEndsEveryOpenChallengeAndCode(t *testing.T) {
	h := newHarness(t)
	const user = "user_reset_all"
	totp := verifiedTOTP(h, user)
	tc := h.mustChallenge(user, totp.Factor.ID)
	sms := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+15551234567"})
	sc := h.mustChallenge(user, sms.Factor.ID)
	code := h.lastSMSCode()
	set := h.backupCodes(user)

	reset := must[api.ResetRequest, api.ResetResponse](t, h.nc, api.SubjectReset,
		api.ResetRequest{Env: env, UserID: user, Actor: "admin_1", Reason: "lost phone"})
	if reset.Factors != 3 {
		t.Fatalf("reset removed %d factors, want 3", reset.Factors)
	}
	if _, err := h.verify(user, tc.ID, oathtool(t, totp.TOTP.Secret, h.clock.Now())); !natsrpc.IsCode(err, natsrpc.CodeNotFound) {
		t.Fatalf("a TOTP challenge after a reset: %v", err)
	}
	if _, err := h.verify(user, sc.ID, code); !natsrpc.IsCode(err, natsrpc.CodeNotFound) {
		t.Fatalf("an SMS code after a reset: %v", err)
	}
	for _, bc := range set.Codes {
		if r, err := h.useBackupCode(user, bc); err != nil || r.Valid {
			t.Fatalf("a backup code after a reset: %+v %v", r, err)
		}
	}
	var rows int
	if err := h.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM mfa.factors WHERE user_id = $1)
		+ (SELECT count(*) FROM mfa.challenges WHERE user_id = $1)`, user).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Fatalf("%d factor and challenge rows left after a reset", rows)
	}
}

// TestTOTPSecretIsBoundToItsFactor: the secret's ciphertext is bound to
// its environment, purpose and factor id (the keys service's associated
// data), so a ciphertext copied onto another factor's row does not open.
func TestTOTPSecretIsBoundToItsFactor(t *testing.T) {
	h := newHarness(t)
	a := h.enrollTOTP("user_aad_a")
	b := h.enrollTOTP("user_aad_b")
	ctx := context.Background()
	if _, err := h.pool.Exec(ctx, `UPDATE mfa.factors SET secret_ciphertext = (SELECT secret_ciphertext FROM mfa.factors WHERE id = $2)
		WHERE id = $1`, a.Factor.ID, b.Factor.ID); err != nil {
		t.Fatal(err)
	}
	c := h.mustChallenge("user_aad_a", a.Factor.ID)
	for _, secret := range []string{a.TOTP.Secret, b.TOTP.Secret} {
		r, err := h.verify("user_aad_a", c.ID, oathtool(t, secret, h.clock.Now()))
		if err == nil || r.Valid {
			t.Fatalf("a secret moved to another factor was used: %+v %v", r, err)
		}
	}
	// The factor whose ciphertext it is still works.
	cb := h.mustChallenge("user_aad_b", b.Factor.ID)
	if r := h.mustVerify("user_aad_b", cb.ID, oathtool(t, b.TOTP.Secret, h.clock.Now())); !r.Valid {
		t.Fatalf("the factor's own secret: %+v", r)
	}
}
