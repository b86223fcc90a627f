package gatehouse

import "encoding/json"

// DenyPlanSelection refuses the plan change with reason, optionally
// suggesting other plans or actions. Binding kinde.plan, trigger
// user:plan_selection.
func DenyPlanSelection(reason string, suggestions ...string) error {
	if suggestions == nil {
		suggestions = []string{}
	}
	js, _ := json.Marshal(suggestions) // a []string always encodes
	return sysDenyPlanSelection(reason, js)
}

// DenyPlanCancellation refuses the cancellation with reason. Binding
// kinde.plan, trigger user:plan_cancellation_request.
func DenyPlanCancellation(reason string) error {
	return sysDenyPlanCancellation(reason)
}
