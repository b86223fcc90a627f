package frontdoor_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// enrollTOTP sets up an authenticator app for a user through the MFA
// service and returns its id and secret; verified proves it with the code
// of the current time step (the next sign-in then needs a later step).
func (h *harness) enrollTOTP(t *testing.T, env, userID string, verified bool) (id, secret string) {
	t.Helper()
	ctx := testContext(t)
	res, err := natsrpc.Call[mapi.EnrollRequest, mapi.EnrollResponse](ctx, h.p.NATS(), mapi.SubjectEnroll,
		mapi.EnrollRequest{Env: env, UserID: userID, Type: mapi.FactorTOTP, Issuer: "Gatehouse tests", User: userID})
	if err != nil {
		t.Fatal(err)
	}
	if verified {
		c, err := natsrpc.Call[mapi.ChallengeRequest, mapi.Challenge](ctx, h.p.NATS(), mapi.SubjectChallenge,
			mapi.ChallengeRequest{Env: env, UserID: userID, FactorID: res.Factor.ID})
		if err != nil {
			t.Fatal(err)
		}
		v, err := natsrpc.Call[mapi.VerifyRequest, mapi.VerifyResponse](ctx, h.p.NATS(), mapi.SubjectVerify,
			mapi.VerifyRequest{Env: env, UserID: userID, ChallengeID: c.ID, Code: code(t, res.TOTP.Secret, time.Now())})
		if err != nil || !v.Valid {
			t.Fatalf("verify the new factor: %+v %v", v, err)
		}
	}
	return res.Factor.ID, res.TOTP.Secret
}

// factor returns a user's factor id as the MFA service has it.
func (h *harness) factor(t *testing.T, env, userID, id string) (mapi.Factor, bool) {
	t.Helper()
	fs, err := natsrpc.Call[mapi.UserRequest, mapi.FactorsResponse](testContext(t), h.p.NATS(), mapi.SubjectFactors,
		mapi.UserRequest{Env: env, UserID: userID})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs.Factors {
		if f.ID == id {
			return f, true
		}
	}
	return mapi.Factor{}, false
}

// sessionCookie returns the browser's session cookie in env ("" if none).
func (b *browser) sessionCookie(h *harness, env string) string {
	u, _ := url.Parse(h.issuer(env))
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "gh_session_"+env {
			return c.Value
		}
	}
	return ""
}

// wantNoStore fails unless the response forbids caching (ASVS 5.0
// V14.3.2: pages with codes, secrets or the state of a sign-in are not
// kept by browsers or proxies).
func wantNoStore(t *testing.T, what string, p page) {
	t.Helper()
	if got := p.Header.Get("Cache-Control"); got != "no-store" {
		t.Fatalf("%s: Cache-Control %q, want no-store", what, got)
	}
}

