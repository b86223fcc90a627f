package mfa_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

func (h *harness) backupCodes(user string) api.BackupCodesResponse {
	h.t.Helper()
	return must[api.UserRequest, api.BackupCodesResponse](h.t, h.nc, api.SubjectGenerateBackupCodes, api.UserRequest{Env: env, UserID: user})
}

func (h *harness) useBackupCode(user, code string) (api.VerifyResponse, error) {
	h.t.Helper()
	return call[api.BackupCodeRequest, api.VerifyResponse](h.t, h.nc, api.SubjectVerifyBackupCode,
		api.BackupCodeRequest{Env: env, UserID: user, Code: code})
}

func TestBackupCodes(t *testing.T) {
	h := newHarness(t)
	const user = "user_backup"
	set := h.backupCodes(user)
	seen := map[string]bool{}
	for _, c := range set.Codes {
		seen[c] = true
	}
	if len(set.Codes) != api.BackupCodeCount || len(seen) != api.BackupCodeCount || set.Factor.Type != api.FactorBackupCode ||
		set.Factor.Remaining != api.BackupCodeCount || !set.Factor.Verified {
		t.Fatalf("backup codes %+v", set)
	}
	r, err := h.useBackupCode(user, strings.ToUpper(set.Codes[0]))
	if err != nil || !r.Valid || r.Method != "kba" || r.Factor == nil || r.Factor.Remaining != api.BackupCodeCount-1 {
		t.Fatalf("first use: %+v %v", r, err)
	}
	if r, err := h.useBackupCode(user, set.Codes[0]); err != nil || r.Valid {
		t.Fatalf("second use of a backup code: %+v %v", r, err)
	}
	_, err = h.useBackupCode(user, "123456")
	wantReason(t, err, natsrpc.CodeInvalidArgument, api.ReasonInvalidCodeFormat)

	// Regenerating invalidates every old code.
	fresh := h.backupCodes(user)
	if fresh.Factor.ID != set.Factor.ID || fresh.Factor.Remaining != api.BackupCodeCount {
		t.Fatalf("regenerated %+v", fresh.Factor)
	}
	if r, err := h.useBackupCode(user, set.Codes[1]); err != nil || r.Valid {
		t.Fatalf("an old backup code after regeneration: %+v %v", r, err)
	}
	if r, err := h.useBackupCode(user, fresh.Codes[1]); err != nil || !r.Valid {
		t.Fatalf("a new backup code: %+v %v", r, err)
	}
	// Backup codes are per user.
	if r, err := h.useBackupCode("someone_else", fresh.Codes[2]); err != nil || r.Valid {
		t.Fatalf("another user's backup code: %+v %v", r, err)
	}
	list := must[api.UserRequest, api.FactorsResponse](t, h.nc, api.SubjectFactors, api.UserRequest{Env: env, UserID: user})
	if len(list.Factors) != 1 || list.Factors[0].Remaining != api.BackupCodeCount-1 {
		t.Fatalf("factors %+v", list.Factors)
	}
}

