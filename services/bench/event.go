package bench

import (
	"encoding/json"
	"fmt"

	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
)

// tokensEvent is a user:tokens_generation event of realistic size: the
// trigger request that carries it is about 500 bytes.
var tokensEvent = json.RawMessage(`{"request":{"ip":"203.0.113.9","auth":{"audience":["https://api.example.com"],"scope":["openid","profile","email","offline"]}},` +
	`"context":{"domains":{"kindeDomain":"https://auth.example.com"},` +
	`"auth":{"origin":"authorization_request","isExistingSession":false,"connectionId":"conn_0195f3a2b7c84d1e9f2a"},` +
	`"application":{"clientId":"c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6"},` +
	`"user":{"id":"kp_0195f3a2b7c84d1e9f2a3b4c5d6e7f80"},` +
	`"organization":{"code":"org_7c84d1e9f2a3"},"workflow":{"trigger":"user:tokens_generation"}}}`)

// Claim values the workflow sets from tokensEvent.
const (
	wantIP  = `"203.0.113.9"`
	wantOrg = `"org_7c84d1e9f2a3"`
)

// triggerBody is the trigger request the frontdoor sends for tokensEvent;
// the echo and the webhook carry the same bytes.
func triggerBody() []byte {
	b, err := json.Marshal(wapi.TriggerRequest{Event: tokensEvent})
	if err != nil {
		panic(err) // a constant event always encodes
	}
	return b
}

// checkClaims reports whether d is the decision tokensbench makes for
// tokensEvent.
func checkClaims(d wapi.Decision) error {
	if d.Error != nil {
		return fmt.Errorf("the workflow failed: %s: %s", d.Error.Code, d.Error.Message)
	}
	if !d.Ran {
		return fmt.Errorf("no workflow ran")
	}
	if ip, org := string(d.AccessTokenClaims["ip"]), string(d.AccessTokenClaims["org"]); ip != wantIP || org != wantOrg {
		return fmt.Errorf("unexpected claims ip=%s org=%s", ip, org)
	}
	return nil
}
