package tokens_test

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/tokens"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

func TestRefreshRotation(t *testing.T) {
	h := newHarness(t)
	authTime := h.clock.Now()
	first := h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, GrantID: "code_1", Subject: "kp_alice",
		Scope: []string{"openid", "offline_access", "read"}, Audience: []string{"https://api.example.test"},
		OrgCode: "org_acme", AMR: []string{"pwd", "otp"}, ACR: "urn:mfa", AuthTime: authTime, SessionID: "ses_1",
		Nonce: "n1", RefreshToken: true})

	// begin checks without consuming: twice is fine.
	h.clock.Advance(10 * time.Minute)
	for range 2 {
		g, err := h.begin(first.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		if g.FamilyID != first.FamilyID || g.GrantID != "code_1" || g.Subject != "kp_alice" || g.OrgCode != "org_acme" ||
			!slices.Equal(g.Scope, []string{"openid", "offline_access", "read"}) || !slices.Equal(g.AMR, []string{"pwd", "otp"}) ||
			g.ACR != "urn:mfa" || !g.AuthTime.Equal(authTime) || g.SessionID != "ses_1" || g.ClientID != client ||
			!slices.Equal(g.Audience, []string{"https://api.example.test"}) || !g.ExpiresAt.Equal(first.RefreshExpiresAt) {
			t.Fatalf("grant: %+v", g)
		}
	}

	second, err := h.issue(api.IssueRequest{Grant: api.GrantRefreshToken, Rotate: first.RefreshToken,
		Subject:  "kp_alice", // restating the stored grant is allowed
		Workflow: api.WorkflowClaims{AccessTokenClaims: map[string]json.RawMessage{"refreshed": raw(`true`)}}})
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken || second.FamilyID != first.FamilyID ||
		second.IDToken == "" || second.AccessTokenID == first.AccessTokenID {
		t.Fatalf("rotation: %+v", second)
	}
	if want := h.clock.Now().Add(tokens.DefaultRefreshTTL); !second.RefreshExpiresAt.Equal(want) {
		t.Fatalf("the new refresh token expires %v, want %v (a full lifetime from its issue)", second.RefreshExpiresAt, want)
	}
	set, _ := h.jwks(env)
	at := joseVerify(t, set, second.AccessToken)
	wantClaims(t, "refreshed access token", at.claims, map[string]any{"sub": "kp_alice", "org_code": "org_acme",
		"amr": []string{"pwd", "otp"}, "auth_time": authTime.Unix(), "sid": "ses_1", "aud": "https://api.example.test",
		"scope": "openid offline_access read", "refreshed": true, "iat": h.clock.Now().Unix()})
	id := joseVerify(t, set, second.IDToken)
	wantClaims(t, "refreshed ID token", id.claims, map[string]any{"auth_time": authTime.Unix()}) // the original authentication
	wantAbsent(t, "refreshed ID token", id.claims, "nonce")

	// The old token is spent; the old access token lives on until it expires.
	if h.active(first.RefreshToken) || !h.active(second.RefreshToken) || !h.active(first.AccessToken) {
		t.Fatal("after rotation: want the old refresh token inactive, the new one and the old access token active")
	}

	// A narrower scope is allowed; a wider one is not.
	third, err := h.issue(api.IssueRequest{Grant: api.GrantRefreshToken, Rotate: second.RefreshToken, Scope: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(third.Scope, []string{"read"}) || third.IDToken != "" {
		t.Fatalf("narrowed refresh: %+v", third)
	}
	_, err = h.issue(api.IssueRequest{Grant: api.GrantRefreshToken, Rotate: third.RefreshToken, Scope: []string{"write"}})
	wantReason(t, err, natsrpc.CodeInvalidArgument, api.ReasonScopeExceeded)
	// The refresh token keeps its original scope (RFC 6749 §6).
	if g, err := h.begin(third.RefreshToken); err != nil || len(g.Scope) != 3 {
		t.Fatalf("after a narrowed refresh: %+v %v", g, err)
	}
	// Grant fields that differ from the stored ones are refused, and the
	// refused requests did not spend the token.
	_, err = h.issue(api.IssueRequest{Grant: api.GrantRefreshToken, Rotate: third.RefreshToken, Subject: "kp_mallory"})
	wantReason(t, err, natsrpc.CodeInvalidArgument, api.ReasonGrantMismatch)
	_, err = h.issue(api.IssueRequest{Grant: api.GrantRefreshToken, Rotate: third.RefreshToken, ClientID: "app_other"})
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonClientMismatch)
	_, err = call[api.RefreshBeginRequest, api.RefreshGrant](t, h.nc, api.SubjectRefreshBegin,
		api.RefreshBeginRequest{Env: env, RefreshToken: third.RefreshToken, ClientID: "app_other"})
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonClientMismatch)
	if _, err := h.refresh(third.RefreshToken); err != nil {
		t.Fatalf("the refused requests spent the token: %v", err)
	}
	// Three rotations: access, ID and refresh token; access and refresh
	// token (no openid); access, ID and refresh token.
	if n := h.counter("gatehouse_tokens_issued_total", "grant", api.GrantRefreshToken); n != 8 {
		t.Fatalf("%v tokens counted for the refresh_token grant, want 8", n)
	}
}

