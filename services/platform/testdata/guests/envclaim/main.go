// Copies the environment variable GREETING into the access token claim
// "greeting", or sets "greeting_missing" when it does not exist.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "envClaim", Trigger: gatehouse.TriggerTokensGeneration,
		Bindings: gatehouse.Bindings{"kinde.env": {}, "kinde.accessToken": {}}},
		func(e *gatehouse.TokensGenerationEvent) error {
			v, err := gatehouse.GetEnvironmentVariable("GREETING")
			if err != nil {
				return err
			}
			if v == nil {
				return gatehouse.AccessTokenClaims().Set("greeting_missing", true)
			}
			return gatehouse.AccessTokenClaims().Set("greeting", v.Value)
		})
}

func main() {}
