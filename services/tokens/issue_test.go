package tokens_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/tokens"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

func raw(v string) json.RawMessage { return json.RawMessage(v) }

// wantClaims fails unless claims has each of want (JSON-compared).
func wantClaims(t *testing.T, what string, claims map[string]any, want map[string]any) {
	t.Helper()
	for name, w := range want {
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(claims[name])
		if _, ok := claims[name]; !ok || string(wj) != string(gj) {
			t.Errorf("%s: claim %s = %s, want %s", what, name, gj, wj)
		}
	}
}

func wantAbsent(t *testing.T, what string, claims map[string]any, names ...string) {
	t.Helper()
	for _, n := range names {
		if v, ok := claims[n]; ok {
			t.Errorf("%s: claim %s = %v should be absent", what, n, v)
		}
	}
}

func TestAuthorizationCodeTokensVerifyAgainstTheJWKS(t *testing.T) {
	h := newHarness(t)
	authTime := h.clock.Now().Add(-time.Minute)
	resp := h.mustIssue(api.IssueRequest{
		Grant: api.GrantAuthorizationCode, GrantID: "code_1", Subject: "kp_alice",
		Audience: []string{"https://api.example.test"}, Scope: []string{"openid", "profile", "offline_access", "openid"},
		OrgCode: "org_acme", AMR: []string{"pwd", "otp"}, ACR: "urn:gatehouse:mfa", AuthTime: authTime,
		SessionID: "ses_1", Nonce: "n-0S6_WzA2Mj", RefreshToken: true,
		AccessClaims: map[string]json.RawMessage{"roles": raw(`["admin"]`)},
		Profile: map[string]json.RawMessage{"email": raw(`"alice@example.test"`), "email_verified": raw(`true`),
			"name": raw(`"Alice"`), "updated_at": raw(`1700000000`)},
	})
	now := h.clock.Now()
	if resp.TokenType != "Bearer" || resp.ExpiresIn != 3600 || !resp.ExpiresAt.Equal(now.Add(time.Hour)) ||
		resp.Alg != api.AlgES256 || resp.KeyID == "" || resp.FamilyID == "" || len(resp.DroppedClaims) != 0 {
		t.Fatalf("response: %+v", resp)
	}
	if !slices.Equal(resp.Scope, []string{"openid", "profile", "offline_access"}) {
		t.Fatalf("scope %v: want duplicates dropped, order kept", resp.Scope)
	}
	set, _ := h.jwks(env)
	if len(set.Keys) != 1 || set.Keys[0].KeyID != resp.KeyID || set.Keys[0].Algorithm != "ES256" {
		t.Fatalf("JWKS %+v: want the one ES256 key %s", set.Keys, resp.KeyID)
	}

	at := joseVerify(t, set, resp.AccessToken)
	if at.typ != "at+jwt" || at.header.Algorithm != "ES256" || at.header.KeyID != resp.KeyID {
		t.Fatalf("access token header: typ %q alg %q kid %q", at.typ, at.header.Algorithm, at.header.KeyID)
	}
	wantClaims(t, "access token", at.claims, map[string]any{
		"iss": issuerOf(env), "sub": "kp_alice", "aud": "https://api.example.test", "jti": resp.AccessTokenID,
		"client_id": client, "azp": client, "scope": "openid profile offline_access", "org_code": "org_acme",
		"amr": []string{"pwd", "otp"}, "acr": "urn:gatehouse:mfa", "auth_time": authTime.Unix(), "sid": "ses_1",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "roles": []string{"admin"},
	})
	wantAbsent(t, "access token", at.claims, "nonce", "email", "gty")

	id := joseVerify(t, set, resp.IDToken)
	if id.typ != "JWT" || id.header.Algorithm != "ES256" || id.header.KeyID != resp.KeyID {
		t.Fatalf("ID token header: typ %q alg %q kid %q", id.typ, id.header.Algorithm, id.header.KeyID)
	}
	sum := sha256.Sum256([]byte(resp.AccessToken))
	wantClaims(t, "ID token", id.claims, map[string]any{
		"iss": issuerOf(env), "sub": "kp_alice", "aud": client, "azp": client, "nonce": "n-0S6_WzA2Mj",
		"auth_time": authTime.Unix(), "amr": []string{"pwd", "otp"}, "acr": "urn:gatehouse:mfa",
		"org_code": "org_acme", "sid": "ses_1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"at_hash": base64.RawURLEncoding.EncodeToString(sum[:16]), "email": "alice@example.test",
		"email_verified": true, "name": "Alice", "updated_at": 1700000000,
	})
	wantAbsent(t, "ID token", id.claims, "scope", "client_id", "roles", "jti")

	// The helper for resource servers agrees, and keeps the two token types
	// apart (RFC 9068 §4).
	_, typed := h.jwks(env)
	opts := api.VerifyOptions{Issuer: issuerOf(env), Type: api.TypeAccessToken, Audience: "https://api.example.test", Now: now}
	tok, err := api.Verify(typed, resp.AccessToken, opts)
	if err != nil || tok.Subject != "kp_alice" || tok.ID != resp.AccessTokenID || tok.KeyID != resp.KeyID {
		t.Fatalf("api.Verify access token: %+v, %v", tok, err)
	}
	if _, err := api.Verify(typed, resp.IDToken, opts); !errors.Is(err, api.ErrType) {
		t.Fatalf("an ID token passed as an access token: %v", err)
	}
	if _, err := api.Verify(typed, resp.IDToken, api.VerifyOptions{Issuer: issuerOf(env), Type: api.TypeIDToken,
		Audience: client, Now: now}); err != nil {
		t.Fatalf("api.Verify ID token: %v", err)
	}

	// The refresh token is opaque, 256 bits, and introspects as such.
	body, ok := strings.CutPrefix(resp.RefreshToken, api.RefreshTokenPrefix)
	if b, err := base64.RawURLEncoding.DecodeString(body); !ok || err != nil || len(b) != 32 {
		t.Fatalf("refresh token %q is not the prefix and 32 random bytes", resp.RefreshToken)
	}
	if !resp.RefreshExpiresAt.Equal(now.Add(tokens.DefaultRefreshTTL)) {
		t.Fatalf("refresh token expires %v, want %v", resp.RefreshExpiresAt, now.Add(tokens.DefaultRefreshTTL))
	}
	ri := h.introspect(resp.RefreshToken)
	if !ri.Active || ri.TokenType != "refresh_token" || ri.Sub != "kp_alice" || ri.ClientID != client ||
		ri.Scope != "openid profile offline_access" || ri.OrgCode != "org_acme" || ri.Exp != resp.RefreshExpiresAt.Unix() {
		t.Fatalf("refresh token introspection: %+v", ri)
	}
	ai := h.introspect(resp.AccessToken)
	want := api.IntrospectResponse{Active: true, Scope: "openid profile offline_access", ClientID: client,
		TokenType: "Bearer", Exp: now.Add(time.Hour).Unix(), Iat: now.Unix(), Sub: "kp_alice",
		Aud: []string{"https://api.example.test"}, Iss: issuerOf(env), Jti: resp.AccessTokenID, OrgCode: "org_acme"}
	if !reflect.DeepEqual(ai, want) {
		t.Fatalf("access token introspection:\n got %+v\nwant %+v", ai, want)
	}
	if h.counter("gatehouse_tokens_issued_total", "type", "refresh") != 1 ||
		h.counter("gatehouse_tokens_issued_total", "type", "id") != 1 ||
		h.counter("gatehouse_tokens_issued_total", "type", "access") != 1 {
		t.Fatal("issued tokens were not counted by type")
	}
}

