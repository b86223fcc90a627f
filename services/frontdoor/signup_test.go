package frontdoor_test

import (
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
)

var verifyLink = regexp.MustCompile(`https?://\S+/verify-email\?token=[A-Za-z0-9_-]+`)

// openSignUp follows an authorization URL with prompt=create to the
// sign-up page.
func (b *browser) openSignUp(authURL string) page {
	b.t.Helper()
	p := b.get(authURL + "&prompt=create")
	if p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/sign-up?") {
		b.t.Fatalf("authorization request: %d to %q, want a redirect to the sign-up page\n%s", p.Status, p.Location, p.Body)
	}
	p = b.get(p.Location)
	if p.Status != http.StatusOK {
		b.t.Fatalf("sign-up page: %d\n%s", p.Status, p.Body)
	}
	return p
}

// signUpForm is what a person types into the sign-up page.
type signUpForm struct {
	email, given, family, first, second string
}

func (f signUpForm) values(csrf string) url.Values {
	return url.Values{"csrf_token": {csrf}, "email": {f.email}, "given_name": {f.given}, "family_name": {f.family},
		"p_first_password": {f.first}, "p_second_password": {f.second}}
}

// submitSignUp posts the sign-up form of p.
func (b *browser) submitSignUp(p page, f signUpForm) page {
	b.t.Helper()
	action, csrf := p.form(b.t)
	return b.post(action, f.values(csrf))
}

// noUser checks that no user with email exists in env.
func noUser(t *testing.T, h *harness, env, email string) {
	t.Helper()
	if u, err := h.ids.GetUserByEmail(testContext(t), env, email); !errors.Is(err, identity.ErrNotFound) && !errors.Is(err, identity.ErrInvalid) {
		t.Fatalf("user %s: %+v, %v; want none", email, u, err)
	}
}