func TestRefreshTokenFailures(t *testing.T) {
	h := newHarness(t, func(c *tokens.Config) { c.RefreshTTL = time.Hour })
	tok := h.login("kp_bob")
	for _, bad := range []string{"ghr_short", "eyJhbGciOi.x.y", api.RefreshTokenPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		_, err := h.begin(bad)
		wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonInvalidRefreshToken)
		_, err = h.refresh(bad)
		wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonInvalidRefreshToken)
	}
	// Another environment does not know the token.
	_, err := call[api.RefreshBeginRequest, api.RefreshGrant](t, h.nc, api.SubjectRefreshBegin,
		api.RefreshBeginRequest{Env: "staging", RefreshToken: tok.RefreshToken, ClientID: client})
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonInvalidRefreshToken)
	// Expired.
	h.clock.Advance(time.Hour)
	_, err = h.begin(tok.RefreshToken)
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonInvalidRefreshToken)
	_, err = h.refresh(tok.RefreshToken)
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonInvalidRefreshToken)
	if h.active(tok.RefreshToken) {
		t.Fatal("an expired refresh token introspects active")
	}
}

func TestReuseRevokesTheFamily(t *testing.T) {
	for _, phase := range []string{"begin", "issue"} {
		t.Run("reuse at "+phase, func(t *testing.T) {
			h := newHarness(t)
			first := h.login("kp_carol")
			second, err := h.refresh(first.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			third, err := h.refresh(second.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			other := h.login("kp_dave") // another family, untouched

			// The first token comes back: stolen, or replayed.
			if phase == "begin" {
				_, err = h.begin(first.RefreshToken)
			} else {
				_, err = h.refresh(first.RefreshToken)
			}
			wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonRefreshTokenReused)

			// The newest refresh token of the family stops working too…
			_, err = h.begin(third.RefreshToken)
			wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonInvalidRefreshToken)
			_, err = h.refresh(third.RefreshToken)
			wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonInvalidRefreshToken)
			// …and every access token of the family reads inactive.
			for i, r := range []api.IssueResponse{first, second, third} {
				if h.active(r.AccessToken) || h.active(r.RefreshToken) {
					t.Fatalf("token %d of the revoked family still introspects active", i)
				}
			}
			if !h.active(other.AccessToken) || !h.active(other.RefreshToken) {
				t.Fatal("another family was revoked too")
			}
			if h.counter("gatehouse_tokens_refresh_reuse_total", "", "") != 1 ||
				h.counter("gatehouse_tokens_revocations_total", "kind", "access_token") != 3 {
				t.Fatal("reuse or revocations not counted")
			}
			// Replaying again is still reuse, but revokes nothing new.
			_, err = h.begin(second.RefreshToken)
			wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonRefreshTokenReused)
			if h.counter("gatehouse_tokens_revocations_total", "kind", "refresh_family") != 1 {
				t.Fatal("a family was counted as revoked twice")
			}
		})
	}
}

func TestConcurrentRefreshOfOneTokenSucceedsOnce(t *testing.T) {
	h := newHarness(t)
	h.start() // two replicas, as in production
	for round := range 3 {
		tok := h.login("kp_erin")
		// Both requests pass begin before either rotates.
		if _, err := h.begin(tok.RefreshToken); err != nil {
			t.Fatal(err)
		}
		const n = 4
		var wg sync.WaitGroup
		results := make([]api.IssueResponse, n)
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = h.refresh(tok.RefreshToken)
			}()
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if won >= 0 {
					t.Fatalf("round %d: two rotations of one token succeeded", round)
				}
				won = i
			case api.ReasonOf(err) != api.ReasonRefreshTokenReused:
				t.Fatalf("round %d: loser failed with %v, want %s", round, err, api.ReasonRefreshTokenReused)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: no rotation succeeded: %v", round, errs)
		}
		// The losers saw reuse, so the winner's tokens are revoked with the
		// family.
		if _, err := h.begin(results[won].RefreshToken); api.ReasonOf(err) != api.ReasonInvalidRefreshToken {
			t.Fatalf("round %d: the winner's refresh token after reuse: %v", round, err)
		}
		if h.active(results[won].AccessToken) {
			t.Fatalf("round %d: the winner's access token is active after reuse", round)
		}
	}
}
