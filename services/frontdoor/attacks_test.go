package frontdoor_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// testAuthorizationRequestAttacks: a request that cannot be trusted gets
// an error page and never a redirect; PKCE is required of every client.
func testAuthorizationRequestAttacks(t *testing.T, h *harness) {
	h.user(t, defaultEnv, "pkce@example.com", password)
	app, secret := webApp(t, h, defaultEnv)
	c := newClient(t, h, defaultEnv, app, secret)
	b := newBrowser(t)
	authURL := h.base + "/oauth2/auth"
	base := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {redirectURI},
		"scope": {"openid"}, "state": {"st"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
		"code_challenge_method": {"S256"}}
	with := func(kv ...string) string {
		q := url.Values{}
		for k, v := range base {
			q[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				q.Del(kv[i])
			} else {
				q.Set(kv[i], kv[i+1])
			}
		}
		return authURL + "?" + q.Encode()
	}

	// Untrusted client or redirect URI: a page, no redirect.
	for name, u := range map[string]string{
		"trailing slash":  with("redirect_uri", redirectURI+"/"),
		"other port":      with("redirect_uri", "https://app.example:8443/callback"),
		"other path":      with("redirect_uri", "https://app.example/callback/evil"),
		"other host":      with("redirect_uri", "https://evil.example/callback"),
		"query added":     with("redirect_uri", redirectURI+"?x=1"),
		"no redirect_uri": with("redirect_uri", ""),
		"unknown client":  with("client_id", "0123456789abcdef0123456789abcdef"),
		"no client":       with("client_id", ""),
		"10 KB state":     with("state", strings.Repeat("s", 10<<10)),
		"repeated param":  with() + "&redirect_uri=" + url.QueryEscape("https://evil.example/callback"),
	} {
		p := b.get(u)
		if p.Status != http.StatusBadRequest || p.Location != "" || !strings.Contains(p.Body, "This sign-in link is not valid") {
			t.Errorf("%s: %d to %q\n%s", name, p.Status, p.Location, p.Body)
		}
		if name == "10 KB state" && !strings.Contains(p.Body, "state is 10240 bytes long; the limit is 2048") {
			t.Errorf("oversized state: page does not say why:\n%s", p.Body)
		}
	}
	// The client and redirect URI are good: errors go back to the client,
	// with no code.
	for name, c := range map[string]struct{ url, code string }{
		"no PKCE":                {with("code_challenge", "", "code_challenge_method", ""), "invalid_request"},
		"plain PKCE":             {with("code_challenge_method", "plain"), "invalid_request"},
		"no PKCE method":         {with("code_challenge_method", ""), "invalid_request"},
		"bad challenge":          {with("code_challenge", "short"), "invalid_request"},
		"implicit flow":          {with("response_type", "token"), "unsupported_response_type"},
		"hybrid flow":            {with("response_type", "code id_token"), "unsupported_response_type"},
		"unknown scope":          {with("scope", "openid admin"), "invalid_scope"},
		"fragment response":      {with("response_mode", "fragment"), "invalid_request"},
		"bad max_age":            {with("max_age", "-1"), "invalid_request"},
		"request object":         {with("request", "eyJ"), "request_not_supported"},
		"prompt none+login":      {with("prompt", "none login"), "invalid_request"},
		"unknown prompt":         {with("prompt", "register"), "invalid_request"},
		"no response_type":       {with("response_type", ""), "invalid_request"},
		"signed-out prompt=none": {with("prompt", "none"), "login_required"},
	} {
		u := mustRedirect(t, b.get(c.url))
		q := u.Query()
		if !strings.HasPrefix(u.String(), redirectURI+"?") || q.Get("error") != c.code || q.Get("code") != "" ||
			q.Get("state") != "st" || q.Get("iss") != h.base {
			t.Errorf("%s: redirect %s, want error %s", name, u, c.code)
		}
	}

	// Code exchange: the verifier, redirect URI and client must match.
	ar := c.authRequest()
	b = newBrowser(t)
	code := codeFrom(t, h, defaultEnv, b.signIn(ar.url, "pkce@example.com", password), ar)
	tokenURL := c.conf.Endpoint.TokenURL
	exchange := func(code, verifier, redirect string) *oauthError {
		return postForm(t, tokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"code_verifier": {verifier}, "redirect_uri": {redirect}}, app.ClientID, secret, nil)
	}
	// Each failed redemption consumes the code, so each case gets its own.
	newCode := func() (string, authRequest) {
		ar := c.authRequest()
		return codeFrom(t, h, defaultEnv, mustRedirect(t, b.get(ar.url)), ar), ar
	}
	wantOAuthError(t, exchange(code, oauth2.GenerateVerifier(), redirectURI), 400, "invalid_grant")
	code, ar = newCode()
	wantOAuthError(t, exchange(code, ar.verifier, redirectURI+"/"), 400, "invalid_grant")
	code, ar = newCode()
	other, otherSecret := webApp(t, h, defaultEnv)
	wantOAuthError(t, postForm(t, tokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {ar.verifier}, "redirect_uri": {redirectURI}}, other.ClientID, otherSecret, nil), 400, "invalid_grant")
	wantOAuthError(t, exchange("not-a-code", ar.verifier, redirectURI), 400, "invalid_grant")
}

