package api

import (
	"slices"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Token kinds, as IssueResponse.DroppedClaims names them.
const (
	KindAccessToken = "accessToken"
	KindIDToken     = "idToken"
	KindM2MToken    = "m2mToken"
)

// ProtocolClaims are the claims the service alone sets (or reserves for
// protocol use). A caller may not pass them in AccessClaims or Profile, and a
// workflow may not set them on any token, even when the token does not carry
// them: an access token without amr cannot gain one from a workflow.
var ProtocolClaims = []string{
	"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "azp", "client_id",
	"scope", "scp", "amr", "acr", "auth_time", "sid", "nonce", "gty", "cnf",
	"act", "may_act", "at_hash", "c_hash", "s_hash", "typ",
}

// ReservedClaims returns the names a workflow may never set on a token of
// kind (KindAccessToken, KindIDToken or KindM2MToken): those DESIGN §3
// prohibits for the kind (abi.ProhibitedClaims) and ProtocolClaims. A
// workflow claim is also dropped when the token already carries a claim of
// that name, such as org_code on a token issued for an organization.
func ReservedClaims(kind string) []string {
	var prohibited []string
	switch kind {
	case KindIDToken:
		prohibited = abi.ProhibitedClaims(abi.TokenID)
	case KindM2MToken:
		prohibited = abi.ProhibitedClaims(abi.TokenM2M)
	default:
		prohibited = abi.ProhibitedClaims(abi.TokenAccess)
	}
	out := slices.Clone(ProtocolClaims)
	for _, c := range prohibited {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