func TestWithoutOpenIDOrRefreshOnlyAnAccessToken(t *testing.T) {
	h := newHarness(t)
	resp := h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, Subject: "kp_bob",
		Scope: []string{"read"}, Profile: map[string]json.RawMessage{"email": raw(`"bob@example.test"`)}})
	if resp.IDToken != "" || resp.RefreshToken != "" || resp.FamilyID != "" {
		t.Fatalf("want only an access token: %+v", resp)
	}
	set, _ := h.jwks(env)
	at := joseVerify(t, set, resp.AccessToken)
	// RFC 9068 needs an audience: the client, when none is asked for.
	wantClaims(t, "access token", at.claims, map[string]any{"aud": client, "scope": "read"})
	wantAbsent(t, "access token", at.claims, "amr", "acr", "auth_time", "org_code", "sid")
}

func TestRS256(t *testing.T) {
	h := newHarness(t)
	resp := h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, Subject: "kp_carol",
		Scope: []string{"openid"}, Alg: api.AlgRS256})
	m2m := h.mustIssue(api.IssueRequest{Grant: api.GrantClientCredentials, ClientID: "m2m_1", Alg: api.AlgRS256})
	if resp.Alg != api.AlgRS256 || m2m.KeyID != resp.KeyID {
		t.Fatalf("want one RS256 key for both: %+v / %+v", resp, m2m)
	}
	set, typed := h.jwks(env)
	// The environment's default ES256 key is published too.
	if len(set.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want the RS256 and the default ES256 key", len(set.Keys))
	}
	for _, token := range []string{resp.AccessToken, resp.IDToken, m2m.AccessToken} {
		v := joseVerify(t, set, token)
		if v.header.Algorithm != "RS256" || v.header.KeyID != resp.KeyID {
			t.Fatalf("header alg %q kid %q", v.header.Algorithm, v.header.KeyID)
		}
	}
	for _, k := range typed.Keys {
		if k.Kid == resp.KeyID && (k.Kty != "RSA" || k.N == "" || k.E == "" || k.Alg != "RS256" || k.Use != "sig") {
			t.Fatalf("RS256 JWK: %+v", k)
		}
	}
	if !h.active(resp.AccessToken) || !h.active(m2m.AccessToken) {
		t.Fatal("RS256 tokens should introspect active")
	}

	// The default algorithm is a setting.
	h2 := newHarness(t, func(c *tokens.Config) { c.DefaultAlg = api.AlgRS256 })
	r2 := h2.mustIssue(api.IssueRequest{Grant: api.GrantClientCredentials, ClientID: "m2m_1"})
	if _, typed := h2.jwks(env); r2.Alg != api.AlgRS256 || len(typed.Keys) != 1 || typed.Keys[0].Kty != "RSA" {
		t.Fatalf("with DefaultAlg RS256: %+v, JWKS %+v", r2, typed)
	}
}