// testCodeReuse: a code redeemed twice fails the second time, and the
// tokens of the first redemption are revoked.
func testCodeReuse(t *testing.T, h *harness) {
	h.user(t, defaultEnv, "reuse@example.com", password)
	app, secret := webApp(t, h, defaultEnv)
	c := newClient(t, h, defaultEnv, app, secret)
	ar := c.authRequest()
	code := codeFrom(t, h, defaultEnv, newBrowser(t).signIn(ar.url, "reuse@example.com", password), ar)
	tok, err := c.conf.Exchange(testContext(t), code, oauth2.VerifierOption(ar.verifier))
	if err != nil {
		t.Fatal(err)
	}
	if !h.introspect(t, defaultEnv, tok.AccessToken).Active {
		t.Fatal("fresh access token inactive")
	}
	_, err = c.conf.Exchange(testContext(t), code, oauth2.VerifierOption(ar.verifier))
	var re *oauth2.RetrieveError
	if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("second redemption: %v", err)
	}
	if h.introspect(t, defaultEnv, tok.AccessToken).Active {
		t.Fatal("the access token of a replayed code is still active")
	}
	e := postForm(t, c.conf.Endpoint.TokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, app.ClientID, secret, nil)
	wantOAuthError(t, e, 400, "invalid_grant")
}

// testSignInForm: CSRF, wrong credentials, and what the page reveals.
func testSignInForm(t *testing.T, h *harness) {
	h.user(t, defaultEnv, "form@example.com", password)
	app, secret := webApp(t, h, defaultEnv)
	c := newClient(t, h, defaultEnv, app, secret)
	b := newBrowser(t)
	p := b.openSignIn(c.authRequest().url)
	action, csrf := p.form(t)

	for name, form := range map[string]url.Values{
		"missing CSRF token": {"email": {"form@example.com"}, "p_password": {password}},
		"wrong CSRF token":   {"csrf_token": {strings.Repeat("A", 43)}, "email": {"form@example.com"}, "p_password": {password}},
		"other's CSRF token": {"csrf_token": {flipLast(csrf)}, "email": {"form@example.com"}, "p_password": {password}},
	} {
		p := b.post(action, form)
		if p.Status != http.StatusForbidden || p.Location != "" {
			t.Errorf("%s: %d to %q", name, p.Status, p.Location)
		}
	}
	// The right token from another browser (no cookie) is refused too.
	if p := newBrowser(t).post(action, url.Values{"csrf_token": {csrf}, "email": {"form@example.com"}, "p_password": {password}}); p.Status != http.StatusForbidden {
		t.Errorf("token without its cookie: %d", p.Status)
	}
	// None of that signed anyone in.
	b.openSignIn(c.authRequest().url)

	wrong := b.submit(p, "form@example.com", "not the password")
	unknown := b.submit(p, "nobody@example.com", password)
	for _, p := range []page{wrong, unknown} {
		if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "Email or password is incorrect.") || strings.Contains(p.Body, "not the password") {
			t.Fatalf("wrong credentials: %d\n%s", p.Status, p.Body)
		}
	}
	// Empty fields are named.
	if p := b.submit(p, "", ""); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Enter your email address.") || !strings.Contains(p.Body, "Enter your password.") {
		t.Fatalf("empty form: %d\n%s", p.Status, p.Body)
	}
	// A password over the limit is refused before any work.
	if p := b.submit(p, "form@example.com", strings.Repeat("x", 2000)); p.Status != http.StatusBadRequest {
		t.Fatalf("2000-byte password: %d", p.Status)
	}
	c.login(t, h, defaultEnv, b, "form@example.com")
}

