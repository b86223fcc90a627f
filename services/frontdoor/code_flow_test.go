package frontdoor_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
)

const (
	redirectURI = "https://app.example/callback"
	logoutURI   = "https://app.example/signed-out"
	password    = "correct horse battery staple"
)

// webApp registers a confidential web application with one redirect URI
// and one post-logout redirect URI.
func webApp(t *testing.T, h *harness, env string) (*identity.Application, string) {
	t.Helper()
	return h.app(t, identity.NewApplication{Env: env, Name: "Example Web", Type: identity.AppRegular,
		RedirectURIs: []string{redirectURI}, PostLogoutRedirectURIs: []string{logoutURI}})
}

// client is an OAuth client application as golang.org/x/oauth2 and
// go-oidc make it.
type client struct {
	provider *oidc.Provider
	conf     oauth2.Config
}

func newClient(t *testing.T, h *harness, env string, app *identity.Application, secret string) *client {
	t.Helper()
	p, err := oidc.NewProvider(testContext(t), h.issuer(env))
	if err != nil {
		t.Fatal(err)
	}
	return &client{provider: p, conf: oauth2.Config{ClientID: app.ClientID, ClientSecret: secret, Endpoint: p.Endpoint(),
		RedirectURL: redirectURI, Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}}}
}

// authRequest is one authorization request with its secrets.
type authRequest struct {
	url, state, nonce, verifier string
}

func (c *client) authRequest(opts ...oauth2.AuthCodeOption) authRequest {
	ar := authRequest{state: randomString(), nonce: randomString(), verifier: oauth2.GenerateVerifier()}
	ar.url = c.conf.AuthCodeURL(ar.state, append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(ar.verifier), oidc.Nonce(ar.nonce)}, opts...)...)
	return ar
}

func randomString() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// codeFrom checks a redirect back to the client and returns its code.
func codeFrom(t *testing.T, h *harness, env string, u *url.URL, ar authRequest) string {
	t.Helper()
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != redirectURI || q.Get("state") != ar.state || q.Get("iss") != h.issuer(env) || q.Get("code") == "" {
		t.Fatalf("redirect to the client %s", u)
	}
	return q.Get("code")
}

// login runs a whole sign-in and code exchange.
func (c *client) login(t *testing.T, h *harness, env string, b *browser, email string) (*oauth2.Token, authRequest) {
	t.Helper()
	ar := c.authRequest()
	code := codeFrom(t, h, env, b.signIn(ar.url, email, password), ar)
	tok, err := c.conf.Exchange(testContext(t), code, oauth2.VerifierOption(ar.verifier))
	if err != nil {
		t.Fatal(err)
	}
	return tok, ar
}