// testMFABypass: the MFA step of a sign-in cannot be skipped, finished at
// the wrong step, replayed, or answered with another user's factor or a
// factor still being set up.
func testMFABypass(t *testing.T, h *harness) {
	const env = "mfabypass"
	h.env(env)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	user := h.user(t, env, "guarded@example.com", password)
	other := h.user(t, env, "neighbour@example.com", password)
	h.setMFAPolicy(t, mapi.Policy{Env: env, Policy: mapi.PolicyRequired})
	f1, key1 := h.enrollTOTP(t, env, user.ID, true)
	h.enrollTOTP(t, env, user.ID, true) // a second app: the user chooses
	othersFactor, _ := h.enrollTOTP(t, env, other.ID, true)
	pending, _ := h.enrollTOTP(t, env, user.ID, false)

	b := newBrowser(t)
	ar := c.authRequest()
	p := b.submit(b.openSignIn(ar.url), "guarded@example.com", password)
	if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "/mfa") || b.sessionCookie(h, env) != "" {
		t.Fatalf("password: %d to %q (session %q)", p.Status, p.Location, b.sessionCookie(h, env))
	}
	wantNoStore(t, "redirect to the MFA page", p)
	choose := b.get(p.Location)
	wantNoStore(t, "MFA page", choose)
	if !strings.Contains(choose.Body, "Choose how to verify") {
		t.Fatalf("choose page:\n%s", choose.Body)
	}

	// Going back to the authorization endpoint instead: there is no
	// session to answer from, only the sign-in page.
	if q := b.get(c.authRequest().url); q.Status != http.StatusSeeOther || !strings.Contains(q.Location, "/sign-in?") {
		t.Fatalf("authorization request during MFA: %d to %q", q.Status, q.Location)
	}
	// Every action of another step is refused, with a code that would be
	// right: nothing finishes the flow from the wrong step.
	right := code(t, key1, time.Now().Add(30*time.Second))
	for _, action := range []string{"later", "continue", "verify", "backup", "setup", "enroll", "resend", "back", "finish"} {
		q := b.mfaPost(choose, action, url.Values{"code": {right}, "backup_code": {"abcde-23456"}, "type": {"totp"}})
		if q.Status != http.StatusBadRequest || !strings.Contains(q.Body, "not available at this step") {
			t.Fatalf("%s at the choose step: %d\n%s", action, q.Status, q.Body)
		}
	}
	// Another user's factor, a factor still being set up, or none.
	for _, id := range []string{othersFactor, pending, ""} {
		q := b.mfaPost(choose, "pick", url.Values{"factor_id": {id}})
		if q.Status != http.StatusBadRequest || !strings.Contains(q.Body, "Choose one of your factors.") {
			t.Fatalf("pick %q: %d\n%s", id, q.Status, q.Body)
		}
	}
	codePage := b.mfaPost(choose, "pick", url.Values{"factor_id": {f1}})
	if codePage.Status != http.StatusOK || !strings.Contains(codePage.Body, "Enter your code") {
		t.Fatalf("pick: %d\n%s", codePage.Status, codePage.Body)
	}
	done := b.mfaPost(codePage, "verify", url.Values{"code": {right}})
	tok := c.exchange(t, h, env, done, ar)
	if amr, acr := c.amrACR(t, tok); !slices.Equal(amr, []string{"pwd", "mfa", "otp"}) || acr != acrMFA {
		t.Fatalf("amr %v acr %q", amr, acr)
	}
	// The flow is used up: the same form again finds nothing to finish.
	if q := b.mfaPost(codePage, "verify", url.Values{"code": {right}}); q.Status != http.StatusBadRequest ||
		!strings.Contains(q.Body, "no longer open") {
		t.Fatalf("replayed verify: %d\n%s", q.Status, q.Body)
	}

	// A factor being set up proves nothing until its first code: no
	// backup code, no going back, no way out of the step but the code.
	newcomer := h.user(t, env, "newcomer@example.com", password)
	nb := newBrowser(t)
	ar = c.authRequest()
	p = nb.get(nb.submit(nb.openSignIn(ar.url), "newcomer@example.com", password).Location)
	p = nb.mfaPost(p, "enroll", url.Values{"type": {"totp"}})
	wantNoStore(t, "authenticator app set-up", p)
	m := totpSecret.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("set-up page:\n%s", p.Body)
	}
	for _, action := range []string{"use_backup", "back", "continue", "later", "pick"} {
		if q := nb.mfaPost(p, action, url.Values{"factor_id": {f1}}); q.Status != http.StatusBadRequest {
			t.Fatalf("%s while enrolling: %d\n%s", action, q.Status, q.Body)
		}
	}
	if q := nb.get(c.authRequest().url); q.Status != http.StatusSeeOther || !strings.Contains(q.Location, "/sign-in?") {
		t.Fatalf("authorization request while enrolling: %d to %q", q.Status, q.Location)
	}
	fs, err := natsrpc.Call[mapi.UserRequest, mapi.FactorsResponse](testContext(t), h.p.NATS(), mapi.SubjectFactors,
		mapi.UserRequest{Env: env, UserID: newcomer.ID})
	if err != nil || len(fs.Factors) != 1 || fs.Factors[0].Verified {
		t.Fatalf("factors of the user enrolling: %+v %v", fs.Factors, err)
	}
	p = nb.mfaPost(p, "verify", url.Values{"code": {code(t, m[1], time.Now())}})
	wantNoStore(t, "backup codes", p)
	if n := len(backupCodes.FindAllString(p.Body, -1)); n != mapi.BackupCodeCount {
		t.Fatalf("%d backup codes shown", n)
	}
	tok = c.exchange(t, h, env, nb.mfaPost(p, "continue", nil), ar)
	if amr, acr := c.amrACR(t, tok); !slices.Contains(amr, "mfa") || acr != acrMFA {
		t.Fatalf("after enrolling: amr %v acr %q", amr, acr)
	}

	// A code that cannot be sent leaves the step as it was stored, and
	// the page shows that step, not a code form the next post would find
	// closed.
	mailbox := h.user(t, env, "mailbox@example.com", password)
	res, err := natsrpc.Call[mapi.EnrollRequest, mapi.EnrollResponse](testContext(t), h.p.NATS(), mapi.SubjectEnroll,
		mapi.EnrollRequest{Env: env, UserID: mailbox.ID, Type: mapi.FactorEmail, Email: "mailbox@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := natsrpc.Call[mapi.ChallengeRequest, mapi.Challenge](testContext(t), h.p.NATS(), mapi.SubjectChallenge,
		mapi.ChallengeRequest{Env: env, UserID: mailbox.ID, FactorID: res.Factor.ID})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := natsrpc.Call[mapi.VerifyRequest, mapi.VerifyResponse](testContext(t), h.p.NATS(), mapi.SubjectVerify,
		mapi.VerifyRequest{Env: env, UserID: mailbox.ID, ChallengeID: ch.ID, Code: h.lastCode(t, "mailbox@example.com")}); err != nil || !v.Valid {
		t.Fatalf("verify the email factor: %+v %v", v, err)
	}
	if _, err := h.pool.Exec(testContext(t), `UPDATE mfa.factors SET last_sent_at = now() - interval '1 minute' WHERE id = $1`,
		res.Factor.ID); err != nil {
		t.Fatal(err)
	}
	mb := newBrowser(t)
	p = mb.get(mb.submit(mb.openSignIn(c.authRequest().url), "mailbox@example.com", password).Location)
	if q := mb.mfaPost(p, "pick", url.Values{"factor_id": {res.Factor.ID}}); q.Status != http.StatusOK || !strings.Contains(q.Body, "We sent a 6-digit code") {
		t.Fatalf("pick the email factor: %d\n%s", q.Status, q.Body)
	}
	p = mb.mfaPost(p, "back", nil)
	q := mb.mfaPost(p, "pick", url.Values{"factor_id": {res.Factor.ID}})
	if q.Status != http.StatusConflict || !strings.Contains(q.Body, "A code was sent a moment ago") ||
		!strings.Contains(q.Body, "Choose how to verify") || strings.Contains(q.Body, `value="verify"`) {
		t.Fatalf("second pick within the resend cooldown: %d\n%s", q.Status, q.Body)
	}
}

