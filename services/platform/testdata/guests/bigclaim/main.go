// Sets an 8 KB access-token claim, to exceed a small decision limit.
package main

import (
	"strings"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "bigClaim", Trigger: gatehouse.TriggerTokensGeneration,
		Bindings: gatehouse.Bindings{"kinde.accessToken": {}}},
		func(*gatehouse.TokensGenerationEvent) error {
			return gatehouse.AccessTokenClaims().Set("blob", strings.Repeat("x", 8000))
		})
}

func main() {}
