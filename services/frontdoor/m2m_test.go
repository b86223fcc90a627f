package frontdoor_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
)

func testDiscovery(t *testing.T, h *harness) {
	ctx := testContext(t)
	p, err := oidc.NewProvider(ctx, h.base)
	if err != nil {
		t.Fatal(err)
	}
	if p.Endpoint().AuthURL != h.base+"/oauth2/auth" || p.Endpoint().TokenURL != h.base+"/oauth2/token" ||
		p.UserInfoEndpoint() != h.base+"/oauth2/userinfo" {
		t.Fatalf("endpoints %+v, userinfo %s", p.Endpoint(), p.UserInfoEndpoint())
	}
	var doc map[string]any
	if err := p.Claims(&doc); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"response_types_supported":              {"code"},
		"code_challenge_methods_supported":      {"S256"},
		"grant_types_supported":                 {"authorization_code", "refresh_token", "client_credentials"},
		"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post", "none"},
		"id_token_signing_alg_values_supported": {"ES256", "RS256"},
	}
	for field, values := range want {
		got, _ := doc[field].([]any)
		var gotS []string
		for _, v := range got {
			gotS = append(gotS, v.(string))
		}
		if !slices.Equal(gotS, values) {
			t.Errorf("%s = %v, want %v", field, gotS, values)
		}
	}
	for _, f := range []string{"jwks_uri", "revocation_endpoint", "introspection_endpoint", "end_session_endpoint", "scopes_supported", "claims_supported"} {
		if doc[f] == nil {
			t.Errorf("discovery lacks %s", f)
		}
	}

	// A second environment has its own issuer under /e/<env>; an unknown
	// one does not exist, and the default one has one URL only.
	h.env("discovery")
	p2, err := oidc.NewProvider(ctx, h.issuer("discovery"))
	if err != nil {
		t.Fatal(err)
	}
	if p2.Endpoint().TokenURL != h.base+"/e/discovery/oauth2/token" {
		t.Fatalf("second environment token endpoint %s", p2.Endpoint().TokenURL)
	}
	for _, u := range []string{h.base + "/e/nope/.well-known/openid-configuration", h.base + "/e/production/.well-known/openid-configuration",
		h.base + "/e/NOT..valid/.well-known/openid-configuration"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", u, resp.StatusCode)
		}
	}
}

func testJWKS(t *testing.T, h *harness) {
	set := h.jwks(t, defaultEnv)
	if len(set.Keys) == 0 || set.Keys[0].Alg != "ES256" || set.Keys[0].Kid == "" || set.Keys[0].Use != "sig" {
		t.Fatalf("JWKS %+v", set)
	}
	for _, k := range set.Keys {
		if _, err := k.PublicKey(); err != nil {
			t.Fatalf("key %s: %v", k.Kid, err)
		}
	}
}

// m2mApp registers an M2M application allowed audience "https://api.example" and
// scopes read, write.
func m2mApp(t *testing.T, h *harness, env string, audiences ...string) (*identity.Application, string) {
	t.Helper()
	return h.app(t, identity.NewApplication{Env: env, Name: "Billing sync", Type: identity.AppM2M,
		Audiences: append([]string{"https://api.example"}, audiences...), Scopes: []string{"read", "write"}})
}

func testClientCredentials(t *testing.T, h *harness) {
	app, secret := m2mApp(t, h, defaultEnv)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cc := clientcredentials.Config{ClientID: app.ClientID, ClientSecret: secret, TokenURL: h.base + "/oauth2/token",
			Scopes: []string{"read"}, EndpointParams: url.Values{"audience": {"https://api.example"}}, AuthStyle: style}
		tok, err := cc.Token(testContext(t))
		if err != nil {
			t.Fatalf("auth style %v: %v", style, err)
		}
		at := h.verifyAccess(t, defaultEnv, tok.AccessToken)
		var gty, scope string
		_, _ = at.Claim("gty", &gty)
		_, _ = at.Claim("scope", &scope)
		if at.Subject != app.ClientID || !slices.Equal(at.Audience, []string{"https://api.example"}) || gty != "client-credentials" ||
			scope != "read" || tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
			t.Fatalf("M2M token %+v (gty %q, scope %q)", at, gty, scope)
		}
	}

	// Without scope, the token gets every allowed scope.
	cc := clientcredentials.Config{ClientID: app.ClientID, ClientSecret: secret, TokenURL: h.base + "/oauth2/token"}
	tok, err := cc.Token(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Extra("scope"); got != "read write" {
		t.Fatalf("scope without a request: %v", got)
	}

	tokenURL := h.base + "/oauth2/token"
	form := func(kv ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	wantOAuthError(t, postForm(t, tokenURL, form("audience", "https://other.example"), app.ClientID, secret, nil), 400, "invalid_target")
	wantOAuthError(t, postForm(t, tokenURL, form("scope", "read admin"), app.ClientID, secret, nil), 400, "invalid_scope")

	// A regular web application may not use client credentials.
	web, webSecret := h.app(t, identity.NewApplication{Env: defaultEnv, Type: identity.AppRegular, RedirectURIs: []string{"https://app.example/cb"}})
	wantOAuthError(t, postForm(t, tokenURL, form(), web.ClientID, webSecret, nil), 400, "unauthorized_client")
	// Nor can a public client.
	spa, _ := h.app(t, identity.NewApplication{Env: defaultEnv, Type: identity.AppSPA, RedirectURIs: []string{"https://spa.example/cb"}})
	wantOAuthError(t, postForm(t, tokenURL, form("client_id", spa.ClientID), "", "", nil), 401, "invalid_client")
	// An application of another environment is unknown here.
	h.env("elsewhere")
	other, otherSecret := m2mApp(t, h, "elsewhere")
	wantOAuthError(t, postForm(t, tokenURL, form(), other.ClientID, otherSecret, nil), 401, "invalid_client")
	if e := postForm(t, h.issuer("elsewhere")+"/oauth2/token", form(), other.ClientID, otherSecret, nil); e != nil {
		t.Fatalf("own environment: %+v", e)
	}
	// No implicit or password grant.
	wantOAuthError(t, postForm(t, tokenURL, url.Values{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}}, app.ClientID, secret, nil), 400, "unsupported_grant_type")
}

