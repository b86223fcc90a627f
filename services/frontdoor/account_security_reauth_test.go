package frontdoor_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
)

var (
	challengeInput      = regexp.MustCompile(`name="challenge_id" value="([^"]+)"`)
	challengeTokenInput = regexp.MustCompile(`name="challenge_token" value="([^"]+)"`)
	outboxCode          = regexp.MustCompile(`\b(\d{6})\b`)
)

// lastCode returns the code of the last message the development outbox
// holds for to.
func (h *harness) lastCode(t *testing.T, to string) string {
	t.Helper()
	for _, msg := range h.p.Outbox().Messages() { // newest first
		if strings.EqualFold(msg.To, to) {
			if m := outboxCode.FindStringSubmatch(msg.Text); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no code sent to %s", to)
	return ""
}

// testAccountSecurityFullReauth: a password alone does not change the
// second factors of a user who has one (ASVS 5.0 V7.5.1, full
// re-authentication); proving a factor replaces the session's cookie
// secret; confirm_totp only confirms the authenticator app this page set
// up in this session; every page is no-store.
func testAccountSecurityFullReauth(t *testing.T, h *harness) {
	const env = "mfasecre"
	h.env(env)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	user := h.user(t, env, "twofactor@example.com", password)
	secURL := h.issuer(env) + "/account/security"
	factorID, key := h.enrollTOTP(t, env, user.ID, true)
	verifiedFactors := func() int {
		t.Helper()
		fs, err := natsrpc.Call[mapi.UserRequest, mapi.FactorsResponse](testContext(t), h.p.NATS(), mapi.SubjectFactors,
			mapi.UserRequest{Env: env, UserID: user.ID})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range fs.Factors {
			if f.Verified {
				n++
			}
		}
		return n
	}

	// The policy is off: the sign-in asked for the password only, which
	// is recent, but not enough to change the factor.
	b := newBrowser(t)
	c.login(t, h, env, b, "twofactor@example.com")
	p := b.get(secURL)
	wantNoStore(t, "security page", p)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Verify your second factor") || removeForm.MatchString(p.Body) ||
		strings.Contains(p.Body, `value="add_totp"`) || strings.Contains(p.Body, `value="backup_codes"`) {
		t.Fatalf("security page after a password sign-in:\n%s", p.Body)
	}
	for _, action := range []string{"remove", "backup_codes", "add_totp", "confirm_totp"} {
		q := b.mfaPost(p, action, url.Values{"factor_id": {factorID}, "code": {code(t, key, time.Now())}})
		if q.Status != http.StatusForbidden || strings.Contains(q.Body, "totp-secret") || strings.Contains(q.Body, "backup-codes") {
			t.Fatalf("%s with the password only: %d\n%s", action, q.Status, q.Body)
		}
	}
	if n := verifiedFactors(); n != 1 {
		t.Fatalf("%d verified factors after refused changes", n)
	}

	// Proving the factor: a wrong code, then the right one.
	if q := b.mfaPost(p, "reauth_code", url.Values{"factor_id": {factorID}, "code": {"abc"}}); q.Status != http.StatusBadRequest {
		t.Fatalf("malformed code: %d", q.Status)
	}
	right := code(t, key, time.Now().Add(30*time.Second))
	wrong := "000000"
	if wrong == right {
		wrong = "000001"
	}
	if q := b.mfaPost(p, "reauth_code", url.Values{"factor_id": {factorID}, "code": {wrong}}); q.Status != http.StatusUnauthorized {
		t.Fatalf("wrong code: %d\n%s", q.Status, q.Body)
	}
	before := b.sessionCookie(h, env)
	if q := b.mfaPost(p, "reauth_code", url.Values{"factor_id": {factorID}, "code": {right}}); q.Status != http.StatusSeeOther {
		t.Fatalf("right code: %d\n%s", q.Status, q.Body)
	}
	if after := b.sessionCookie(h, env); after == "" || after == before {
		t.Fatal("session cookie not replaced after proving a factor")
	}
	p = b.get(secURL)
	if !removeForm.MatchString(p.Body) || strings.Contains(p.Body, "Verify your second factor") {
		t.Fatalf("security page after MFA:\n%s", p.Body)
	}

	// confirm_totp confirms only the app this page set up: not one set up
	// elsewhere (here through the MFA service, as a sign-in would), not
	// without the page's token, not with another factor's token.
	elsewhere, elsewhereKey := h.enrollTOTP(t, env, user.ID, false)
	q := b.mfaPost(p, "add_totp", nil)
	wantNoStore(t, "authenticator app set-up", q)
	m := totpSecret.FindStringSubmatch(q.Body)
	tm := enrollTokenInput.FindStringSubmatch(q.Body)
	if q.Status != http.StatusOK || m == nil || tm == nil {
		t.Fatalf("add: %d\n%s", q.Status, q.Body)
	}
	for name, fields := range map[string]url.Values{
		"no token":             {"factor_id": {elsewhere}},
		"another factor token": {"factor_id": {elsewhere}, "enroll_token": {tm[1]}},
		"a verified factor":    {"factor_id": {factorID}, "enroll_token": {tm[1]}},
	} {
		fields.Set("code", code(t, elsewhereKey, time.Now()))
		if r := b.mfaPost(q, "confirm_totp", fields); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "not being set up here") {
			t.Fatalf("confirm_totp with %s: %d\n%s", name, r.Status, r.Body)
		}
	}
	if f, ok := h.factor(t, env, user.ID, elsewhere); !ok || f.Verified {
		t.Fatalf("factor set up elsewhere: %+v", f)
	}
	// The app set up here is confirmed with its own token.
	newID := regexp.MustCompile(`name="factor_id" value="([^"]+)">\s*<input type="hidden" name="enroll_token"`).FindStringSubmatch(q.Body)
	if newID == nil {
		t.Fatalf("no confirm form:\n%s", q.Body)
	}
	if r := b.mfaPost(q, "confirm_totp", url.Values{"factor_id": {newID[1]}, "enroll_token": {tm[1]}, "code": {code(t, m[1], time.Now())}}); r.Status != http.StatusSeeOther {
		t.Fatalf("confirm: %d\n%s", r.Status, r.Body)
	}
	if n := verifiedFactors(); n != 2 {
		t.Fatalf("%d verified factors after adding one", n)
	}
	// An enrollment token belongs to its session: another session of the
	// same user, fully re-authenticated (with a backup code), cannot
	// confirm an app set up in the first one.
	q = b.mfaPost(b.get(secURL), "add_totp", nil)
	pendingID := regexp.MustCompile(`name="factor_id" value="([^"]+)">\s*<input type="hidden" name="enroll_token"`).FindStringSubmatch(q.Body)
	pendingToken := enrollTokenInput.FindStringSubmatch(q.Body)
	pendingKey := totpSecret.FindStringSubmatch(q.Body)
	if pendingID == nil || pendingToken == nil || pendingKey == nil {
		t.Fatalf("add another:\n%s", q.Body)
	}
	codes, err := natsrpc.Call[mapi.UserRequest, mapi.BackupCodesResponse](testContext(t), h.p.NATS(), mapi.SubjectGenerateBackupCodes,
		mapi.UserRequest{Env: env, UserID: user.ID})
	if err != nil {
		t.Fatal(err)
	}
	b2 := newBrowser(t)
	c.login(t, h, env, b2, "twofactor@example.com")
	p2 := b2.get(secURL)
	if r := b2.mfaPost(p2, "reauth_backup", url.Values{"backup_code": {"abcde-23456"}}); r.Status != http.StatusUnauthorized && r.Status != http.StatusConflict {
		t.Fatalf("wrong backup code: %d\n%s", r.Status, r.Body)
	}
	if r := b2.mfaPost(p2, "reauth_backup", url.Values{"backup_code": {codes.Codes[0]}}); r.Status != http.StatusSeeOther {
		t.Fatalf("backup code: %d\n%s", r.Status, r.Body)
	}
	p2 = b2.get(secURL)
	if r := b2.mfaPost(p2, "confirm_totp", url.Values{"factor_id": {pendingID[1]}, "enroll_token": {pendingToken[1]},
		"code": {code(t, pendingKey[1], time.Now())}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "not being set up here") {
		t.Fatalf("confirm in another session: %d\n%s", r.Status, r.Body)
	}
	if f, ok := h.factor(t, env, user.ID, pendingID[1]); !ok || f.Verified {
		t.Fatalf("factor confirmed from another session: %+v", f)
	}

	// A factor that sends codes: the code form carries a token that binds
	// it to the challenge this page made.
	mailer := h.user(t, env, "codes-by-mail@example.com", password)
	res, err := natsrpc.Call[mapi.EnrollRequest, mapi.EnrollResponse](testContext(t), h.p.NATS(), mapi.SubjectEnroll,
		mapi.EnrollRequest{Env: env, UserID: mailer.ID, Type: mapi.FactorEmail, Email: "codes-by-mail@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := natsrpc.Call[mapi.ChallengeRequest, mapi.Challenge](testContext(t), h.p.NATS(), mapi.SubjectChallenge,
		mapi.ChallengeRequest{Env: env, UserID: mailer.ID, FactorID: res.Factor.ID})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := natsrpc.Call[mapi.VerifyRequest, mapi.VerifyResponse](testContext(t), h.p.NATS(), mapi.SubjectVerify,
		mapi.VerifyRequest{Env: env, UserID: mailer.ID, ChallengeID: ch.ID, Code: h.lastCode(t, "codes-by-mail@example.com")}); err != nil || !v.Valid {
		t.Fatalf("verify the email factor: %+v %v", v, err)
	}
	mb := newBrowser(t)
	c.login(t, h, env, mb, "codes-by-mail@example.com")
	p = mb.get(secURL)
	if !strings.Contains(p.Body, "Send a code: Email to") {
		t.Fatalf("security page of an email factor:\n%s", p.Body)
	}
	// The code sent at enrollment is older than the resend cooldown.
	if _, err := h.pool.Exec(testContext(t), `UPDATE mfa.factors SET last_sent_at = now() - interval '1 minute' WHERE id = $1`,
		res.Factor.ID); err != nil {
		t.Fatal(err)
	}
	sent := mb.mfaPost(p, "reauth_send", url.Values{"factor_id": {res.Factor.ID}})
	cm, ctm := challengeInput.FindStringSubmatch(sent.Body), challengeTokenInput.FindStringSubmatch(sent.Body)
	if sent.Status != http.StatusOK || cm == nil || ctm == nil {
		t.Fatalf("send a code: %d\n%s", sent.Status, sent.Body)
	}
	mailed := h.lastCode(t, "codes-by-mail@example.com")
	// The token of this challenge does not vouch for another one.
	if r := mb.mfaPost(sent, "reauth_code", url.Values{"factor_id": {res.Factor.ID}, "challenge_id": {ch.ID},
		"challenge_token": {ctm[1]}, "code": {mailed}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Ask for a new code.") {
		t.Fatalf("another challenge with this token: %d\n%s", r.Status, r.Body)
	}
	if r := mb.mfaPost(sent, "reauth_code", url.Values{"factor_id": {res.Factor.ID}, "challenge_id": {cm[1]},
		"challenge_token": {ctm[1]}, "code": {mailed}}); r.Status != http.StatusSeeOther {
		t.Fatalf("the mailed code: %d\n%s", r.Status, r.Body)
	}
	if p = mb.get(secURL); !removeForm.MatchString(p.Body) {
		t.Fatalf("security page after the mailed code:\n%s", p.Body)
	}
}
