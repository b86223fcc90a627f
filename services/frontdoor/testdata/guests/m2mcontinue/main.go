// The m2mFail workflow again, with failure policy continue.
package main

import (
	"errors"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "m2mFail", Trigger: gatehouse.TriggerM2MTokenGeneration,
		FailurePolicy: gatehouse.FailurePolicy{Action: gatehouse.FailContinue},
		Bindings:      gatehouse.Bindings{"kinde.m2mToken": {}}},
		func(e *gatehouse.M2MTokenGenerationEvent) error {
			_ = gatehouse.M2MTokenClaims().Set("half", "done")
			return errors.New("the billing API is down")
		})
}

func main() {}
