package tokens_test

import (
	"testing"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

func (h *harness) revoke(token, clientID string) (api.RevokeResponse, error) {
	h.t.Helper()
	return call[api.RevokeRequest, api.RevokeResponse](h.t, h.nc, api.SubjectRevoke,
		api.RevokeRequest{Env: env, Token: token, ClientID: clientID})
}

func TestRevokeRefreshTokenRevokesItsFamily(t *testing.T) {
	h := newHarness(t)
	first := h.login("kp_alice")
	second, err := h.refresh(first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	other := h.login("kp_bob")

	// Another client may not revoke it (RFC 7009 §2.1).
	_, err = h.revoke(second.RefreshToken, "app_other")
	wantReason(t, err, natsrpc.CodePermissionDenied, api.ReasonClientMismatch)
	if !h.active(second.RefreshToken) {
		t.Fatal("a refused revocation revoked the token")
	}

	resp, err := h.revoke(second.RefreshToken, client)
	if err != nil || !resp.Revoked || resp.TokenType != api.TokenTypeRefresh {
		t.Fatalf("revoke: %+v %v", resp, err)
	}
	_, err = h.begin(second.RefreshToken)
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonInvalidRefreshToken)
	for _, tok := range []string{first.AccessToken, second.AccessToken, second.RefreshToken} {
		if h.active(tok) {
			t.Fatal("a token of the revoked family is still active")
		}
	}
	if !h.active(other.AccessToken) || !h.active(other.RefreshToken) {
		t.Fatal("another family was revoked")
	}
	// Again: nothing left to revoke, and still no error (RFC 7009 §2.2).
	if resp, err := h.revoke(second.RefreshToken, client); err != nil || resp.Revoked {
		t.Fatalf("second revoke: %+v %v", resp, err)
	}
}

func TestRevokeAccessToken(t *testing.T) {
	h := newHarness(t)
	a := h.mustIssue(api.IssueRequest{Grant: api.GrantClientCredentials, ClientID: "m2m_1"})
	b := h.mustIssue(api.IssueRequest{Grant: api.GrantClientCredentials, ClientID: "m2m_1"})
	_, err := h.revoke(a.AccessToken, "m2m_2")
	wantReason(t, err, natsrpc.CodePermissionDenied, api.ReasonClientMismatch)

	resp, err := h.revoke(a.AccessToken, "m2m_1")
	if err != nil || !resp.Revoked || resp.TokenType != api.TokenTypeAccess {
		t.Fatalf("revoke: %+v %v", resp, err)
	}
	if h.active(a.AccessToken) || !h.active(b.AccessToken) {
		t.Fatal("want the revoked token inactive and the other active")
	}
	if h.introspections("revoked") != 1 {
		t.Fatal("revoked introspection not counted")
	}
	// Unknown, malformed or already revoked tokens are no error.
	for _, tok := range []string{a.AccessToken, "garbage", "a.b.c", api.RefreshTokenPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if resp, err := h.revoke(tok, ""); err != nil || resp.Revoked {
			t.Fatalf("revoke %q: %+v %v", tok, resp, err)
		}
	}
	if h.counter("gatehouse_tokens_revocations_total", "kind", "access_token") != 1 {
		t.Fatal("revocation not counted")
	}
}

func TestRevokeGrantRevokesEverythingIssuedFromACode(t *testing.T) {
	h := newHarness(t)
	withRefresh := h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, GrantID: "code_reused",
		Subject: "kp_alice", Scope: []string{"openid"}, RefreshToken: true})
	refreshed, err := h.refresh(withRefresh.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	accessOnly := h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, GrantID: "code_reused", Subject: "kp_alice"})
	unrelated := h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, GrantID: "code_other",
		Subject: "kp_alice", RefreshToken: true})
	otherEnv, err := call[api.IssueRequest, api.IssueResponse](t, h.nc, api.SubjectIssue, api.IssueRequest{Env: "staging",
		ClientID: client, Grant: api.GrantAuthorizationCode, GrantID: "code_reused", Subject: "kp_alice"})
	if err != nil {
		t.Fatal(err)
	}

	resp := must[api.RevokeGrantRequest, api.RevokeGrantResponse](t, h.nc, api.SubjectRevokeGrant,
		api.RevokeGrantRequest{Env: env, GrantID: "code_reused", Reason: "code_reused"})
	if resp.Families != 1 || resp.AccessTokens != 3 {
		t.Fatalf("revoke grant: %+v, want 1 family and 3 access tokens", resp)
	}
	for _, tok := range []string{withRefresh.AccessToken, refreshed.AccessToken, refreshed.RefreshToken, accessOnly.AccessToken} {
		if h.active(tok) {
			t.Fatal("a token of the revoked grant is still active")
		}
	}
	_, err = h.refresh(refreshed.RefreshToken)
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonInvalidRefreshToken)
	if !h.active(unrelated.AccessToken) || !h.active(unrelated.RefreshToken) {
		t.Fatal("a token of another grant was revoked")
	}
	oi := must[api.IntrospectRequest, api.IntrospectResponse](t, h.nc, api.SubjectIntrospect,
		api.IntrospectRequest{Env: "staging", Token: otherEnv.AccessToken})
	if !oi.Active {
		t.Fatal("a grant of the same id in another environment was revoked")
	}
	again := must[api.RevokeGrantRequest, api.RevokeGrantResponse](t, h.nc, api.SubjectRevokeGrant,
		api.RevokeGrantRequest{Env: env, GrantID: "code_reused"})
	if again.Families != 0 || again.AccessTokens != 0 {
		t.Fatalf("second revoke grant: %+v", again)
	}
	_, err = call[api.RevokeGrantRequest, api.RevokeGrantResponse](t, h.nc, api.SubjectRevokeGrant, api.RevokeGrantRequest{Env: env})
	wantCode(t, err, natsrpc.CodeInvalidArgument, "grantId is required")
}

