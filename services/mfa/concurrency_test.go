package mfa_test

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// outcome is one answer of a concurrent call.
type outcome struct {
	resp api.VerifyResponse
	err  error
}

// together runs n calls at once (released by one barrier) and returns
// their answers in call order.
func together(n int, f func(i int) (api.VerifyResponse, error)) []outcome {
	out := make([]outcome, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			r, err := f(i)
			out[i] = outcome{r, err}
		})
	}
	close(start)
	wg.Wait()
	return out
}

// tally counts valid answers, wrong-code answers and errors by reason.
func tally(t *testing.T, outs []outcome) (valid, wrong int, reasons map[string]int) {
	t.Helper()
	reasons = map[string]int{}
	for _, o := range outs {
		switch {
		case o.err != nil:
			r := api.ReasonOf(o.err)
			if r == "" {
				t.Fatalf("an unexpected error: %v", o.err)
			}
			reasons[r]++
		case o.resp.Valid:
			valid++
		default:
			wrong++
		}
	}
	return valid, wrong, reasons
}

// verifiedTOTP enrolls a TOTP factor of user and proves it once, then
// moves the clock two time steps on.
func verifiedTOTP(h *harness, user string) api.EnrollResponse {
	h.t.Helper()
	e := h.enrollTOTP(user)
	c := h.mustChallenge(user, e.Factor.ID)
	if r := h.mustVerify(user, c.ID, oathtool(h.t, e.TOTP.Secret, h.clock.Now())); !r.Valid {
		h.t.Fatalf("first code of %s refused: %+v", user, r)
	}
	h.clock.Advance(2 * 30 * time.Second)
	return e
}

// TestOneTOTPCodeWinsOnceUnderConcurrency: RFC 6238 §5.2 — the same code
// sent at once to eight challenges of one factor, or eight times to one
// challenge, is accepted exactly once.
func TestOneTOTPCodeWinsOnceUnderConcurrency(t *testing.T) {
	h := newHarness(t)
	const user = "user_race_totp"
	e := verifiedTOTP(h, user)
	const n = 8

	challenges := make([]api.Challenge, n)
	for i := range challenges {
		challenges[i] = h.mustChallenge(user, e.Factor.ID)
	}
	code := oathtool(t, e.TOTP.Secret, h.clock.Now())
	valid, wrong, reasons := tally(t, together(n, func(i int) (api.VerifyResponse, error) {
		return h.verify(user, challenges[i].ID, code)
	}))
	if valid != 1 || wrong != n-1 || len(reasons) != 0 {
		t.Fatalf("one code in %d challenges at once: %d valid, %d refused, errors %v; want exactly one valid", n, valid, wrong, reasons)
	}

	h.clock.Advance(2 * 30 * time.Second)
	c := h.mustChallenge(user, e.Factor.ID)
	code = oathtool(t, e.TOTP.Secret, h.clock.Now())
	valid, wrong, reasons = tally(t, together(n, func(int) (api.VerifyResponse, error) { return h.verify(user, c.ID, code) }))
	if valid != 1 || wrong != 0 || reasons[api.ReasonPreviouslyVerified] != n-1 {
		t.Fatalf("one code %d times in one challenge at once: %d valid, %d refused, errors %v", n, valid, wrong, reasons)
	}
}

// TestOneSMSCodeWinsOnceUnderConcurrency: an out-of-band code is usable
// once (NIST SP 800-63B §5.1.3.2, ASVS 6.5.1), however many requests race.
func TestOneSMSCodeWinsOnceUnderConcurrency(t *testing.T) {
	h := newHarness(t)
	const user = "user_race_sms"
	e := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+15551234567"})
	c := h.mustChallenge(user, e.Factor.ID)
	reqs := h.sms.requests()
	code := regexp.MustCompile(`[0-9]{6}`).FindString(reqs[len(reqs)-1].body)
	const n = 8
	valid, wrong, reasons := tally(t, together(n, func(int) (api.VerifyResponse, error) { return h.verify(user, c.ID, code) }))
	if valid != 1 || wrong != 0 || reasons[api.ReasonPreviouslyVerified] != n-1 {
		t.Fatalf("one SMS code %d times at once: %d valid, %d refused, errors %v", n, valid, wrong, reasons)
	}
}

// TestChallengeAttemptsCannotBeRacedPastTheLimit: twelve wrong codes at
// once against one challenge get exactly MaxChallengeAttempts checks.
func TestChallengeAttemptsCannotBeRacedPastTheLimit(t *testing.T) {
	h := newHarness(t)
	const user = "user_race_attempts"
	e := verifiedTOTP(h, user)
	c := h.mustChallenge(user, e.Factor.ID)
	now := h.clock.Now()
	wrong := wrongCode(oathtool(t, e.TOTP.Secret, now), oathtool(t, e.TOTP.Secret, now.Add(-30*time.Second)),
		oathtool(t, e.TOTP.Secret, now.Add(30*time.Second)))
	const n = 12
	outs := together(n, func(int) (api.VerifyResponse, error) { return h.verify(user, c.ID, wrong) })
	valid, refused, reasons := tally(t, outs)
	if valid != 0 || refused != api.MaxChallengeAttempts || reasons[api.ReasonTooManyAttempts] != n-api.MaxChallengeAttempts {
		t.Fatalf("%d wrong codes at once: %d checked, errors %v; want %d checked", n, refused, reasons, api.MaxChallengeAttempts)
	}
	left := map[int]bool{}
	for _, o := range outs {
		if o.err == nil {
			left[o.resp.AttemptsLeft] = true
		}
	}
	for i := range api.MaxChallengeAttempts {
		if !left[i] {
			t.Fatalf("attempts left answered %v: each count from %d to 0 once", left, api.MaxChallengeAttempts-1)
		}
	}
	var attempts int
	if err := h.pool.QueryRow(context.Background(), `SELECT attempts FROM mfa.challenges WHERE id = $1`, c.ID).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != api.MaxChallengeAttempts {
		t.Fatalf("the challenge counted %d attempts", attempts)
	}
}

