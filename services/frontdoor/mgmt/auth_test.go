package mgmt_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
)

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

// wantUnauthorized checks a 401 with its Bearer challenge.
func wantUnauthorized(t *testing.T, h *harness, a answer, env, errorParam string) {
	t.Helper()
	want(t, a, http.StatusUnauthorized, mgmt.CodeUnauthorized)
	ch := a.header.Get("WWW-Authenticate")
	if !strings.HasPrefix(ch, `Bearer realm="`+h.audience(env)+`"`) || (errorParam != "") != strings.Contains(ch, `error="`+errorParam+`"`) {
		t.Fatalf("WWW-Authenticate %q", ch)
	}
}

func testAuthentication(t *testing.T, h *harness) {
	ctx := testContext(t)
	read := func(tok string, offSpec bool) answer {
		return h.do(t, call{token: tok, method: "GET", path: "/applications", offSpec: offSpec})
	}

	// No token, or not a Bearer one.
	wantUnauthorized(t, h, read("", true), defaultEnv, "")
	a := h.do(t, call{method: "GET", path: "/users", header: http.Header{"Authorization": {"Basic YTpi"}}, offSpec: true})
	wantUnauthorized(t, h, a, defaultEnv, "invalid_token")
	wantUnauthorized(t, h, read("not-a-token", false), defaultEnv, "invalid_token")
	wantUnauthorized(t, h, read(strings.Repeat("a", tapi.MaxTokenBytes+1), false), defaultEnv, "invalid_token")

	// A token for another audience.
	app, secret, err := h.ids.CreateApplication(ctx, identity.NewApplication{Env: defaultEnv, Name: "Two audiences", Type: identity.AppM2M,
		Audiences: []string{h.audience(defaultEnv), "https://other.example"}, Scopes: mgmt.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	a = read(h.clientCredentials(t, defaultEnv, app.ClientID, secret, "https://other.example", ""), false)
	wantUnauthorized(t, h, a, defaultEnv, "invalid_token")
	if _, msg := a.errorCode(t); !strings.Contains(msg, "audience must include "+h.audience(defaultEnv)) {
		t.Fatalf("message %q", msg)
	}

	// A token of another environment, even for that environment's API.
	h.env("elsewhere")
	elsewhere := h.token(t, "elsewhere", mgmt.ScopeReadApplications)
	wantUnauthorized(t, h, read(elsewhere, false), defaultEnv, "invalid_token")
	want(t, h.do(t, call{env: "elsewhere", token: elsewhere, method: "GET", path: "/applications"}), http.StatusOK, "")

	// A user's access token, even with the API's audience.
	user, err := h.ids.CreateUser(ctx, identityUser("token-user@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	issued, err := natsrpc.Call[tapi.IssueRequest, tapi.IssueResponse](ctx, h.p.NATS(), tapi.SubjectIssue, tapi.IssueRequest{
		Env: defaultEnv, Grant: tapi.GrantAuthorizationCode, ClientID: app.ClientID, Subject: user.ID,
		Audience: []string{h.audience(defaultEnv)}, Scope: mgmt.AllScopes()})
	if err != nil {
		t.Fatal(err)
	}
	a = read(issued.AccessToken, false)
	wantUnauthorized(t, h, a, defaultEnv, "invalid_token")
	if _, msg := a.errorCode(t); !strings.Contains(msg, "issued to a user") {
		t.Fatalf("message %q", msg)
	}

	// alg none, with claims that would otherwise pass.
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now().Unix()
	none := enc(map[string]any{"alg": "none", "typ": "at+jwt"}) + "." + enc(map[string]any{"iss": h.issuer(defaultEnv),
		"sub": app.ClientID, "client_id": app.ClientID, "aud": h.audience(defaultEnv), "scope": "read:applications",
		"iat": now, "exp": now + 600, "jti": "forged", "gty": "client-credentials"}) + "."
	wantUnauthorized(t, h, read(none, false), defaultEnv, "invalid_token")

	// A good token works until it is revoked, and until its application is
	// deleted.
	good := h.clientCredentials(t, defaultEnv, app.ClientID, secret, h.audience(defaultEnv), "")
	want(t, read(good, false), http.StatusOK, "")
	form := url.Values{"token": {good}}
	req, _ := http.NewRequest("POST", h.issuer(defaultEnv)+"/oauth2/revoke", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(app.ClientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	wantUnauthorized(t, h, read(good, false), defaultEnv, "invalid_token")

	other := h.clientCredentials(t, defaultEnv, app.ClientID, secret, h.audience(defaultEnv), "")
	admin := h.token(t, defaultEnv, mgmt.ScopeReadApplications, mgmt.ScopeWriteApplications)
	// An application cannot delete itself (it would lock itself out).
	want(t, h.do(t, call{token: other, method: "DELETE", path: "/applications/" + app.ClientID}), http.StatusConflict, mgmt.CodeFailedPrecondition)
	want(t, h.do(t, call{token: admin, method: "DELETE", path: "/applications/" + app.ClientID}), http.StatusNoContent, "")
	a = read(other, false)
	wantUnauthorized(t, h, a, defaultEnv, "invalid_token")
	if _, msg := a.errorCode(t); !strings.Contains(msg, "no longer exists") {
		t.Fatalf("message %q", msg)
	}

	// Unknown routes need a token too, and answer in the error shape.
	wantUnauthorized(t, h, h.do(t, call{method: "GET", path: "/nope", offSpec: true}), defaultEnv, "")
	want(t, h.do(t, call{token: admin, method: "GET", path: "/nope", offSpec: true}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, h.do(t, call{token: admin, method: "PUT", path: "/applications", offSpec: true}), http.StatusMethodNotAllowed, mgmt.CodeMethodNotAllowed)
}

func testScopes(t *testing.T, h *harness) {
	readUsers := h.token(t, defaultEnv, mgmt.ScopeReadUsers)
	want(t, h.do(t, call{token: readUsers, method: "GET", path: "/users"}), http.StatusOK, "")
	for _, c := range []struct {
		method, path string
		body         any
		scope        string
	}{
		{"POST", "/users", map[string]any{"email": "scoped@example.com"}, mgmt.ScopeWriteUsers},
		{"DELETE", "/users/kp_00000000000000000000000000000000", nil, mgmt.ScopeWriteUsers},
		{"GET", "/applications", nil, mgmt.ScopeReadApplications},
		{"GET", "/organizations", nil, mgmt.ScopeReadOrganizations},
		{"GET", "/workflows", nil, mgmt.ScopeReadWorkflows},
		{"GET", "/environment_variables", nil, mgmt.ScopeReadEnvironmentVariables},
		{"GET", "/logs", nil, mgmt.ScopeReadLogs},
	} {
		a := h.do(t, call{token: readUsers, method: c.method, path: c.path, json: c.body})
		want(t, a, http.StatusForbidden, mgmt.CodeInsufficientScope)
		if _, msg := a.errorCode(t); !strings.Contains(msg, "needs scope "+c.scope) || !strings.Contains(msg, "has read:users") {
			t.Errorf("%s %s: message %q", c.method, c.path, msg)
		}
		if ch := a.header.Get("WWW-Authenticate"); ch != `Bearer error="insufficient_scope", scope="`+c.scope+`"` {
			t.Errorf("%s %s: WWW-Authenticate %q", c.method, c.path, ch)
		}
	}
	// The refused create created nobody.
	if _, err := h.ids.GetUserByEmail(testContext(t), defaultEnv, "scoped@example.com"); err == nil {
		t.Fatal("a request without write:users created a user")
	}
	// A token with none of the API's scopes.
	bare := h.token(t, defaultEnv)
	a := h.do(t, call{token: bare, method: "GET", path: "/users"})
	want(t, a, http.StatusForbidden, mgmt.CodeInsufficientScope)
}

func testOtherEnvironment(t *testing.T, h *harness) {
	// Data of one environment is invisible from another.
	const env = "isolated"
	h.env(env)
	tok := h.token(t, env, mgmt.ScopeReadUsers, mgmt.ScopeWriteUsers)
	prodTok := h.token(t, defaultEnv, mgmt.ScopeReadUsers)
	a := h.do(t, call{env: env, token: tok, method: "POST", path: "/users", json: map[string]any{"email": "isolated@example.com"}})
	want(t, a, http.StatusCreated, "")
	var u mgmt.User
	a.decode(t, &u)
	want(t, h.do(t, call{token: prodTok, method: "GET", path: "/users/" + u.ID}), http.StatusNotFound, mgmt.CodeNotFound)
	want(t, h.do(t, call{env: env, token: tok, method: "GET", path: "/users/" + u.ID}), http.StatusOK, "")
}

func testEnsureCLIClient(t *testing.T, h *harness) {
	const env = "cli"
	h.env(env)
	ctx := testContext(t)
	id, secret, created, err := mgmt.EnsureCLIClient(ctx, h.ids, env, h.audience(env))
	if err != nil || !created || secret == "" {
		t.Fatalf("first call: %s %v %v", id, created, err)
	}
	id2, secret2, created2, err := mgmt.EnsureCLIClient(ctx, h.ids, env, h.audience(env))
	if err != nil || created2 || secret2 != "" || id2 != id {
		t.Fatalf("second call: %s %q %v %v", id2, secret2, created2, err)
	}
	tok := h.clientCredentials(t, env, id, secret, h.audience(env), "")
	var list struct{ Applications []mgmt.Application }
	h.do(t, call{env: env, token: tok, method: "GET", path: "/applications"}).decode(t, &list)
	if len(list.Applications) != 1 || list.Applications[0].Name != mgmt.CLIClientName || len(list.Applications[0].Scopes) != len(mgmt.AllScopes()) {
		t.Fatalf("applications %+v", list)
	}
	if _, _, err := mgmt.CreateClient(ctx, h.ids, env, "Bad", h.audience(env), []string{"admin"}); err == nil {
		t.Fatal("an unknown scope was accepted")
	}
}