func TestConsecutiveFailuresLockUntilReset(t *testing.T) {
	h := newHarness(t)
	const user = "user_lock"
	e := h.enrollTOTP(user)
	h.backupCodes(user)
	secret := e.TOTP.Secret
	now := h.clock.Now()
	wrong := wrongCode(oathtool(t, secret, now), oathtool(t, secret, now.Add(-30*time.Second)), oathtool(t, secret, now.Add(30*time.Second)))
	for failures := 0; failures < api.MaxConsecutiveFailures; {
		c := h.mustChallenge(user, e.Factor.ID)
		for j := 0; j < api.MaxChallengeAttempts && failures < api.MaxConsecutiveFailures; j++ {
			if r := h.mustVerify(user, c.ID, wrong); r.Valid {
				t.Fatal("a wrong code was accepted")
			}
			failures++
		}
		if failures == api.MaxConsecutiveFailures-1 {
			if n := h.counter("gatehouse_mfa_lockouts_total", map[string]string{"kind": "user"}); n != 0 {
				t.Fatalf("locked after %d failures", failures)
			}
		}
	}
	if n := h.counter("gatehouse_mfa_lockouts_total", map[string]string{"kind": "user"}); n != 1 {
		t.Fatalf("user lockouts counted %v", n)
	}
	_, err := h.challenge(user, e.Factor.ID)
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonFactorLocked)
	_, err = h.useBackupCode(user, "abcde-fghjk")
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonFactorLocked)
	if c := h.context(api.ContextRequest{UserID: user}); !c.Locked {
		t.Fatal("the context does not say locked")
	}

	_, err = call[api.ResetRequest, api.ResetResponse](t, h.nc, api.SubjectReset, api.ResetRequest{Env: env, UserID: user})
	if !natsrpc.IsCode(err, natsrpc.CodeInvalidArgument) {
		t.Fatalf("reset without an actor: %v", err)
	}
	reset := must[api.ResetRequest, api.ResetResponse](t, h.nc, api.SubjectReset,
		api.ResetRequest{Env: env, UserID: user, Actor: "admin_7", Reason: "lost phone, identity checked"})
	if reset.Factors != 2 {
		t.Fatalf("reset removed %d factors, want 2", reset.Factors)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, `"actor":"admin_7"`) || !strings.Contains(logs, `"reason":"lost phone, identity checked"`) {
		t.Fatalf("the reset is not logged with its actor and reason:\n%s", logs)
	}
	c := h.context(api.ContextRequest{UserID: user})
	if c.Locked || len(c.Factors) != 0 {
		t.Fatalf("after reset: %+v", c)
	}
	list := must[api.UserRequest, api.FactorsResponse](t, h.nc, api.SubjectFactors, api.UserRequest{Env: env, UserID: user})
	if len(list.Factors) != 0 {
		t.Fatalf("factors after reset: %+v", list.Factors)
	}
	// Enrolling again works.
	e2 := h.enrollTOTP(user)
	c2 := h.mustChallenge(user, e2.Factor.ID)
	if r := h.mustVerify(user, c2.ID, oathtool(t, e2.TOTP.Secret, h.clock.Now())); !r.Valid {
		t.Fatalf("after reset: %+v", r)
	}
}

func TestSuccessEndsARunOfFailures(t *testing.T) {
	h := newHarness(t)
	const user = "user_run"
	set := h.backupCodes(user)
	for i := 0; i < api.MaxConsecutiveFailures-1; i++ {
		if r, err := h.useBackupCode(user, "zzzzz-zzzzz"); err != nil || r.Valid {
			t.Fatalf("wrong backup code %d: %+v %v", i, r, err)
		}
	}
	if r, err := h.useBackupCode(user, set.Codes[0]); err != nil || !r.Valid {
		t.Fatalf("right code: %+v %v", r, err)
	}
	for i := 0; i < api.MaxConsecutiveFailures-1; i++ {
		if _, err := h.useBackupCode(user, "zzzzz-zzzzz"); err != nil {
			t.Fatalf("wrong backup code %d after a success: %v", i, err)
		}
	}
	if c := h.context(api.ContextRequest{UserID: user}); c.Locked {
		t.Fatal("locked although a right code broke the run")
	}
}

func TestDeleteFactor(t *testing.T) {
	h := newHarness(t)
	e := h.enrollTOTP("user_del")
	req := api.FactorRequest{Env: env, UserID: "user_del", FactorID: e.Factor.ID}
	must[api.FactorRequest, api.Empty](t, h.nc, api.SubjectDeleteFactor, req)
	if _, err := call[api.FactorRequest, api.Empty](t, h.nc, api.SubjectDeleteFactor, req); !natsrpc.IsCode(err, natsrpc.CodeNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := h.challenge("user_del", e.Factor.ID); !natsrpc.IsCode(err, natsrpc.CodeNotFound) {
		t.Fatalf("challenge of a deleted factor: %v", err)
	}
}
