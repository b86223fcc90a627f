package gatehouse

import (
	"fmt"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Claims adds custom claims to one token of the flow. Get one with
// AccessTokenClaims, IDTokenClaims or M2MTokenClaims.
type Claims struct {
	token   int32
	binding abi.Binding
}

var (
	accessTokenClaims = Claims{token: abi.TokenAccess, binding: abi.BindingAccessToken}
	idTokenClaims     = Claims{token: abi.TokenID, binding: abi.BindingIDToken}
	m2mTokenClaims    = Claims{token: abi.TokenM2M, binding: abi.BindingM2MToken}
)

// AccessTokenClaims returns the user access token's claims (binding
// kinde.accessToken, trigger user:tokens_generation).
func AccessTokenClaims() *Claims { return &accessTokenClaims }

// IDTokenClaims returns the ID token's claims (binding kinde.idToken,
// trigger user:tokens_generation).
func IDTokenClaims() *Claims { return &idTokenClaims }

// M2MTokenClaims returns the M2M access token's claims (binding
// kinde.m2mToken, trigger m2m:token_generation).
func M2MTokenClaims() *Claims { return &m2mTokenClaims }

// Set sets claim name to value, encoded as JSON (a string, number, bool,
// slice, map or struct). Setting a claim twice keeps the last value.
//
// # Notes
//
// Claims the token type reserves (exp, iss, sub, aud, jti, scp…; see
// abi.ProhibitedClaims) are dropped by the host and reported in the runtime
// log; Set does not fail for them.
func (c *Claims) Set(name string, value any) error {
	js, err := marshalValue(value)
	if err != nil {
		return bindingError(c.binding, abi.StatusInvalidArgument,
			fmt.Sprintf("claim %q: value is not JSON-encodable: %v", name, err))
	}
	return sysSetClaim(c.token, c.binding, name, js)
}
