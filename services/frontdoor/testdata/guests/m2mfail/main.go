// An m2m:token_generation workflow that always fails, with failure policy
// stop.
package main

import (
	"errors"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "m2mFail", Trigger: gatehouse.TriggerM2MTokenGeneration,
		FailurePolicy: gatehouse.FailurePolicy{Action: gatehouse.FailStop},
		Bindings:      gatehouse.Bindings{"kinde.m2mToken": {}}},
		func(e *gatehouse.M2MTokenGenerationEvent) error {
			_ = gatehouse.M2MTokenClaims().Set("half", "done")
			return errors.New("the billing API is down")
		})
}

func main() {}
