// Command demoflair is the workflow of the `make run` demo: on
// user:tokens_generation it adds a greeting to the access token and the ID
// token, so the demo relying party at /demo can show a claim set by a live
// workflow.
//
// Settings: trigger user:tokens_generation, bindings kinde.accessToken and
// kinde.idToken.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

// Claims the workflow sets.
const (
	AccessTokenClaim = "gatehouse_demo"
	IDTokenClaim     = "gatehouse_demo_greeting"
)

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:       "gatehouseDemo",
		Name:     "Gatehouse demo",
		Trigger:  gatehouse.TriggerTokensGeneration,
		Bindings: gatehouse.Bindings{"kinde.accessToken": {}, "kinde.idToken": {}},
	}, handle)
}

func handle(e *gatehouse.TokensGenerationEvent) error {
	if err := gatehouse.AccessTokenClaims().Set(AccessTokenClaim, "hello from a workflow"); err != nil {
		return err
	}
	return gatehouse.IDTokenClaims().Set(IDTokenClaim, "hello "+e.Context.User.ID+", from a workflow")
}

func main() {}