func testClientAuthentication(t *testing.T, h *harness) {
	app, secret := m2mApp(t, h, defaultEnv)
	tokenURL := h.base + "/oauth2/token"
	cc := url.Values{"grant_type": {"client_credentials"}}
	for name, c := range map[string]struct{ id, secret string }{
		"wrong secret":     {app.ClientID, secret + "x"},
		"unknown client":   {"0123456789abcdef0123456789abcdef", secret},
		"empty secret":     {app.ClientID, ""},
		"secret of other":  {app.ClientID, strings.Repeat("A", 43)},
		"very long secret": {app.ClientID, strings.Repeat("A", 250)},
	} {
		e := postForm(t, tokenURL, cc, c.id, c.secret, nil)
		if c.secret == "" {
			// Basic credentials with an empty secret: a confidential client
			// must authenticate.
			wantOAuthError(t, e, 401, "invalid_client")
			continue
		}
		wantOAuthError(t, e, 401, "invalid_client")
		if e.Description != "client authentication failed" {
			t.Errorf("%s: description %q tells too much", name, e.Description)
		}
	}
	// client_secret_post with a wrong secret.
	post := url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {"nope"}}
	wantOAuthError(t, postForm(t, tokenURL, post, "", "", nil), 401, "invalid_client")
	// Two methods at once.
	both := url.Values{"grant_type": {"client_credentials"}, "client_secret": {secret}}
	wantOAuthError(t, postForm(t, tokenURL, both, app.ClientID, secret, nil), 400, "invalid_request")

	// The 401 carries a Basic challenge, and nothing is cached.
	req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(cc.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(app.ClientID, "wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("invalid_client response: %d %v", resp.StatusCode, resp.Header)
	}
	// Credentials never come from the query string.
	resp, err = http.Post(tokenURL+"?client_id="+app.ClientID+"&client_secret="+secret, "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("credentials in the query: %d", resp.StatusCode)
	}
}

func testRevokeAndIntrospect(t *testing.T, h *harness) {
	app, secret := m2mApp(t, h, defaultEnv)
	cc := clientcredentials.Config{ClientID: app.ClientID, ClientSecret: secret, TokenURL: h.base + "/oauth2/token"}
	tok, err := cc.Token(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	introspectURL, revokeURL := h.base+"/oauth2/introspect", h.base+"/oauth2/revoke"
	var info map[string]any
	if e := postForm(t, introspectURL, url.Values{"token": {tok.AccessToken}}, app.ClientID, secret, &info); e != nil {
		t.Fatal(e)
	}
	if info["active"] != true || info["client_id"] != app.ClientID || info["sub"] != app.ClientID || info["token_type"] != "Bearer" {
		t.Fatalf("introspection %v", info)
	}
	// Introspection needs client authentication; public clients have none.
	wantOAuthError(t, postForm(t, introspectURL, url.Values{"token": {tok.AccessToken}}, "", "", nil), 401, "invalid_client")
	spa, _ := h.app(t, identity.NewApplication{Env: defaultEnv, Type: identity.AppSPA, RedirectURIs: []string{"https://spa.example/cb"}})
	wantOAuthError(t, postForm(t, introspectURL, url.Values{"token": {tok.AccessToken}, "client_id": {spa.ClientID}}, "", "", nil), 401, "invalid_client")
	wantOAuthError(t, postForm(t, introspectURL, url.Values{}, app.ClientID, secret, nil), 400, "invalid_request")

	// Another client may not revoke it.
	other, otherSecret := m2mApp(t, h, defaultEnv)
	wantOAuthError(t, postForm(t, revokeURL, url.Values{"token": {tok.AccessToken}}, other.ClientID, otherSecret, nil), 400, "unauthorized_client")
	if e := postForm(t, revokeURL, url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}, app.ClientID, secret, nil); e != nil {
		t.Fatal(e)
	}
	info = nil
	if e := postForm(t, introspectURL, url.Values{"token": {tok.AccessToken}}, app.ClientID, secret, &info); e != nil {
		t.Fatal(e)
	}
	if len(info) != 1 || info["active"] != false {
		t.Fatalf("introspection after revocation %v", info)
	}
	// Unknown tokens and unknown hints are fine (RFC 7009 §2.2).
	if e := postForm(t, revokeURL, url.Values{"token": {"garbage"}, "token_type_hint": {"made_up"}}, app.ClientID, secret, nil); e != nil {
		t.Fatal(e)
	}
	wantOAuthError(t, postForm(t, revokeURL, url.Values{"token": {"x"}}, app.ClientID, "wrong", nil), 401, "invalid_client")
}