func TestM2MToken(t *testing.T) {
	h := newHarness(t, func(c *tokens.Config) {
		c.ManagementAudience = func(env string) string { return issuerOf(env) + "/api" }
	})
	resp := h.mustIssue(api.IssueRequest{Grant: api.GrantClientCredentials, ClientID: "m2m_reports",
		Audience: []string{"https://api.example.test", "https://billing.example.test"}, Scope: []string{"read:reports"},
		Workflow: api.WorkflowClaims{M2MTokenClaims: map[string]json.RawMessage{
			"org_code": raw(`"org_acme"`), "tier": raw(`"gold"`),
			"sub": raw(`"someone"`), "gty": raw(`"password"`), "scp": raw(`["admin"]`), "client_id": raw(`"x"`),
		}}})
	if resp.IDToken != "" || resp.RefreshToken != "" {
		t.Fatalf("client credentials issue only an access token: %+v", resp)
	}
	wantDropped := []string{"m2mToken:client_id", "m2mToken:gty", "m2mToken:scp", "m2mToken:sub"}
	if !slices.Equal(resp.DroppedClaims, wantDropped) {
		t.Fatalf("dropped %v, want %v", resp.DroppedClaims, wantDropped)
	}
	set, _ := h.jwks(env)
	v := joseVerify(t, set, resp.AccessToken)
	if v.typ != "at+jwt" {
		t.Fatalf("typ %q", v.typ)
	}
	wantClaims(t, "M2M token", v.claims, map[string]any{
		"iss": issuerOf(env), "sub": "m2m_reports", "client_id": "m2m_reports", "gty": "client-credentials",
		"aud": []string{"https://api.example.test", "https://billing.example.test"}, "scope": "read:reports",
		"jti": resp.AccessTokenID, "org_code": "org_acme", "tier": "gold",
	})
	wantAbsent(t, "M2M token", v.claims, "scp", "amr", "auth_time")
	if i := h.introspect(resp.AccessToken); !i.Active || i.Sub != "m2m_reports" || i.ClientID != "m2m_reports" {
		t.Fatalf("introspection: %+v", i)
	}
	if h.counter("gatehouse_tokens_issued_total", "type", "m2m") != 1 ||
		h.counter("gatehouse_tokens_dropped_claims_total", "token", "m2mToken") != 4 {
		t.Fatal("M2M issue or dropped claims not counted")
	}

	// Tokens for the management API take no workflow claims at all.
	mgmt := h.mustIssue(api.IssueRequest{Grant: api.GrantClientCredentials, ClientID: "m2m_cli",
		Audience: []string{issuerOf(env) + "/api"},
		Workflow: api.WorkflowClaims{M2MTokenClaims: map[string]json.RawMessage{"tier": raw(`"gold"`)}}})
	if !slices.Equal(mgmt.DroppedClaims, []string{"m2mToken:tier"}) {
		t.Fatalf("management API token: dropped %v", mgmt.DroppedClaims)
	}
	wantAbsent(t, "management API token", joseVerify(t, set, mgmt.AccessToken).claims, "tier")
}