// testUserinfoAttacks: only a valid, unrevoked access token for a user
// with scope openid opens userinfo.
func testUserinfoAttacks(t *testing.T, h *harness) {
	h.user(t, defaultEnv, "info@example.com", password)
	app, secret := webApp(t, h, defaultEnv)
	c := newClient(t, h, defaultEnv, app, secret)
	tok, _ := c.login(t, h, defaultEnv, newBrowser(t), "info@example.com")
	infoURL := h.base + "/oauth2/userinfo"
	call := func(token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, infoURL, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate") + " " + string(body)
	}
	if status, body := call(tok.AccessToken); status != 200 || !strings.Contains(body, `"email":"info@example.com"`) {
		t.Fatalf("userinfo: %d %s", status, body)
	}

	parts := strings.Split(tok.AccessToken, ".")
	var header map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	_ = json.Unmarshal(raw, &header)
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt","kid":"` + header["kid"].(string) + `"}`))
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: header["kid"].(string)}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	jws, _ := signer.Sign(payload)
	foreign, _ := jws.CompactSerialize()

	m2m, m2mSecret := m2mApp(t, h, defaultEnv)
	m2mTok, err := (&clientcredentials.Config{ClientID: m2m.ClientID, ClientSecret: m2mSecret, TokenURL: c.conf.Endpoint.TokenURL}).Token(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{
		"alg none":                     none + "." + parts[1] + ".",
		"foreign key with a known kid": foreign,
		"tampered payload":             parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"sub":"`, `"sub":"x`, 1))) + "." + parts[2],
		"ID token":                     tok.Extra("id_token").(string),
		"refresh token":                tok.RefreshToken,
		"M2M token":                    m2mTok.AccessToken,
		"garbage":                      "garbage",
	} {
		if status, body := call(token); status != 401 || !strings.Contains(body, `error="invalid_token"`) {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}
	if status, body := call(""); status != 401 || !strings.HasPrefix(body, "Bearer") {
		t.Errorf("no token: %d %s", status, body)
	}
	// A revoked token no longer works.
	if e := postForm(t, h.base+"/oauth2/revoke", url.Values{"token": {tok.AccessToken}}, app.ClientID, secret, nil); e != nil {
		t.Fatal(e)
	}
	if status, _ := call(tok.AccessToken); status != 401 {
		t.Errorf("revoked token: %d", status)
	}
}

// testLogout: RP-initiated logout redirects only to a registered
// post-logout URI and ends the session.
func testLogout(t *testing.T, h *harness) {
	h.user(t, defaultEnv, "bye@example.com", password)
	app, secret := webApp(t, h, defaultEnv)
	c := newClient(t, h, defaultEnv, app, secret)
	b := newBrowser(t)
	tok, _ := c.login(t, h, defaultEnv, b, "bye@example.com")
	idToken := tok.Extra("id_token").(string)
	logoutURL := h.base + "/oauth2/logout"
	signedIn := func() bool {
		p := b.get(c.authRequest().url)
		return p.Location != "" && !strings.Contains(p.Location, "/sign-in?")
	}
	if !signedIn() {
		t.Fatal("not signed in after login")
	}

	// Open redirects are refused, without signing out.
	for name, q := range map[string]url.Values{
		"unregistered URI":           {"id_token_hint": {idToken}, "post_logout_redirect_uri": {"https://evil.example/"}},
		"registered URI plus slash":  {"id_token_hint": {idToken}, "post_logout_redirect_uri": {logoutURI + "/"}},
		"redirect URI, not a logout": {"client_id": {app.ClientID}, "post_logout_redirect_uri": {redirectURI}},
		"no client named":            {"post_logout_redirect_uri": {logoutURI}},
		"forged hint":                {"id_token_hint": {idToken[:len(idToken)-4] + "AAAA"}, "post_logout_redirect_uri": {logoutURI}},
	} {
		p := b.get(logoutURL + "?" + q.Encode())
		if p.Status != http.StatusBadRequest || p.Location != "" {
			t.Errorf("%s: %d to %q", name, p.Status, p.Location)
		}
	}
	if !signedIn() {
		t.Fatal("a refused logout signed the user out")
	}

	// Without a hint the user confirms first.
	p := b.get(logoutURL + "?" + url.Values{"client_id": {app.ClientID}, "post_logout_redirect_uri": {logoutURI}, "state": {"s1"}}.Encode())
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Sign out of Example Web?") || !signedIn() {
		t.Fatalf("confirmation page: %d\n%s", p.Status, p.Body)
	}
	action, _ := p.form(t)
	if p := b.post(action, url.Values{"client_id": {app.ClientID}, "post_logout_redirect_uri": {logoutURI}, "state": {"s1"}, "csrf_token": {"x"}}); p.Status != http.StatusForbidden {
		t.Fatalf("confirmation with a wrong CSRF token: %d", p.Status)
	}

	// With the hint it happens at once.
	p = b.get(logoutURL + "?" + url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {logoutURI}, "state": {"s2"}}.Encode())
	if p.Status != http.StatusSeeOther || p.Location != logoutURI+"?state=s2" {
		t.Fatalf("logout: %d to %q\n%s", p.Status, p.Location, p.Body)
	}
	if signedIn() {
		t.Fatal("still signed in after logout")
	}

	// Confirmed by form.
	c.login(t, h, defaultEnv, b, "bye@example.com")
	p = b.get(logoutURL + "?" + url.Values{"client_id": {app.ClientID}}.Encode())
	action, csrf := p.form(t)
	p = b.post(action, url.Values{"client_id": {app.ClientID}, "csrf_token": {csrf}})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "You are signed out.") || signedIn() {
		t.Fatalf("confirmed logout: %d\n%s", p.Status, p.Body)
	}
}

// flipLast returns s with its last character changed, so it never equals s.
func flipLast(s string) string {
	last := byte('B')
	if s[len(s)-1] == last {
		last = 'C'
	}
	return s[:len(s)-1] + string(last)
}

// testCodeAfterSignOut: a code whose sign-in ended (signed out, reset)
// before it was exchanged is refused.
func testCodeAfterSignOut(t *testing.T, h *harness) {
	user := h.user(t, defaultEnv, "ended@example.com", password)
	app, secret := webApp(t, h, defaultEnv)
	c := newClient(t, h, defaultEnv, app, secret)
	ar := c.authRequest()
	code := codeFrom(t, h, defaultEnv, newBrowser(t).signIn(ar.url, "ended@example.com", password), ar)
	if _, err := h.pool.Exec(testContext(t), `DELETE FROM frontdoor.sessions WHERE env = $1 AND user_id = $2`,
		defaultEnv, user.ID); err != nil {
		t.Fatal(err)
	}
	e := postForm(t, h.issuer(defaultEnv)+"/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {ar.verifier}}, app.ClientID, secret, nil)
	if e == nil || e.Error != "invalid_grant" || !strings.Contains(e.Description, "has ended") {
		t.Fatalf("exchange after the session ended: %+v", e)
	}
	// A code of a live session still works.
	ar = c.authRequest()
	code = codeFrom(t, h, defaultEnv, newBrowser(t).signIn(ar.url, "ended@example.com", password), ar)
	if _, err := c.conf.Exchange(testContext(t), code, oauth2.VerifierOption(ar.verifier)); err != nil {
		t.Fatal(err)
	}
}
