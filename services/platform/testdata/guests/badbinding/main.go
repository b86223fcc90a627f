// Declares kinde.mfa, which user:tokens_generation does not offer.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "badBinding", Trigger: gatehouse.TriggerTokensGeneration,
		Bindings: gatehouse.Bindings{"kinde.mfa": {}}},
		func(*gatehouse.TokensGenerationEvent) error { return nil })
}

func main() {}
