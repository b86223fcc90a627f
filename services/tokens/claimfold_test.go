package tokens_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// TestWorkflowCannotForgeStandardClaimsThroughCaseFolding: encoding/json
// matches struct fields case-insensitively with Unicode folding, so a
// workflow claim "ſub" (U+017F) or "NBF" would be read as sub or nbf by any
// relying party that decodes claims into a struct. They are dropped.
func TestWorkflowCannotForgeStandardClaimsThroughCaseFolding(t *testing.T) {
	h := newHarness(t)
	resp := h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, Subject: "user_alice",
		Scope: []string{"openid"},
		Workflow: api.WorkflowClaims{
			AccessTokenClaims: map[string]json.RawMessage{"\u017fub": json.RawMessage(`"user_admin"`), "NBF": json.RawMessage(`1`), "Roles": json.RawMessage(`["a"]`)},
			IDTokenClaims:     map[string]json.RawMessage{"JTI": json.RawMessage(`"forged"`), "SUB": json.RawMessage(`"user_admin"`)},
		}})
	for _, want := range []string{"accessToken:\u017fub", "accessToken:NBF", "idToken:JTI", "idToken:SUB"} {
		if !slices.Contains(resp.DroppedClaims, want) {
			t.Errorf("dropped %v, want %s among them", resp.DroppedClaims, want)
		}
	}
	if slices.Contains(resp.DroppedClaims, "accessToken:Roles") {
		t.Errorf("an ordinary claim was dropped: %v", resp.DroppedClaims)
	}
	if in := h.introspect(resp.AccessToken); !in.Active || in.Sub != "user_alice" {
		t.Fatalf("introspection: active=%v sub=%q", in.Active, in.Sub)
	}
	_, set := h.jwks(env)
	tok, err := api.Verify(set, resp.AccessToken, api.VerifyOptions{Issuer: issuerOf(env), Type: api.TypeAccessToken})
	if err != nil || tok.Subject != "user_alice" {
		t.Fatalf("Verify: subject %q, %v", tok.Subject, err)
	}
}