func testSignUp(t *testing.T, h *harness) {
	const env = "signup"
	h.env(env)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	good := signUpForm{email: "New.Person@Example.com", given: "Ada", family: "Lovelace", first: password, second: password}

	t.Run("links between the pages", func(t *testing.T) {
		b := newBrowser(t)
		in := b.openSignIn(c.authRequest().url)
		if !strings.Contains(in.Body, ">Create an account</a>") || !strings.Contains(in.Body, "/sign-up?") {
			t.Fatalf("the sign-in page does not link to the sign-up page:\n%s", in.Body)
		}
		up := b.openSignUp(c.authRequest().url)
		for _, want := range []string{`name="email"`, `name="given_name"`, `name="family_name"`, `name="p_first_password"`,
			`name="p_second_password"`, `autocomplete="new-password"`, ">Create account</button>", "/sign-in?"} {
			if !strings.Contains(up.Body, want) {
				t.Fatalf("sign-up page lacks %s:\n%s", want, up.Body)
			}
		}
	})

	t.Run("invalid fields are shown next to them and create nothing", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			form   signUpForm
			errors []string
		}{
			{"empty", signUpForm{}, []string{"Enter your email address.", "Choose a password.", "Enter the same password again."}},
			{"malformed email", signUpForm{email: "not-an-email", first: password, second: password}, []string{"Enter a valid email address"}},
			{"too short", signUpForm{email: "short@example.com", first: "Ab1!", second: "Ab1!"}, []string{"Password is too short: use at least 8 characters."}},
			{"common", signUpForm{email: "common@example.com", first: "password123", second: "password123"}, []string{"Password is too common"}},
			{"mismatch", signUpForm{email: "mismatch@example.com", first: password, second: password + "!"}, []string{"The passwords do not match."}},
			{"long name", signUpForm{email: "long@example.com", given: strings.Repeat("a", 257), first: password, second: password}, []string{"Names can be at most 256 characters long."}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := newBrowser(t)
				p := b.submitSignUp(b.openSignUp(c.authRequest().url), tc.form)
				if p.Status != http.StatusBadRequest || p.Location != "" {
					t.Fatalf("status %d location %q\n%s", p.Status, p.Location, p.Body)
				}
				body := html.UnescapeString(p.Body)
				for _, want := range tc.errors {
					if !strings.Contains(body, want) {
						t.Fatalf("page lacks %q:\n%s", want, body)
					}
				}
				if tc.form.first != "" && strings.Contains(p.Body, tc.form.first) {
					t.Fatal("the page repeats the password")
				}
				if tc.form.email != "" {
					if !strings.Contains(body, `value="`+tc.form.email+`"`) {
						t.Fatalf("the email typed is not kept:\n%s", body)
					}
					noUser(t, h, env, tc.form.email)
				}
			})
		}
	})

	t.Run("sign-up signs the new user in", func(t *testing.T) {
		if _, err := h.ids.CreatePlan(testContext(t), identity.NewPlan{Env: env, Code: "starter", Name: "Starter", Default: true}); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t)
		ar := c.authRequest()
		p := b.submitSignUp(b.openSignUp(ar.url), good)
		if p.Status != http.StatusSeeOther {
			t.Fatalf("sign-up: %d\n%s", p.Status, p.Body)
		}
		u, err := url.Parse(p.Location)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.conf.Exchange(testContext(t), codeFrom(t, h, env, u, ar), oauth2.VerifierOption(ar.verifier))
		if err != nil {
			t.Fatal(err)
		}
		idt, err := c.provider.Verifier(&oidc.Config{ClientID: app.ClientID}).Verify(testContext(t), tok.Extra("id_token").(string))
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			Email         string `json:"email"`
			EmailVerified bool   `json:"email_verified"`
			Name          string `json:"name"`
		}
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		user, err := h.ids.GetUserByEmail(testContext(t), env, good.email)
		if err != nil {
			t.Fatal(err)
		}
		if idt.Subject != user.ID || claims.Email != "new.person@example.com" || claims.EmailVerified || claims.Name != "Ada Lovelace" {
			t.Fatalf("ID token sub %s claims %+v; user %+v", idt.Subject, claims, user)
		}
		// A link to confirm the address was sent; it works once.
		var link string
		for _, m := range h.p.Outbox().Messages() {
			if m.To == "new.person@example.com" && m.Subject == "Confirm your email address" {
				link = verifyLink.FindString(m.Text)
			}
		}
		if link == "" {
			t.Fatal("no email confirmation link in the outbox")
		}
		if p := newBrowser(t).get(link); p.Status != http.StatusOK || !strings.Contains(p.Body, "Your email address is confirmed") {
			t.Fatalf("confirmation: %d\n%s", p.Status, p.Body)
		}
		if u, err := h.ids.GetUser(testContext(t), env, user.ID); err != nil || !u.EmailVerified {
			t.Fatalf("after the confirmation: %+v, %v", u, err)
		}
		if p := newBrowser(t).get(link); p.Status != http.StatusBadRequest {
			t.Fatalf("second use of the confirmation link: %d", p.Status)
		}
		// New users get the environment's default plan.
		if a, err := h.ids.ActiveAgreement(testContext(t), env, user.ID); err != nil || a.PlanCode != "starter" {
			t.Fatalf("plan of the new user: %+v, %v", a, err)
		}
		// The password works for signing in, and the session is live.
		c.login(t, h, env, newBrowser(t), good.email)
		if p := b.get(c.authRequest().url); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, redirectURI) {
			t.Fatalf("the session does not sign the user in again: %d %s", p.Status, p.Location)
		}
	})

	t.Run("an existing email is refused", func(t *testing.T) {
		b := newBrowser(t)
		f := good
		f.email = "NEW.person@example.com"
		f.first, f.second = "another good passphrase", "another good passphrase"
		p := b.submitSignUp(b.openSignUp(c.authRequest().url), f)
		if p.Status != http.StatusConflict || !strings.Contains(html.UnescapeString(p.Body), "An account with this email already exists") {
			t.Fatalf("%d\n%s", p.Status, p.Body)
		}
		// The first password still signs in; the second does not.
		c.login(t, h, env, newBrowser(t), good.email)
		b = newBrowser(t)
		if p := b.submit(b.openSignIn(c.authRequest().url), good.email, f.first); p.Status != http.StatusUnauthorized {
			t.Fatalf("the refused sign-up changed the password: %d", p.Status)
		}
	})

	t.Run("a form without its anti-forgery token is refused", func(t *testing.T) {
		b := newBrowser(t)
		action, _ := b.openSignUp(c.authRequest().url).form(t)
		f := good
		f.email = "forged@example.com"
		for _, csrf := range []string{"", "forged"} {
			p := b.post(action, f.values(csrf))
			if p.Status != http.StatusForbidden {
				t.Fatalf("csrf %q: %d", csrf, p.Status)
			}
		}
		noUser(t, h, env, f.email)
	})
}

