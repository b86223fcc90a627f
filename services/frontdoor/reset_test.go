package frontdoor_test

import (
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
)

var resetLink = regexp.MustCompile(`https?://\S+/reset-password/new\?token=[A-Za-z0-9_-]+`)

// resetLinkFor returns the newest reset link the outbox holds for email,
// or "".
func resetLinkFor(h *harness, email string) string {
	for _, m := range h.p.Outbox().Messages() {
		if link := resetLink.FindString(m.Text); m.To == email && link != "" {
			return link
		}
	}
	return ""
}

// notified reports whether the outbox holds a sign-in change notice to
// email saying change.
func notified(h *harness, email, change string) bool {
	for _, m := range h.p.Outbox().Messages() {
		if m.To == email && m.Subject == "Your sign-in settings changed" && strings.Contains(m.Text, change) {
			return true
		}
	}
	return false
}

// waitResetLink waits for a reset link for email in the outbox: links are
// sent after the answer.
func waitResetLink(t *testing.T, h *harness, email string) string {
	t.Helper()
	var link string
	eventually(t, "the reset link for "+email, func() error {
		if link = resetLinkFor(h, email); link == "" {
			return errors.New("no reset link in the outbox")
		}
		return nil
	})
	return link
}

// requestReset posts the reset request form reached from the sign-in page
// of authURL.
func (b *browser) requestReset(authURL, email string) page {
	b.t.Helper()
	in := b.openSignIn(authURL)
	m := regexp.MustCompile(`href="([^"]*/reset-password\?[^"]*)">Forgot your password\?`).FindStringSubmatch(in.Body)
	if m == nil {
		b.t.Fatalf("the sign-in page has no reset link:\n%s", in.Body)
	}
	form := b.get(html.UnescapeString(m[1]))
	if form.Status != http.StatusOK {
		b.t.Fatalf("reset page: %d\n%s", form.Status, form.Body)
	}
	action, csrf := form.form(b.t)
	return b.post(action, url.Values{"csrf_token": {csrf}, "email": {email}})
}

func testPasswordReset(t *testing.T, h *harness) {
	const env = "reset"
	h.env(env)
	ctx := testContext(t)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	u, err := h.ids.CreateUser(ctx, identity.NewUser{Env: env, Email: "forgetful@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.ids.SetPassword(ctx, env, u.ID, password); err != nil {
		t.Fatal(err)
	}
	h.upload(t, env, wasmbuild.ForTest(t, "testdata/guests/newpwcheck"))
	const newPassword = "a brand new passphrase"

	// The same answer whether or not the account exists.
	for _, email := range []string{"nobody@example.com", "Forgetful@Example.com"} {
		p := newBrowser(t).requestReset(c.authRequest().url, email)
		if p.Status != http.StatusOK || !strings.Contains(html.UnescapeString(p.Body), "If there is an account with "+strings.ToLower(email)) {
			t.Fatalf("%s: %d\n%s", email, p.Status, p.Body)
		}
	}
	link := waitResetLink(t, h, "forgetful@example.com")
	if resetLinkFor(h, "nobody@example.com") != "" {
		t.Fatal("a link was sent for an unknown account")
	}

	// A session signed in with the old password, to be ended by the reset.
	old := newBrowser(t)
	oldTok, _ := c.login(t, h, env, old, "forgetful@example.com")

	b := newBrowser(t)
	form := b.get(link)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, "forgetful@example.com") {
		t.Fatalf("reset form %d:\n%s", form.Status, form.Body)
	}
	action, csrf := form.form(t)
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(form.Body)[1]
	post := func(first, second, csrf string) page {
		return b.post(action, url.Values{"csrf_token": {csrf}, "token": {token}, "p_first_password": {first}, "p_second_password": {second}})
	}
	if p := post(newPassword, newPassword, ""); p.Status != http.StatusForbidden {
		t.Fatalf("no csrf: %d", p.Status)
	}
	for _, tc := range []struct{ first, second, want string }{
		{newPassword, newPassword + "x", "The passwords do not match."},
		{"short", "short", "Password is too short"},
	} {
		if p := post(tc.first, tc.second, csrf); p.Status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(p.Body), tc.want) {
			t.Fatalf("%q: %d\n%s", tc.want, p.Status, p.Body)
		}
	}
	var p page
	eventually(t, "the new password workflow", func() error {
		p = post("acme is the best", "acme is the best", csrf)
		if p.Status == http.StatusBadRequest {
			return nil
		}
		return errors.New("not refused yet")
	})
	if !strings.Contains(p.Body, "Do not use the company name in your password (reset)") {
		t.Fatalf("workflow form error:\n%s", p.Body)
	}
	// Nothing changed so far: the old password still works.
	c.login(t, h, env, newBrowser(t), "forgetful@example.com")

	if p = post(newPassword, newPassword, csrf); p.Status != http.StatusOK || !strings.Contains(p.Body, "Your password was changed") ||
		!strings.Contains(p.Body, "/sign-in?") {
		t.Fatalf("reset: %d\n%s", p.Status, p.Body)
	}
	// The link works once.
	if p = post("yet another passphrase", "yet another passphrase", csrf); p.Status != http.StatusBadRequest ||
		!strings.Contains(p.Body, "This link does not work") {
		t.Fatalf("second use: %d\n%s", p.Status, p.Body)
	}
	if p = newBrowser(t).get(link); p.Status != http.StatusBadRequest {
		t.Fatalf("used link opened: %d", p.Status)
	}
	// The old password fails, the new one works, the old session ended and
	// the address is now verified.
	nb := newBrowser(t)
	if p = nb.submit(nb.openSignIn(c.authRequest().url), "forgetful@example.com", password); p.Status != http.StatusUnauthorized {
		t.Fatalf("old password: %d", p.Status)
	}
	nb = newBrowser(t)
	ar := c.authRequest()
	codeFrom(t, h, env, nb.signIn(ar.url, "forgetful@example.com", newPassword), ar)
	if p = old.get(c.authRequest().url); p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/sign-in?") {
		t.Fatalf("the old session survived the reset: %d to %q", p.Status, p.Location)
	}
	// Its tokens were revoked.
	for _, tok := range []string{oldTok.AccessToken, oldTok.RefreshToken} {
		if h.introspect(t, env, tok).Active {
			t.Fatal("a token issued before the reset is still active")
		}
	}
	if got, err := h.ids.GetUser(ctx, env, u.ID); err != nil || !got.EmailVerified {
		t.Fatalf("user after reset %+v, %v", got, err)
	}
	for _, m := range h.p.Outbox().Messages() {
		if strings.Contains(m.Text, newPassword) || strings.Contains(m.Text, password) {
			t.Fatal("a password reached the outbox")
		}
	}
	// The user is told their password changed.
	if !notified(h, "forgetful@example.com", "Your password was changed.") {
		t.Fatal("no notice of the password change")
	}

	// Requests are limited per address.
	var last page
	for range 6 {
		last = newBrowser(t).requestReset(c.authRequest().url, "flooded@example.com")
	}
	if last.Status != http.StatusTooManyRequests {
		t.Fatalf("6th request: %d", last.Status)
	}
	// A forged token opens nothing.
	if p = newBrowser(t).get(h.issuer(env) + "/reset-password/new?token=" + strings.Repeat("A", 43)); p.Status != http.StatusBadRequest {
		t.Fatalf("forged token: %d", p.Status)
	}
}

