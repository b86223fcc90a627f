package frontdoor_test

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
)

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// orgCodeOf returns the org_code claim of an access token.
func orgCodeOf(t *testing.T, h *harness, env, access string) string {
	t.Helper()
	var code string
	if _, err := h.verifyAccess(t, env, access).Claim("org_code", &code); err != nil {
		t.Fatal(err)
	}
	return code
}

func testOrganizations(t *testing.T, h *harness) {
	const env = "orgs"
	h.env(env)
	ctx := testContext(t)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	org := func(name string) string {
		o, err := h.ids.CreateOrganization(ctx, env, name)
		if err != nil {
			t.Fatal(err)
		}
		return o.Code
	}
	acme, globex, initech := org("Acme"), org("Globex"), org("Initech")
	member := func(email string, orgs ...string) {
		u := h.user(t, env, email, password)
		for _, o := range orgs {
			if _, err := h.ids.SetMembership(ctx, env, o, u.ID, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	member("two@example.com", acme, globex)
	member("one@example.com", initech)
	member("none@example.com")

	exchange := func(t *testing.T, u *url.URL, ar authRequest) *oauth2.Token {
		t.Helper()
		tok, err := c.conf.Exchange(testContext(t), codeFrom(t, h, env, u, ar), oauth2.VerifierOption(ar.verifier))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	t.Run("a member of one organization signs in to it", func(t *testing.T) {
		tok, _ := c.login(t, h, env, newBrowser(t), "one@example.com")
		if got := orgCodeOf(t, h, env, tok.AccessToken); got != initech {
			t.Fatalf("org_code %q, want %s", got, initech)
		}
	})
	t.Run("a member of none signs in without one", func(t *testing.T) {
		tok, _ := c.login(t, h, env, newBrowser(t), "none@example.com")
		if got := orgCodeOf(t, h, env, tok.AccessToken); got != "" {
			t.Fatalf("org_code %q, want none", got)
		}
	})

	t.Run("a member of several chooses", func(t *testing.T) {
		b := newBrowser(t)
		ar := c.authRequest()
		p := b.submit(b.openSignIn(ar.url), "two@example.com", password)
		if p.Status != http.StatusSeeOther || p.Location != h.issuer(env)+"/choose-organization" {
			t.Fatalf("sign-in: %d to %q", p.Status, p.Location)
		}
		choose := b.get(p.Location)
		if choose.Status != http.StatusOK || !strings.Contains(choose.Body, `value="`+acme+`">Acme</button>`) ||
			!strings.Contains(choose.Body, `value="`+globex+`">Globex</button>`) || strings.Contains(choose.Body, initech) {
			t.Fatalf("choice page %d:\n%s", choose.Status, choose.Body)
		}
		action, csrf := choose.form(t)

		// Another member's organization, or none, is refused and the
		// choice stays open.
		for _, code := range []string{initech, "", "org_unknown"} {
			p = b.post(action, url.Values{"csrf_token": {csrf}, "org_code": {code}})
			if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Choose one of your organizations.") {
				t.Fatalf("org %q: %d\n%s", code, p.Status, p.Body)
			}
		}
		// Without the anti-forgery token nothing happens.
		if p = b.post(action, url.Values{"org_code": {globex}}); p.Status != http.StatusForbidden {
			t.Fatalf("no csrf: %d", p.Status)
		}
		// A stranger without the flow cookie cannot use the form.
		other := newBrowser(t)
		otherCSRF := other.openSignIn(c.authRequest().url)
		_, oc := otherCSRF.form(t)
		if p = other.post(action, url.Values{"csrf_token": {oc}, "org_code": {globex}}); p.Status != http.StatusBadRequest ||
			!strings.Contains(p.Body, "Your sign-in expired") {
			t.Fatalf("no flow: %d\n%s", p.Status, p.Body)
		}

		p = b.post(action, url.Values{"csrf_token": {csrf}, "org_code": {globex}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("choice: %d\n%s", p.Status, p.Body)
		}
		u, _ := url.Parse(p.Location)
		tok := exchange(t, u, ar)
		if got := orgCodeOf(t, h, env, tok.AccessToken); got != globex {
			t.Fatalf("org_code %q, want %s", got, globex)
		}
		// The choice is made once: replaying it finds no flow.
		if p = b.post(action, url.Values{"csrf_token": {csrf}, "org_code": {acme}}); p.Status != http.StatusBadRequest ||
			!strings.Contains(p.Body, "Your sign-in expired") {
			t.Fatalf("replayed choice: %d\n%s", p.Status, p.Body)
		}

		// With a session, the next request asks again (no org_code), or
		// goes straight through with one.
		ar = c.authRequest()
		if p = b.get(ar.url); p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "/choose-organization") {
			t.Fatalf("second request: %d to %q", p.Status, p.Location)
		}
		action, csrf = b.get(p.Location).form(t)
		p = b.post(action, url.Values{"csrf_token": {csrf}, "org_code": {acme}})
		u, _ = url.Parse(p.Location)
		if got := orgCodeOf(t, h, env, exchange(t, u, ar).AccessToken); got != acme {
			t.Fatalf("org_code %q, want %s", got, acme)
		}
		ar = c.authRequest(oauth2.SetAuthURLParam("org_code", globex))
		p = b.get(ar.url)
		u, _ = url.Parse(p.Location)
		if got := orgCodeOf(t, h, env, exchange(t, u, ar).AccessToken); got != globex {
			t.Fatalf("org_code %q, want %s", got, globex)
		}
		// prompt=none cannot show the page: no organization.
		ar = c.authRequest(oauth2.SetAuthURLParam("prompt", "none"))
		p = b.get(ar.url)
		u, _ = url.Parse(p.Location)
		if got := orgCodeOf(t, h, env, exchange(t, u, ar).AccessToken); got != "" {
			t.Fatalf("org_code %q with prompt=none, want none", got)
		}
	})

	// waiting signs two@ in with b up to the organization choice and
	// returns the choice form's action and anti-forgery token.
	waiting := func(t *testing.T, b *browser, ar authRequest) (action, csrf string) {
		t.Helper()
		p := b.get(ar.url)
		if p.Status == http.StatusSeeOther && strings.Contains(p.Location, "/sign-in?") {
			p = b.submit(b.get(p.Location), "two@example.com", password)
		}
		if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "/choose-organization") {
			t.Fatalf("authorization request: %d to %q", p.Status, p.Location)
		}
		choose := b.get(p.Location)
		if choose.Status != http.StatusOK {
			t.Fatalf("choice page: %d\n%s", choose.Status, choose.Body)
		}
		return choose.form(t)
	}
	// ended checks that the choice can no longer be made in b.
	ended := func(t *testing.T, b *browser, action, csrf string) {
		t.Helper()
		if p := b.get(action); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Your sign-in expired") {
			t.Fatalf("choice page after the flow ended: %d\n%s", p.Status, p.Body)
		}
		if p := b.post(action, url.Values{"csrf_token": {csrf}, "org_code": {acme}}); p.Status != http.StatusBadRequest || p.Location != "" {
			t.Fatalf("choice after the flow ended: %d to %q", p.Status, p.Location)
		}
	}
	logoutURL := h.issuer(env) + "/oauth2/logout"

	t.Run("signing out ends a sign-in waiting for the choice", func(t *testing.T) {
		// A new sign-in has no session yet: the sign-out must end the flow
		// itself, or whoever uses the browser next could finish it.
		b := newBrowser(t)
		action, csrf := waiting(t, b, c.authRequest())
		if p := b.get(logoutURL); p.Status != http.StatusOK || !strings.Contains(p.Body, "You are signed out") {
			t.Fatalf("logout: %d\n%s", p.Status, p.Body)
		}
		ended(t, b, action, csrf)

		// A flow continuing a session ends with the session.
		b = newBrowser(t)
		ar := c.authRequest()
		action, csrf = waiting(t, b, ar)
		codeFrom(t, h, env, mustRedirect(t, b.post(action, url.Values{"csrf_token": {csrf}, "org_code": {acme}})), ar)
		action, csrf = waiting(t, b, c.authRequest())
		_, logoutCSRF := b.get(logoutURL).form(t)
		if p := b.post(logoutURL, url.Values{"csrf_token": {logoutCSRF}}); p.Status != http.StatusOK {
			t.Fatalf("confirmed logout: %d\n%s", p.Status, p.Body)
		}
		ended(t, b, action, csrf)
	})

	t.Run("another sign-in in the browser ends an abandoned choice", func(t *testing.T) {
		b := newBrowser(t)
		action, csrf := waiting(t, b, c.authRequest())
		// Someone else signs in with the same browser and finishes.
		ar := c.authRequest()
		codeFrom(t, h, env, b.signIn(ar.url, "one@example.com", password), ar)
		ended(t, b, action, csrf)

		// Signing in again up to the choice replaces the first flow: its
		// cookie, kept elsewhere, opens nothing.
		b = newBrowser(t)
		action, csrf = waiting(t, b, c.authRequest())
		first := b.c.Jar.Cookies(mustParse(t, h.issuer(env)))
		waiting(t, b, c.authRequest())
		other := newBrowser(t)
		other.c.Jar.SetCookies(mustParse(t, h.issuer(env)), first)
		ended(t, other, action, csrf)
	})

	t.Run("org_code of another organization is refused", func(t *testing.T) {
		b := newBrowser(t)
		ar := c.authRequest(oauth2.SetAuthURLParam("org_code", acme))
		u := b.signIn(ar.url, "one@example.com", password)
		if u.Query().Get("error") != "access_denied" || u.Query().Get("code") != "" {
			t.Fatalf("redirect %s", u)
		}
	})
}

func testPreMFAWorkflow(t *testing.T, h *harness) {
	const env = "premfa"
	h.env(env)
	ctx := testContext(t)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	user := h.user(t, env, "mfa@example.com", password)
	o, err := h.ids.CreateOrganization(ctx, env, "Umbrella")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.ids.SetMembership(ctx, env, o.Code, user.ID, nil); err != nil {
		t.Fatal(err)
	}
	h.upload(t, env, wasmbuild.ForTest(t, "testdata/guests/premfa"))

	withState := func(state string) authRequest {
		ar := c.authRequest()
		ar.url = strings.Replace(ar.url, "state="+ar.state, "state="+state, 1)
		ar.state = state
		return ar
	}
	var p page
	eventually(t, "the pre-MFA workflow", func() error {
		b := newBrowser(t)
		p = b.submit(b.openSignIn(withState("mfadeny1").url), "mfa@example.com", password)
		if p.Status == http.StatusForbidden {
			return nil
		}
		return errors.New("not denied yet")
	})
	want := fmt.Sprintf("pre-MFA denied %s in organization %q (policy off, context environment, connection set true, client set true)", user.ID, o.Code)
	if !strings.Contains(html.UnescapeString(p.Body), want) || p.Location != "" {
		t.Fatalf("denied sign-in:\n%s", p.Body)
	}
	// No session was started by the denied sign-in.
	b := newBrowser(t)
	p = b.submit(b.openSignIn(withState("mfadeny2").url), "mfa@example.com", password)
	if p.Status != http.StatusForbidden {
		t.Fatalf("%d", p.Status)
	}
	if p = b.get(withState("fine").url); p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/sign-in?") {
		t.Fatalf("a denied sign-in left a session: %d to %q", p.Status, p.Location)
	}

	// Otherwise the sign-in goes through, and a later request of the same
	// session does not run the workflow again.
	b = newBrowser(t)
	ar := withState("fine")
	u := b.signIn(ar.url, "mfa@example.com", password)
	codeFrom(t, h, env, u, ar)
	ar = withState("mfadeny-existing-session")
	if p = b.get(ar.url); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, redirectURI) ||
		!strings.Contains(p.Location, "code=") {
		t.Fatalf("existing session: %d to %q", p.Status, p.Location)
	}
}