func testCodeFlow(t *testing.T, h *harness) {
	ctx := testContext(t)
	user := h.user(t, defaultEnv, "ann@example.com", password)
	app, secret := webApp(t, h, defaultEnv)
	c := newClient(t, h, defaultEnv, app, secret)
	b := newBrowser(t)

	// The sign-in page: labelled fields, no script, anti-framing headers.
	ar := c.authRequest(oauth2.SetAuthURLParam("login_hint", "ann@example.com"))
	p := b.openSignIn(ar.url)
	for _, want := range []string{`<label for="email">Email</label>`, `<label for="p_password">Password</label>`,
		`value="ann@example.com"`, `autocomplete="current-password"`, "Sign in to Example Web"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
	if strings.Contains(p.Body, "<script") || !strings.Contains(p.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
		p.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("sign-in page headers %v", p.Header)
	}
	code := codeFrom(t, h, defaultEnv, mustRedirect(t, b.submit(p, "Ann@Example.com ", password)), ar)

	tok, err := c.conf.Exchange(ctx, code, oauth2.VerifierOption(ar.verifier))
	if err != nil {
		t.Fatal(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := c.provider.Verifier(&oidc.Config{ClientID: app.ClientID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatal(err)
	}
	var idc struct {
		Email         string   `json:"email"`
		EmailVerified bool     `json:"email_verified"`
		Name          string   `json:"name"`
		AMR           []string `json:"amr"`
		AuthTime      int64    `json:"auth_time"`
		SID           string   `json:"sid"`
	}
	if err := idt.Claims(&idc); err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != ar.nonce || idt.Subject != user.ID || idc.Email != "ann@example.com" || !idc.EmailVerified || idc.Name != "Ann Lee" ||
		!slices.Equal(idc.AMR, []string{"pwd"}) || time.Since(time.Unix(idc.AuthTime, 0)) > time.Minute || idc.SID == "" {
		t.Fatalf("ID token %+v, claims %+v", idt, idc)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Fatalf("at_hash: %v", err)
	}
	at := h.verifyAccess(t, defaultEnv, tok.AccessToken)
	if at.Subject != user.ID || tok.RefreshToken == "" || tok.Extra("scope") != "openid profile email offline_access" {
		t.Fatalf("access token %+v, token %+v", at, tok)
	}

	// userinfo
	info, err := c.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	if info.Subject != user.ID || info.Email != "ann@example.com" || !info.EmailVerified {
		t.Fatalf("userinfo %+v", info)
	}

	// Refresh with rotation through the oauth2 TokenSource.
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)
	fresh, err := c.conf.TokenSource(ctx, &stale).Token()
	if err != nil {
		t.Fatal(err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh did not rotate: %+v", fresh)
	}
	if rawID, _ := fresh.Extra("id_token").(string); rawID == "" {
		t.Fatal("refresh returned no ID token")
	} else if _, err := c.provider.Verifier(&oidc.Config{ClientID: app.ClientID}).Verify(ctx, rawID); err != nil {
		t.Fatalf("refreshed ID token: %v", err)
	}

	// Presenting the rotated refresh token again is reuse: the whole
	// family is revoked, the fresh tokens with it.
	e := postForm(t, c.conf.Endpoint.TokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, app.ClientID, secret, nil)
	wantOAuthError(t, e, 400, "invalid_grant")
	e = postForm(t, c.conf.Endpoint.TokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fresh.RefreshToken}}, app.ClientID, secret, nil)
	wantOAuthError(t, e, 400, "invalid_grant")
	if h.introspect(t, defaultEnv, fresh.AccessToken).Active {
		t.Fatal("the access token of a revoked family is still active")
	}

	// The session signs the user in again without the form.
	ar = c.authRequest()
	p = b.get(ar.url)
	codeFrom(t, h, defaultEnv, mustRedirect(t, p), ar)
	// prompt=login and max_age=0 ask for the password again.
	for _, opt := range []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0")} {
		b.openSignIn(c.authRequest(opt).url)
	}
	// prompt=none without a session is login_required.
	ar = c.authRequest(oauth2.SetAuthURLParam("prompt", "none"))
	u := mustRedirect(t, newBrowser(t).get(ar.url))
	if u.Query().Get("error") != "login_required" || u.Query().Get("state") != ar.state || u.Query().Get("code") != "" {
		t.Fatalf("prompt=none without a session: %s", u)
	}
}

// testPublicClient: a single-page application has no secret; PKCE is its
// proof.
func testPublicClient(t *testing.T, h *harness) {
	h.user(t, defaultEnv, "spa-user@example.com", password)
	app, _ := h.app(t, identity.NewApplication{Env: defaultEnv, Name: "SPA", Type: identity.AppSPA, RedirectURIs: []string{redirectURI}})
	c := newClient(t, h, defaultEnv, app, "")
	c.conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	tok, _ := c.login(t, h, defaultEnv, newBrowser(t), "spa-user@example.com")
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token %+v", tok)
	}
	// Without the verifier there is nothing to prove the code is theirs.
	ar := c.authRequest()
	code := codeFrom(t, h, defaultEnv, newBrowser(t).signIn(ar.url, "spa-user@example.com", password), ar)
	e := postForm(t, c.conf.Endpoint.TokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "client_id": {app.ClientID}}, "", "", nil)
	wantOAuthError(t, e, 400, "invalid_request")

	// The browser may call the token endpoint from the application's
	// origin.
	req, _ := http.NewRequest(http.MethodOptions, c.conf.Endpoint.TokenURL, nil)
	req.Header.Set("Origin", "https://spa.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func mustRedirect(t *testing.T, p page) *url.URL {
	t.Helper()
	if p.Status != http.StatusSeeOther || p.Location == "" {
		t.Fatalf("want a redirect, got %d\n%s", p.Status, p.Body)
	}
	u, err := url.Parse(p.Location)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// testTokensWorkflow: a live user:tokens_generation workflow (the
// tokensbench example) adds its claims on code exchange and refresh.
func testTokensWorkflow(t *testing.T, h *harness) {
	const env = "tokensflow"
	h.env(env)
	h.user(t, env, "wf@example.com", password)
	app, secret := webApp(t, h, env)
	h.upload(t, env, wasmbuild.ForTest(t, "../../wasm-sdk/examples/tokensbench"))
	c := newClient(t, h, env, app, secret)
	b := newBrowser(t)
	var tok *oauth2.Token
	eventually(t, "the workflow's claims", func() error {
		tok, _ = c.login(t, h, env, b, "wf@example.com")
		if h.verifyAccess(t, env, tok.AccessToken).Claims["ip"] == nil {
			return errors.New("no ip claim yet")
		}
		return nil
	})
	claims := h.verifyAccess(t, env, tok.AccessToken).Claims
	if string(claims["ip"]) != `"127.0.0.1"` {
		t.Fatalf("claims %s", mustMarshal(claims))
	}
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)
	fresh, err := c.conf.TokenSource(testContext(t), &stale).Token()
	if err != nil {
		t.Fatal(err)
	}
	if claims := h.verifyAccess(t, env, fresh.AccessToken).Claims; string(claims["ip"]) != `"127.0.0.1"` {
		t.Fatalf("refreshed claims %s", mustMarshal(claims))
	}
}