// testMFAExistingSessions: a session is held to the policy in force, not
// to the one of its sign-in; its MFA is reused only while recent enough
// (max_age, the environment's step-up age); MFA replaces the session's
// cookie secret; prompt=none never shows the MFA page.
func testMFAExistingSessions(t *testing.T, h *harness) {
	const env = "mfasess"
	h.env(env)
	ctx := testContext(t)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	user := h.user(t, env, "kept@example.com", password)
	late := h.user(t, env, "late-enroller@example.com", password)
	setSession := func(userID, set string) {
		t.Helper()
		if _, err := h.pool.Exec(ctx, `UPDATE frontdoor.sessions SET `+set+` WHERE env = $1 AND user_id = $2`, env, userID); err != nil {
			t.Fatal(err)
		}
	}
	wantMFAPage := func(what string, p page) {
		t.Helper()
		if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "/mfa") {
			t.Fatalf("%s: %d to %q, want the MFA page", what, p.Status, p.Location)
		}
	}

	// Signed in while the policy was off: no MFA in the session.
	b := newBrowser(t)
	tok, _ := c.login(t, h, env, b, "kept@example.com")
	if amr, acr := c.amrACR(t, tok); slices.Contains(amr, "mfa") || acr != "" {
		t.Fatalf("policy off: amr %v acr %q", amr, acr)
	}
	lb := newBrowser(t)
	c.login(t, h, env, lb, "late-enroller@example.com")
	_, key := h.enrollTOTP(t, env, user.ID, true)

	// The policy becomes required: the session is asked, not answered.
	h.setMFAPolicy(t, mapi.Policy{Env: env, Policy: mapi.PolicyRequired})
	ar := c.authRequest()
	p := b.get(ar.url)
	wantMFAPage("session made before the policy", p)
	// prompt=none cannot show the page.
	q := b.get(c.authRequest(oauth2.SetAuthURLParam("prompt", "none")).url)
	if u := mustRedirect(t, q); u.Query().Get("error") != "interaction_required" || u.Query().Get("code") != "" {
		t.Fatalf("prompt=none with MFA due: %s", u)
	}
	p = b.get(ar.url)
	wantMFAPage("again", p)
	before := b.sessionCookie(h, env)
	p = b.mfaPost(b.get(p.Location), "verify", url.Values{"code": {code(t, key, time.Now().Add(30*time.Second))}})
	tok = c.exchange(t, h, env, p, ar)
	if amr, acr := c.amrACR(t, tok); !slices.Contains(amr, "mfa") || acr != acrMFA {
		t.Fatalf("after MFA in the session: amr %v acr %q", amr, acr)
	}
	// MFA raised the session: its cookie secret changed, and the old one
	// is no session any more.
	after := b.sessionCookie(h, env)
	if after == "" || after == before {
		t.Fatalf("session cookie not replaced after MFA")
	}
	old := newBrowser(t)
	u, _ := url.Parse(h.issuer(env))
	old.c.Jar.SetCookies(u, []*http.Cookie{{Name: "gh_session_" + env, Value: before, Path: "/"}})
	if q := old.get(c.authRequest().url); q.Status != http.StatusSeeOther || !strings.Contains(q.Location, "/sign-in?") {
		t.Fatalf("the session's old cookie: %d to %q", q.Status, q.Location)
	}
	// Recent MFA is reused.
	ar = c.authRequest()
	if _, acr := c.amrACR(t, c.exchange(t, h, env, b.get(ar.url), ar)); acr != acrMFA {
		t.Fatalf("reused MFA: acr %q", acr)
	}

	// The environment's step-up age: older MFA is asked again.
	h.setMFAPolicy(t, mapi.Policy{Env: env, Policy: mapi.PolicyRequired, StepUpMaxAge: mapi.Duration(30 * time.Minute)})
	setSession(user.ID, `mfa_at = now() - interval '1 hour'`)
	wantMFAPage("MFA older than the step-up age", b.get(c.authRequest().url))

	// max_age with acr_values: the MFA must be that recent too, even when
	// the password is.
	h.setMFAPolicy(t, mapi.Policy{Env: env, Policy: mapi.PolicyOff})
	setSession(user.ID, `auth_time = now(), mfa_at = now() - interval '1 hour'`)
	wantMFAPage("max_age shorter than the MFA's age",
		b.get(c.authRequest(oauth2.SetAuthURLParam("acr_values", "mfa"), oauth2.SetAuthURLParam("max_age", "1800")).url))
	ar = c.authRequest(oauth2.SetAuthURLParam("acr_values", "mfa"), oauth2.SetAuthURLParam("max_age", "7200"))
	if _, acr := c.amrACR(t, c.exchange(t, h, env, b.get(ar.url), ar)); acr != acrMFA {
		t.Fatalf("max_age longer than the MFA's age: acr %q", acr)
	}

	// A session without a factor, during the grace period, goes on
	// without the notice; once the grace is over it sets one up, after
	// proving its password again if its sign-in is old.
	h.setMFAPolicy(t, mapi.Policy{Env: env, Policy: mapi.PolicyRequired, GracePeriod: mapi.Duration(7 * 24 * time.Hour)})
	ar = c.authRequest()
	if amr, _ := c.amrACR(t, c.exchange(t, h, env, lb.get(ar.url), ar)); slices.Contains(amr, "mfa") {
		t.Fatalf("grace: amr %v", amr)
	}
	h.setMFAPolicy(t, mapi.Policy{Env: env, Policy: mapi.PolicyRequired})
	p = lb.get(c.authRequest().url)
	wantMFAPage("grace over", p)
	if q := lb.get(p.Location); !strings.Contains(q.Body, "Set up a second factor") {
		t.Fatalf("set-up page:\n%s", q.Body)
	}
	setSession(late.ID, `auth_time = now() - interval '1 hour'`)
	if p = lb.get(c.authRequest().url); p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/sign-in?") {
		t.Fatalf("set-up from an old session: %d to %q, want the sign-in page", p.Status, p.Location)
	}
}