func TestWorkflowClaimsAreFilteredAndReported(t *testing.T) {
	h := newHarness(t)
	resp := h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, Subject: "kp_dan",
		Scope: []string{"openid"}, OrgCode: "org_acme", Nonce: "abc",
		AccessClaims: map[string]json.RawMessage{"roles": raw(`["viewer"]`)},
		Profile:      map[string]json.RawMessage{"email": raw(`"dan@example.test"`)},
		Workflow: api.WorkflowClaims{
			AccessTokenClaims: map[string]json.RawMessage{
				"plan": raw(`"pro"`), "hello": raw(`{"a":[1,2]}`),
				// prohibited (DESIGN §3)
				"sub": raw(`"root"`), "jti": raw(`"x"`), "scp": raw(`["admin"]`), "aud": raw(`"evil"`),
				"exp": raw(`99999999999`), "iss": raw(`"https://evil"`),
				// protocol claims, absent from this token: a workflow cannot
				// make it look like MFA happened
				"amr": raw(`["mfa"]`), "acr": raw(`"urn:mfa"`), "auth_time": raw(`1`),
				// already set by the service or the caller
				"org_code": raw(`"org_other"`), "roles": raw(`["admin"]`),
			},
			IDTokenClaims: map[string]json.RawMessage{
				"favourite_colour": raw(`"green"`),
				"auth_time":        raw(`1`), "updated_at": raw(`1`), "rat": raw(`1`), "nonce": raw(`"n"`),
				"email": raw(`"other@example.test"`), "at_hash": raw(`"x"`),
			},
		}})
	want := []string{
		"accessToken:acr", "accessToken:amr", "accessToken:aud", "accessToken:auth_time", "accessToken:exp",
		"accessToken:iss", "accessToken:jti", "accessToken:org_code", "accessToken:roles", "accessToken:scp",
		"accessToken:sub",
		"idToken:at_hash", "idToken:auth_time", "idToken:email", "idToken:nonce", "idToken:rat", "idToken:updated_at",
	}
	if !slices.Equal(resp.DroppedClaims, want) {
		t.Fatalf("dropped claims\n got %v\nwant %v", resp.DroppedClaims, want)
	}
	set, _ := h.jwks(env)
	at := joseVerify(t, set, resp.AccessToken)
	wantClaims(t, "access token", at.claims, map[string]any{"plan": "pro", "hello": map[string]any{"a": []int{1, 2}},
		"sub": "kp_dan", "iss": issuerOf(env), "aud": client, "org_code": "org_acme", "roles": []string{"viewer"},
		"jti": resp.AccessTokenID})
	wantAbsent(t, "access token", at.claims, "scp", "amr", "acr", "auth_time")
	id := joseVerify(t, set, resp.IDToken)
	wantClaims(t, "ID token", id.claims, map[string]any{"favourite_colour": "green", "email": "dan@example.test", "nonce": "abc"})
	wantAbsent(t, "ID token", id.claims, "updated_at", "rat", "auth_time")
	if h.counter("gatehouse_tokens_dropped_claims_total", "token", "accessToken") != 11 ||
		h.counter("gatehouse_tokens_dropped_claims_total", "token", "idToken") != 6 {
		t.Fatal("dropped claims not counted by token kind")
	}
}

