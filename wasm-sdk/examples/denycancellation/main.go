// Command denycancellation refuses cancellations of annual plans before the
// end of their term: a port of Kinde's "Deny cancellation request" example.
//
// A plan whose code (context.billing.currentPlanCode) ends in AnnualSuffix
// cannot be cancelled from the self-serve portal; every other cancellation
// goes ahead.
//
// Settings: trigger user:plan_cancellation_request; binding kinde.plan.
package main

import (
	"strings"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// AnnualSuffix marks annual plan codes ("pro_annual").
const AnnualSuffix = "_annual"

// DenyReason is shown to the customer.
const DenyReason = "Annual plans can't be cancelled before the end of the term. Contact billing to discuss options."

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:       "denyCancellation",
		Name:     "Deny plan cancellation",
		Trigger:  gatehouse.TriggerPlanCancellationRequest,
		Bindings: gatehouse.Bindings{"kinde.plan": {}},
	}, handle)
}

func handle(e *gatehouse.PlanCancellationRequestEvent) error {
	if strings.HasSuffix(e.Context.Billing.CurrentPlanCode, AnnualSuffix) {
		gatehouse.Log("refusing cancellation of", e.Context.Billing.AgreementID)
		return gatehouse.DenyPlanCancellation(DenyReason)
	}
	return nil
}

func main() {}