// testResetEndsPendingSignIns: a password reset ends what the old password
// opened and that is not a session yet: a sign-in waiting for the
// organization choice, and an authorization code not yet exchanged.
func testResetEndsPendingSignIns(t *testing.T, h *harness) {
	const env = "resetflows"
	h.env(env)
	ctx := testContext(t)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	const email = "stolen@example.com"
	u := h.user(t, env, email, password)
	var orgs []string
	for _, name := range []string{"Acme", "Globex"} {
		o, err := h.ids.CreateOrganization(ctx, env, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.ids.SetMembership(ctx, env, o.Code, u.ID, nil); err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o.Code)
	}

	// Someone who knows the old password holds a code not yet exchanged,
	// and a sign-in waiting for the organization choice.
	withCode := newBrowser(t)
	coded := c.authRequest(oauth2.SetAuthURLParam("org_code", orgs[0]))
	code := codeFrom(t, h, env, withCode.signIn(coded.url, email, password), coded)
	waiting := newBrowser(t)
	p := waiting.submit(waiting.openSignIn(c.authRequest().url), email, password)
	if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "/choose-organization") {
		t.Fatalf("sign-in: %d to %q", p.Status, p.Location)
	}
	action, csrf := waiting.get(p.Location).form(t)

	// The owner resets the password.
	if p = newBrowser(t).requestReset(c.authRequest().url, email); p.Status != http.StatusOK {
		t.Fatalf("reset request: %d", p.Status)
	}
	owner := newBrowser(t)
	form := owner.get(waitResetLink(t, h, email))
	resetAction, resetCSRF := form.form(t)
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(form.Body)[1]
	const newPassword = "only the owner knows this"
	if p = owner.post(resetAction, url.Values{"csrf_token": {resetCSRF}, "token": {token},
		"p_first_password": {newPassword}, "p_second_password": {newPassword}}); p.Status != http.StatusOK {
		t.Fatalf("reset: %d\n%s", p.Status, p.Body)
	}

	if p = waiting.post(action, url.Values{"csrf_token": {csrf}, "org_code": {orgs[1]}}); p.Status != http.StatusBadRequest ||
		!strings.Contains(p.Body, "Your sign-in expired") {
		t.Fatalf("a sign-in with the old password went on after the reset: %d to %q\n%s", p.Status, p.Location, p.Body)
	}
	var re *oauth2.RetrieveError
	if _, err := c.conf.Exchange(testContext(t), code, oauth2.VerifierOption(coded.verifier)); !asRetrieveError(err, &re) ||
		re.ErrorCode != "invalid_grant" {
		t.Fatalf("a code issued before the reset was exchanged after it: %v", err)
	}
}