func TestIssueRejectsBadRequests(t *testing.T) {
	h := newHarness(t)
	code := func(mod func(*api.IssueRequest)) api.IssueRequest {
		r := api.IssueRequest{Grant: api.GrantAuthorizationCode, Subject: "kp_eve"}
		mod(&r)
		return r
	}
	for _, tc := range []struct {
		name     string
		req      api.IssueRequest
		fragment string
	}{
		{"no grant", api.IssueRequest{Subject: "kp_eve"}, "grant is required"},
		{"password grant", code(func(r *api.IssueRequest) { r.Grant = "password" }), `grant "password" is not supported`},
		{"bad env", code(func(r *api.IssueRequest) { r.Env = "Prod!" }), "environment name"},
		{"no subject", code(func(r *api.IssueRequest) { r.Subject = "" }), "subject is required"},
		{"bad scope", code(func(r *api.IssueRequest) { r.Scope = []string{"a b"} }), "not a valid scope token"},
		{"bad alg", code(func(r *api.IssueRequest) { r.Alg = "HS256" }), `alg "HS256" is not supported`},
		{"caller sets sub", code(func(r *api.IssueRequest) { r.AccessClaims = map[string]json.RawMessage{"sub": raw(`"x"`)} }),
			`accessClaims may not set "sub"`},
		{"caller sets nonce", code(func(r *api.IssueRequest) {
			r.Scope = []string{"openid"}
			r.Profile = map[string]json.RawMessage{"nonce": raw(`"x"`)}
		}), `profile may not set "nonce"`},
		{"m2m claims on a user grant", code(func(r *api.IssueRequest) {
			r.Workflow.M2MTokenClaims = map[string]json.RawMessage{"a": raw(`1`)}
		}), "m2mTokenClaims apply only"},
		{"lifetime past the key overlap", code(func(r *api.IssueRequest) { r.Lifetimes.AccessSeconds = 25 * 3600 }),
			"may not exceed the signing-key overlap"},
		{"rotate on a code grant", code(func(r *api.IssueRequest) { r.Rotate = "ghr_x" }), "rotate is only for"},
		{"refresh without rotate", api.IssueRequest{Grant: api.GrantRefreshToken}, "rotate (the refresh token"},
		{"nonce on refresh", api.IssueRequest{Grant: api.GrantRefreshToken, Rotate: "ghr_x", Nonce: "n"}, "nonce must be empty"},
		{"user fields on client credentials", api.IssueRequest{Grant: api.GrantClientCredentials, Subject: "kp_eve",
			RefreshToken: true}, "refreshToken, subject must be empty"},
		{"oversized claims", code(func(r *api.IssueRequest) {
			r.Workflow.AccessTokenClaims = map[string]json.RawMessage{"big": raw(`"` + strings.Repeat("x", api.MaxClaimsBytes) + `"`)}
		}), "over the 32768-byte limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.issue(tc.req)
			wantCode(t, err, natsrpc.CodeInvalidArgument, tc.fragment)
		})
	}
	// A per-request lifetime within the overlap applies.
	resp := h.mustIssue(code(func(r *api.IssueRequest) { r.Lifetimes.AccessSeconds = 300 }))
	if resp.ExpiresIn != 300 {
		t.Fatalf("expires in %d, want 300", resp.ExpiresIn)
	}
}

func TestConfigIsChecked(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		cfg      tokens.Config
		fragment string
	}{
		{tokens.Config{}, "Issuer is required"},
		{tokens.Config{Issuer: issuerOf, AccessTTL: 48 * time.Hour}, "KeyOverlap (24h0m0s) is shorter"},
		{tokens.Config{Issuer: issuerOf, DefaultAlg: "none"}, `DefaultAlg "none" is not supported`},
	} {
		if _, err := tokens.Start(ctx, nil, nil, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.fragment) {
			t.Errorf("config %+v: got %v, want %q", tc.cfg, err, tc.fragment)
		}
	}
}