func testM2MWorkflow(t *testing.T, h *harness) {
	const env = "m2mflow"
	h.env(env)
	app, secret := m2mApp(t, h, env, h.issuer(env)+"/api")
	h.upload(t, env, wasmbuild.ForTest(t, "testdata/guests/m2mclaims"))
	tokenURL := h.issuer(env) + "/oauth2/token"
	get := func(audience string) map[string]json.RawMessage {
		cc := clientcredentials.Config{ClientID: app.ClientID, ClientSecret: secret, TokenURL: tokenURL,
			EndpointParams: url.Values{"audience": {audience}}}
		tok, err := cc.Token(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		return h.verifyAccess(t, env, tok.AccessToken).Claims
	}
	var claims map[string]json.RawMessage
	eventually(t, "the workflow's claims", func() error {
		claims = get("https://api.example")
		if claims["tier"] == nil {
			return errors.New("no tier claim yet")
		}
		return nil
	})
	if string(claims["tier"]) != `"gold"` || string(claims["client"]) != `"`+app.ClientID+`"` ||
		string(claims["requested_audience"]) != `["https://api.example"]` || string(claims["trigger"]) != `"m2m:token_generation"` ||
		string(claims["sub"]) != `"`+app.ClientID+`"` {
		t.Fatalf("claims %s", mustMarshal(claims))
	}
	// Tokens for the management API are never changed by workflows.
	claims = get(h.issuer(env) + "/api")
	if claims["tier"] != nil || claims["client"] != nil {
		t.Fatalf("management API token took workflow claims: %s", mustMarshal(claims))
	}
}

func testM2MWorkflowFailurePolicy(t *testing.T, h *harness) {
	const env = "m2mfail"
	h.env(env)
	app, secret := m2mApp(t, h, env)
	tokenURL := h.issuer(env) + "/oauth2/token"
	form := url.Values{"grant_type": {"client_credentials"}}
	h.upload(t, env, wasmbuild.ForTest(t, "testdata/guests/m2mfail"))
	eventually(t, "failure policy stop", func() error {
		e := postForm(t, tokenURL, form, app.ClientID, secret, nil)
		if e == nil {
			return errors.New("a token was issued")
		}
		if e.Status != 500 || e.Error != "server_error" || !strings.Contains(e.Description, "m2m:token_generation workflow failed (workflow_error)") {
			t.Fatalf("stop: %+v", e)
		}
		if strings.Contains(e.Description, "billing API") {
			t.Fatalf("the workflow's error message reached the client: %q", e.Description)
		}
		return nil
	})
	h.upload(t, env, wasmbuild.ForTest(t, "testdata/guests/m2mcontinue"))
	eventually(t, "failure policy continue", func() error {
		var tok map[string]any
		if e := postForm(t, tokenURL, form, app.ClientID, secret, &tok); e != nil {
			return errors.New(e.Description)
		}
		claims := h.verifyAccess(t, env, tok["access_token"].(string)).Claims
		if claims["half"] != nil {
			t.Fatalf("a failed workflow's claims were applied: %s", mustMarshal(claims))
		}
		return nil
	})
}

func testParameterLimits(t *testing.T, h *harness) {
	app, secret := m2mApp(t, h, defaultEnv)
	tokenURL := h.base + "/oauth2/token"
	e := postForm(t, tokenURL, url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Repeat("r", 10<<10)}}, app.ClientID, secret, nil)
	wantOAuthError(t, e, 400, "invalid_request")
	if !strings.Contains(e.Description, "scope is 10240 bytes long; the limit is 1024") {
		t.Fatalf("description %q", e.Description)
	}
	e = postForm(t, tokenURL, url.Values{"grant_type": {"client_credentials", "client_credentials"}}, app.ClientID, secret, nil)
	wantOAuthError(t, e, 400, "invalid_request")
	if !strings.Contains(e.Description, "grant_type is repeated") {
		t.Fatalf("description %q", e.Description)
	}
	resp, err := http.Post(tokenURL, "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials&x="+strings.Repeat("a", 70<<10)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("70 KiB body: %d", resp.StatusCode)
	}
	resp, err = http.Post(tokenURL, "application/json", strings.NewReader(`{"grant_type":"client_credentials"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("JSON body: %d", resp.StatusCode)
	}
}

func mustMarshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