// TestUserFailuresCannotBeRacedPastTheLimit: NIST SP 800-63B §5.2.2 —
// with 95 wrong codes in a row counted, sixteen more at once, through
// challenges of two factors and backup codes, get exactly five checks;
// the user is locked at 100.
func TestUserFailuresCannotBeRacedPastTheLimit(t *testing.T) {
	h := newHarness(t)
	const user = "user_race_failures"
	a := verifiedTOTP(h, user)
	b := verifiedTOTP(h, user)
	h.backupCodes(user)
	now := h.clock.Now()
	wrong := wrongCode(oathtool(t, a.TOTP.Secret, now), oathtool(t, a.TOTP.Secret, now.Add(-30*time.Second)),
		oathtool(t, a.TOTP.Secret, now.Add(30*time.Second)), oathtool(t, b.TOTP.Secret, now),
		oathtool(t, b.TOTP.Secret, now.Add(-30*time.Second)), oathtool(t, b.TOTP.Secret, now.Add(30*time.Second)))
	const before = api.MaxConsecutiveFailures - 5
	for i := 0; i < before; i += api.MaxChallengeAttempts {
		c := h.mustChallenge(user, a.Factor.ID)
		for range api.MaxChallengeAttempts {
			if r := h.mustVerify(user, c.ID, wrong); r.Valid {
				t.Fatal("a wrong code was accepted")
			}
		}
	}
	const n = 16
	challenges := make([]api.Challenge, n)
	for i := range challenges {
		f := a.Factor.ID
		if i%2 == 1 {
			f = b.Factor.ID
		}
		challenges[i] = h.mustChallenge(user, f)
	}
	outs := together(n, func(i int) (api.VerifyResponse, error) {
		if i%4 == 3 {
			return call[api.BackupCodeRequest, api.VerifyResponse](t, h.nc, api.SubjectVerifyBackupCode,
				api.BackupCodeRequest{Env: env, UserID: user, Code: "zzzzz-zzzzz"})
		}
		return h.verify(user, challenges[i].ID, wrong)
	})
	valid, checked, reasons := tally(t, outs)
	if valid != 0 || checked != api.MaxConsecutiveFailures-before || reasons[api.ReasonFactorLocked] != n-checked {
		t.Fatalf("%d wrong codes at once at %d failures: %d checked, errors %v; want %d checked, the rest factor_locked",
			n, before, checked, reasons, api.MaxConsecutiveFailures-before)
	}
	var failures int
	if err := h.pool.QueryRow(context.Background(), `SELECT failures FROM mfa.user_failures WHERE env = $1 AND user_id = $2`,
		env, user).Scan(&failures); err != nil {
		t.Fatal(err)
	}
	if failures != api.MaxConsecutiveFailures {
		t.Fatalf("%d failures counted, want %d", failures, api.MaxConsecutiveFailures)
	}
	if n := h.counter("gatehouse_mfa_lockouts_total", map[string]string{"kind": "user"}); n != 1 {
		t.Fatalf("user lockouts counted %v", n)
	}
}

// TestResetAndDeleteRaceVerificationsCleanly: a reset or a factor deletion
// running while the user's codes are being checked ends with each request
// answered as one or the other happened first, never with an internal
// error (a deadlock between the two transactions' locks).
func TestResetAndDeleteRaceVerificationsCleanly(t *testing.T) {
	h := newHarness(t)
	for round := range 6 {
		user := "user_race_reset_" + string(rune('a'+round))
		e := verifiedTOTP(h, user)
		h.backupCodes(user)
		const n = 6
		challenges := make([]api.Challenge, n)
		for i := range challenges {
			challenges[i] = h.mustChallenge(user, e.Factor.ID)
		}
		code := oathtool(t, e.TOTP.Secret, h.clock.Now())
		outs := together(n+1, func(i int) (api.VerifyResponse, error) {
			if i == n {
				var err error
				if round%2 == 0 {
					_, err = call[api.ResetRequest, api.ResetResponse](t, h.nc, api.SubjectReset,
						api.ResetRequest{Env: env, UserID: user, Actor: "admin_race"})
				} else {
					_, err = call[api.FactorRequest, api.Empty](t, h.nc, api.SubjectDeleteFactor,
						api.FactorRequest{Env: env, UserID: user, FactorID: e.Factor.ID})
				}
				return api.VerifyResponse{}, err
			}
			return h.verify(user, challenges[i].ID, code)
		})
		for i, o := range outs {
			if o.err != nil && !natsrpc.IsCode(o.err, natsrpc.CodeNotFound) {
				t.Fatalf("round %d, request %d: %v", round, i, o.err)
			}
		}
		if _, err := h.challenge(user, e.Factor.ID); !natsrpc.IsCode(err, natsrpc.CodeNotFound) {
			t.Fatalf("round %d: the factor survived: %v", round, err)
		}
		h.clock.Advance(2 * 30 * time.Second)
	}
}