func testSignUpWorkflows(t *testing.T, h *harness) {
	const env = "signupflows"
	h.env(env)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	h.upload(t, env, wasmbuild.ForTest(t, "testdata/guests/newpwcheck"))
	h.upload(t, env, wasmbuild.ForTest(t, "../../wasm-sdk/examples/blockdisposableemails"))
	h.upload(t, env, wasmbuild.ForTest(t, "testdata/guests/postauthdeny"))

	const companyPassword = "acme rocks forever"
	var p page
	eventually(t, "the new password workflow", func() error {
		b := newBrowser(t)
		p = b.submitSignUp(b.openSignUp(c.authRequest().url), signUpForm{email: "acme@example.com", first: companyPassword, second: companyPassword})
		if p.Status == http.StatusBadRequest {
			return nil
		}
		return errors.New("not refused yet")
	})
	body := html.UnescapeString(p.Body)
	if !strings.Contains(body, `<p class="field-error" id="first-password-error">Do not use the company name in your password (initial)</p>`) ||
		strings.Contains(p.Body, companyPassword) {
		t.Fatalf("form error page:\n%s", body)
	}
	noUser(t, h, env, "acme@example.com")

	eventually(t, "the pre-registration workflow", func() error {
		b := newBrowser(t)
		p = b.submitSignUp(b.openSignUp(c.authRequest().url), signUpForm{email: "someone@mailinator.com", first: password, second: password})
		if p.Status == http.StatusForbidden {
			return nil
		}
		return errors.New("not denied yet")
	})
	if !strings.Contains(p.Body, "Sign-ups with disposable email addresses are not allowed.") || p.Location != "" {
		t.Fatalf("denied sign-up:\n%s", p.Body)
	}
	noUser(t, h, env, "someone@mailinator.com")

	// user:post_authentication runs after the user is created, and knows.
	eventually(t, "the post-authentication workflow", func() error {
		b := newBrowser(t)
		ar := c.authRequest()
		ar.url = strings.Replace(ar.url, "state="+ar.state, "state=deny-"+ar.state, 1)
		p = b.submitSignUp(b.openSignUp(ar.url), signUpForm{email: randomString() + "@example.com", first: password, second: password})
		if p.Status == http.StatusForbidden {
			return nil
		}
		return errors.New("not denied yet")
	})
	if !strings.Contains(p.Body, "sign-ins from this device are blocked (new user: true)") {
		t.Fatalf("denied sign-up:\n%s", p.Body)
	}

	// A good sign-up goes through every workflow.
	b := newBrowser(t)
	ar := c.authRequest()
	p = b.submitSignUp(b.openSignUp(ar.url), signUpForm{email: "fine@example.com", first: password, second: password})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, redirectURI) {
		t.Fatalf("sign-up: %d\n%s", p.Status, p.Body)
	}
}