// testSignInWorkflows: user:existing_password_provided shows its form
// error next to the password field; user:post_authentication may deny.
func testSignInWorkflows(t *testing.T, h *harness) {
	const env = "guarded"
	h.env(env)
	h.user(t, env, "legacy@example.com", password)
	h.user(t, env, "ok@example.com", password)
	app, secret := webApp(t, h, env)
	h.upload(t, env, wasmbuild.ForTest(t, "testdata/guests/pwcheck"))
	h.upload(t, env, wasmbuild.ForTest(t, "testdata/guests/postauthdeny"))
	c := newClient(t, h, env, app, secret)

	var p page
	eventually(t, "the password workflow", func() error {
		p = newBrowser(t).submit(newBrowser(t).openSignIn(c.authRequest().url), "legacy@example.com", password)
		if p.Status == http.StatusSeeOther {
			return errors.New("signed in")
		}
		return nil
	})
	b := newBrowser(t)
	p = b.submit(b.openSignIn(c.authRequest().url), "legacy@example.com", password)
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `<p class="field-error" id="password-error">Reset your password: the old one expired</p>`) ||
		!strings.Contains(p.Body, `aria-describedby="password-error"`) || strings.Contains(p.Body, password) {
		t.Fatalf("form error page %d:\n%s", p.Status, p.Body)
	}

	eventually(t, "the post-authentication workflow", func() error {
		b := newBrowser(t)
		ar := c.authRequest()
		ar.url = strings.Replace(ar.url, "state="+ar.state, "state=deny-"+ar.state, 1)
		p = b.submit(b.openSignIn(ar.url), "ok@example.com", password)
		if p.Status == http.StatusSeeOther {
			return errors.New("signed in")
		}
		return nil
	})
	if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "sign-ins from this device are blocked") || p.Location != "" {
		t.Fatalf("denied sign-in %d:\n%s", p.Status, p.Body)
	}
	// Other sign-ins go through.
	c.login(t, h, env, newBrowser(t), "ok@example.com")
}

func asRetrieveError(err error, target **oauth2.RetrieveError) bool { return errors.As(err, target) }