func TestRevokeSubjectRevokesEveryTokenOfAUser(t *testing.T) {
	h := newHarness(t)
	first := h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, GrantID: "g1", Subject: "kp_bob",
		Scope: []string{"openid"}, RefreshToken: true})
	refreshed, err := h.refresh(first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	second := h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, GrantID: "g2", Subject: "kp_bob", RefreshToken: true})
	other := h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, GrantID: "g3", Subject: "kp_carol", RefreshToken: true})
	otherEnv, err := call[api.IssueRequest, api.IssueResponse](t, h.nc, api.SubjectIssue, api.IssueRequest{Env: "staging",
		ClientID: client, Grant: api.GrantAuthorizationCode, GrantID: "g4", Subject: "kp_bob"})
	if err != nil {
		t.Fatal(err)
	}

	resp := must[api.RevokeSubjectRequest, api.RevokeGrantResponse](t, h.nc, api.SubjectRevokeSubject,
		api.RevokeSubjectRequest{Env: env, Subject: "kp_bob", Reason: "password_reset"})
	if resp.Families != 2 || resp.AccessTokens != 3 {
		t.Fatalf("revoke subject: %+v, want 2 families and 3 access tokens", resp)
	}
	for _, tok := range []string{first.AccessToken, refreshed.AccessToken, refreshed.RefreshToken, second.AccessToken, second.RefreshToken} {
		if h.active(tok) {
			t.Fatal("a token of the revoked subject is still active")
		}
	}
	if _, err := h.refresh(second.RefreshToken); err == nil {
		t.Fatal("a revoked refresh token still refreshes")
	}
	if !h.active(other.AccessToken) || !h.active(other.RefreshToken) {
		t.Fatal("another user's tokens were revoked")
	}
	if oi := must[api.IntrospectRequest, api.IntrospectResponse](t, h.nc, api.SubjectIntrospect,
		api.IntrospectRequest{Env: "staging", Token: otherEnv.AccessToken}); !oi.Active {
		t.Fatal("the same subject in another environment was revoked")
	}
	if again := must[api.RevokeSubjectRequest, api.RevokeGrantResponse](t, h.nc, api.SubjectRevokeSubject,
		api.RevokeSubjectRequest{Env: env, Subject: "kp_bob"}); again.Families != 0 || again.AccessTokens != 0 {
		t.Fatalf("second revoke: %+v", again)
	}
	_, err = call[api.RevokeSubjectRequest, api.RevokeGrantResponse](t, h.nc, api.SubjectRevokeSubject, api.RevokeSubjectRequest{Env: env})
	wantCode(t, err, natsrpc.CodeInvalidArgument, "subject is required")
}
