package frontdoor_test

import (
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
)

// setMFAPolicy sets the MFA policy of env through the MFA service.
func (h *harness) setMFAPolicy(t *testing.T, p mapi.Policy) {
	t.Helper()
	if _, err := natsrpc.Call[mapi.Policy, mapi.Policy](testContext(t), h.p.NATS(), mapi.SubjectSetPolicy, p); err != nil {
		t.Fatal(err)
	}
}

var (
	totpSecret  = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
	backupCodes = regexp.MustCompile(`<li><code>([^<]+)</code></li>`)
)

// mfaPost posts an action of the MFA page p.
func (b *browser) mfaPost(p page, action string, fields url.Values) page {
	b.t.Helper()
	target, csrf := p.form(b.t)
	form := url.Values{"csrf_token": {csrf}, "action": {action}}
	for k, v := range fields {
		form[k] = v
	}
	return b.post(target, form)
}

// code returns the TOTP code of secret at t.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// claimsOf returns the amr and acr of a token response's ID token.
func (c *client) amrACR(t *testing.T, tok *oauth2.Token) ([]string, string) {
	t.Helper()
	idt, err := c.provider.Verifier(&oidc.Config{ClientID: c.conf.ClientID}).Verify(testContext(t), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		AMR []string `json:"amr"`
		ACR string   `json:"acr"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return claims.AMR, claims.ACR
}

// exchange follows a redirect to the client and exchanges its code.
func (c *client) exchange(t *testing.T, h *harness, env string, p page, ar authRequest) *oauth2.Token {
	t.Helper()
	if p.Status != http.StatusSeeOther {
		t.Fatalf("%d, want a redirect to the client\n%s", p.Status, p.Body)
	}
	u, err := url.Parse(p.Location)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.conf.Exchange(testContext(t), codeFrom(t, h, env, u, ar), oauth2.VerifierOption(ar.verifier))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

const acrMFA = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"

func testMFA(t *testing.T, h *harness) {
	const env = "mfa"
	h.env(env)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	h.user(t, env, "second@example.com", password)
	h.setMFAPolicy(t, mapi.Policy{Env: env, Policy: mapi.PolicyRequired})

	// Required, no factor yet: set up an authenticator app.
	b := newBrowser(t)
	ar := c.authRequest()
	p := b.submit(b.openSignIn(ar.url), "second@example.com", password)
	if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "/mfa") {
		t.Fatalf("sign-in: %d to %q\n%s", p.Status, p.Location, p.Body)
	}
	p = b.get(p.Location)
	for _, want := range []string{"Set up a second factor", `value="totp"`, `value="sms"`, `value="email"`} {
		if !strings.Contains(p.Body, want) {
			t.Fatalf("enroll page lacks %s:\n%s", want, p.Body)
		}
	}
	p = b.mfaPost(p, "enroll", url.Values{"type": {"totp"}})
	m := totpSecret.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || m == nil || !strings.Contains(p.Body, `src="data:image/png;base64,`) {
		t.Fatalf("TOTP set-up page %d:\n%s", p.Status, p.Body)
	}
	key := m[1]
	if q := b.mfaPost(p, "verify", url.Values{"code": {"12345"}}); q.Status != http.StatusBadRequest || !strings.Contains(q.Body, "Enter the 6-digit code.") {
		t.Fatalf("short code: %d\n%s", q.Status, q.Body)
	}
	wrong := "000000"
	if code(t, key, time.Now()) == wrong {
		wrong = "000001"
	}
	if q := b.mfaPost(p, "verify", url.Values{"code": {wrong}}); q.Status != http.StatusUnauthorized || !strings.Contains(q.Body, "That code is not right.") {
		t.Fatalf("wrong code: %d\n%s", q.Status, q.Body)
	}
	now := time.Now()
	p = b.mfaPost(p, "verify", url.Values{"code": {code(t, key, now)}})
	codes := backupCodes.FindAllStringSubmatch(p.Body, -1)
	if p.Status != http.StatusOK || len(codes) != mapi.BackupCodeCount {
		t.Fatalf("after the first code: %d, %d backup codes\n%s", p.Status, len(codes), p.Body)
	}
	tok := c.exchange(t, h, env, b.mfaPost(p, "continue", nil), ar)
	if !notified(h, "second@example.com", "A second factor was added to your account: an authenticator app.") {
		t.Fatal("no notice of the new factor")
	}
	if amr, acr := c.amrACR(t, tok); !slices.Equal(amr, []string{"pwd", "mfa", "otp"}) || acr != acrMFA {
		t.Fatalf("amr %v acr %q", amr, acr)
	}

	// The next sign-in asks for the code straight away; a code of the
	// next time step is accepted once, then refused as a replay.
	next := code(t, key, now.Add(30*time.Second))
	b2 := newBrowser(t)
	ar = c.authRequest()
	p = b2.get(b2.submit(b2.openSignIn(ar.url), "second@example.com", password).Location)
	if !strings.Contains(p.Body, "Enter your code") || !strings.Contains(p.Body, "Use a backup code") {
		t.Fatalf("challenge page:\n%s", p.Body)
	}
	tok = c.exchange(t, h, env, b2.mfaPost(p, "verify", url.Values{"code": {next}}), ar)
	if amr, _ := c.amrACR(t, tok); !slices.Contains(amr, "mfa") {
		t.Fatalf("amr %v", amr)
	}
	b3 := newBrowser(t)
	p = b3.get(b3.submit(b3.openSignIn(c.authRequest().url), "second@example.com", password).Location)
	if q := b3.mfaPost(p, "verify", url.Values{"code": {next}}); q.Status != http.StatusUnauthorized || !strings.Contains(q.Body, "That code is not right.") {
		t.Fatalf("a TOTP code used twice: %d\n%s", q.Status, q.Body)
	}

	// A backup code works once.
	backup := html.UnescapeString(codes[0][1])
	b4 := newBrowser(t)
	ar = c.authRequest()
	p = b4.get(b4.submit(b4.openSignIn(ar.url), "second@example.com", password).Location)
	p = b4.mfaPost(p, "use_backup", nil)
	tok = c.exchange(t, h, env, b4.mfaPost(p, "backup", url.Values{"backup_code": {backup}}), ar)
	if amr, acr := c.amrACR(t, tok); !slices.Contains(amr, "mfa") || acr != acrMFA {
		t.Fatalf("backup code: amr %v acr %q", amr, acr)
	}
	b5 := newBrowser(t)
	p = b5.get(b5.submit(b5.openSignIn(c.authRequest().url), "second@example.com", password).Location)
	p = b5.mfaPost(p, "use_backup", nil)
	if q := b5.mfaPost(p, "backup", url.Values{"backup_code": {backup}}); q.Status != http.StatusUnauthorized {
		t.Fatalf("reused backup code: %d", q.Status)
	}

	// Without the anti-forgery token nothing happens; without the flow,
	// nothing either.
	if q := b5.post(h.issuer(env)+"/mfa", url.Values{"action": {"use_backup"}}); q.Status != http.StatusForbidden {
		t.Fatalf("no csrf: %d", q.Status)
	}
	_, csrf := p.form(t)
	if q := newBrowser(t).post(h.issuer(env)+"/mfa", url.Values{"csrf_token": {csrf}, "action": {"backup"}, "backup_code": {backup}}); q.Status != http.StatusForbidden && q.Status != http.StatusBadRequest {
		t.Fatalf("another browser: %d", q.Status)
	}
}

