// A user:plan_selection workflow that always fails, with failure policy
// stop.
package main

import (
	"errors"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

func init() {
	gatehouse.Register(gatehouse.Settings{ID: "planFail", Trigger: gatehouse.TriggerPlanSelection,
		FailurePolicy: gatehouse.FailurePolicy{Action: gatehouse.FailStop},
		Bindings:      gatehouse.Bindings{"kinde.plan": {}}},
		func(e *gatehouse.PlanSelectionEvent) error {
			return errors.New("the billing API is down")
		})
}

func main() {}
