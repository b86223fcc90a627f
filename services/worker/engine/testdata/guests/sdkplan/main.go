// Command sdkplan is a user:plan_selection test workflow built with the SDK.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:       "sdkPlan",
		Trigger:  gatehouse.TriggerPlanSelection,
		Bindings: gatehouse.Bindings{"kinde.plan": {}},
	}, handle)
}

func handle(e *gatehouse.PlanSelectionEvent) error {
	if err := gatehouse.DenyPlanCancellation("wrong trigger"); err != nil {
		gatehouse.Warn(err.Error())
	}
	return gatehouse.DenyPlanSelection("Downgrades need a support ticket", "contact_support", "keep_plan")
}

func main() {}
