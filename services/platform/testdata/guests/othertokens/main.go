// A second workflow for user:tokens_generation, which already has one.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "otherTokens", Trigger: gatehouse.TriggerTokensGeneration},
		func(*gatehouse.TokensGenerationEvent) error { return nil })
}

func main() {}
