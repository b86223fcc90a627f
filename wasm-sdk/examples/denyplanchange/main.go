// Command denyplanchange refuses downgrades to the free plan: a port of
// Kinde's "Deny plan change request" example.
//
// A customer on a paid plan who asks for the plan in FreePlan
// (context.billing.requestedPlanCode) is refused with a reason and
// suggestions; every other change goes ahead.
//
// Settings: trigger user:plan_selection; binding kinde.plan.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

// FreePlan is the plan code downgrades to which are refused.
const FreePlan = "free"

// DenyReason is shown to the customer.
const DenyReason = "You can't move to the free plan while your account uses paid features."

// Suggestions are shown with the reason.
var Suggestions = []string{
	"Remove the paid features you use, then try again",
	"Choose the starter plan instead",
}

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:       "denyPlanChange",
		Name:     "Deny plan change",
		Trigger:  gatehouse.TriggerPlanSelection,
		Bindings: gatehouse.Bindings{"kinde.plan": {}},
	}, handle)
}

func handle(e *gatehouse.PlanSelectionEvent) error {
	b := e.Context.Billing
	if b.RequestedPlanCode == FreePlan && b.CurrentPlanCode != FreePlan {
		return gatehouse.DenyPlanSelection(DenyReason, Suggestions...)
	}
	return nil
}

func main() {}
