// Command tokensbench is the smallest useful user:tokens_generation
// workflow: it sets two access-token claims and calls nothing else. The
// worker benchmarks use it to measure the cost of a pooled execution.
//
// Settings: trigger user:tokens_generation, binding kinde.accessToken.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:       "tokensBench",
		Name:     "Tokens benchmark",
		Trigger:  gatehouse.TriggerTokensGeneration,
		Bindings: gatehouse.Bindings{"kinde.accessToken": {}},
	}, handle)
}

func handle(e *gatehouse.TokensGenerationEvent) error {
	claims := gatehouse.AccessTokenClaims()
	if err := claims.Set("ip", e.Request.IP); err != nil {
		return err
	}
	return claims.Set("org", e.Context.Organization.Code)
}

func main() {}