func testMFAStepUpAndGrace(t *testing.T, h *harness) {
	const env = "mfastep"
	h.env(env)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	h.user(t, env, "step@example.com", password)

	// Policy off: no MFA, until the client asks for it.
	b := newBrowser(t)
	tok, _ := c.login(t, h, env, b, "step@example.com")
	if amr, acr := c.amrACR(t, tok); slices.Contains(amr, "mfa") || acr == acrMFA {
		t.Fatalf("policy off: amr %v acr %q", amr, acr)
	}
	ar := c.authRequest(oauth2.SetAuthURLParam("acr_values", "mfa"))
	p := b.get(ar.url)
	if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "/mfa") {
		t.Fatalf("step-up: %d to %q", p.Status, p.Location)
	}
	p = b.mfaPost(b.get(p.Location), "enroll", url.Values{"type": {"totp"}})
	key := totpSecret.FindStringSubmatch(p.Body)[1]
	p = b.mfaPost(p, "verify", url.Values{"code": {code(t, key, time.Now())}})
	tok = c.exchange(t, h, env, b.mfaPost(p, "continue", nil), ar)
	if amr, acr := c.amrACR(t, tok); !slices.Contains(amr, "mfa") || acr != acrMFA {
		t.Fatalf("after step-up: amr %v acr %q", amr, acr)
	}
	// The session now carries MFA: asking again goes straight through,
	// unless max_age says it is too old.
	ar = c.authRequest(oauth2.SetAuthURLParam("acr_values", "mfa"))
	tok = c.exchange(t, h, env, b.get(ar.url), ar)
	if _, acr := c.amrACR(t, tok); acr != acrMFA {
		t.Fatalf("session with MFA: acr %q", acr)
	}

	// Grace period: required, but a user without a factor may go on.
	const genv = "mfagrace"
	h.env(genv)
	gapp, gsecret := webApp(t, h, genv)
	gc := newClient(t, h, genv, gapp, gsecret)
	h.user(t, genv, "late@example.com", password)
	h.setMFAPolicy(t, mapi.Policy{Env: genv, Policy: mapi.PolicyRequired, GracePeriod: mapi.Duration(7 * 24 * time.Hour)})
	gb := newBrowser(t)
	ar = gc.authRequest()
	p = gb.get(gb.submit(gb.openSignIn(ar.url), "late@example.com", password).Location)
	if !strings.Contains(p.Body, "Set it up by") || !strings.Contains(p.Body, "Not now") {
		t.Fatalf("grace page:\n%s", p.Body)
	}
	tok = gc.exchange(t, h, genv, gb.mfaPost(p, "later", nil), ar)
	if amr, _ := gc.amrACR(t, tok); slices.Contains(amr, "mfa") {
		t.Fatalf("grace: amr %v", amr)
	}
}

func testPreMFARequires(t *testing.T, h *harness) {
	const env = "premfareq"
	h.env(env)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	h.user(t, env, "wf@example.com", password)
	h.upload(t, env, wasmbuild.ForTest(t, "testdata/guests/premfa"))
	var p page
	eventually(t, "the pre-MFA workflow", func() error {
		b := newBrowser(t)
		ar := c.authRequest()
		ar.url = strings.Replace(ar.url, "state="+ar.state, "state=mfarequired", 1)
		p = b.submit(b.openSignIn(ar.url), "wf@example.com", password)
		if p.Status == http.StatusSeeOther && strings.HasSuffix(p.Location, "/mfa") {
			return nil
		}
		return errors.New("not asked for MFA yet")
	})
}
