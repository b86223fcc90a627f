// A second version of the tokensBench workflow that denies every login.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID: "tokensBench", Name: "Tokens benchmark v2", Trigger: gatehouse.TriggerTokensGeneration,
		Bindings: gatehouse.Bindings{"kinde.auth": {}},
	}, func(e *gatehouse.TokensGenerationEvent) error {
		return gatehouse.DenyAccess("v2 denies " + e.Context.User.ID)
	})
}

func main() {}
