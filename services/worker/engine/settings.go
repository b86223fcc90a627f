package engine

import (
	"fmt"
	"sort"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// bindingSet is a bit set over abi.Bindings, so host functions check a
// capability with one AND.
type bindingSet uint32

// bit returns the set holding only b (0 for an unknown binding).
func bit(b abi.Binding) bindingSet {
	for i, k := range abi.Bindings {
		if k == b {
			return 1 << i
		}
	}
	return 0
}

// Bits of the bindings host functions check.
var (
	bitAccessToken = bit(abi.BindingAccessToken)
	bitIDToken     = bit(abi.BindingIDToken)
	bitM2MToken    = bit(abi.BindingM2MToken)
	bitAuth        = bit(abi.BindingAuth)
	bitMFA         = bit(abi.BindingMFA)
	bitPlan        = bit(abi.BindingPlan)
	bitWidget      = bit(abi.BindingWidget)
	bitEnv         = bit(abi.BindingEnv)
	bitFetch       = bit(abi.BindingFetch)
	bitSecureFetch = bit(abi.BindingSecureFetch)
	bitConsole     = bit(abi.BindingConsole)
)

// grants returns the bindings declared in s (plus the native ones) and the
// bindings available for its trigger.
func grants(s abi.Settings) (declared, available bindingSet) {
	for _, b := range abi.Bindings {
		if b.Native() {
			declared |= bit(b)
		}
		if abi.Available(b, s.Trigger) {
			available |= bit(b)
		}
	}
	for b := range s.Bindings {
		declared |= bit(b)
	}
	return declared, available
}

// ValidateSettings checks workflow settings the way Compile does: the id is
// set, the trigger is known, the failure policy is "stop" or "continue", and
// every declared binding is known and available for the trigger. Errors name
// the offending field, binding or trigger exactly.
func ValidateSettings(s abi.Settings) error {
	if s.ID == "" {
		return fmt.Errorf("settings: id is empty")
	}
	if s.Trigger == "" {
		return fmt.Errorf("settings of workflow %q: trigger is empty", s.ID)
	}
	if !s.Trigger.Known() {
		return fmt.Errorf("settings of workflow %q: unknown trigger %q", s.ID, s.Trigger)
	}
	switch s.FailurePolicy.Action {
	case "", abi.FailureStop, abi.FailureContinue:
	default:
		return fmt.Errorf("settings of workflow %q: failurePolicy.action %q is neither %q nor %q",
			s.ID, s.FailurePolicy.Action, abi.FailureStop, abi.FailureContinue)
	}
	names := make([]string, 0, len(s.Bindings))
	for b := range s.Bindings {
		names = append(names, string(b))
	}
	sort.Strings(names)
	for _, name := range names {
		b := abi.Binding(name)
		if !b.Known() {
			return fmt.Errorf("settings of workflow %q: unknown binding %q", s.ID, name)
		}
		if !abi.Available(b, s.Trigger) {
			return fmt.Errorf("binding %s is not available for trigger %s", b, s.Trigger)
		}
	}
	return nil
}

// failurePolicy returns the effective policy ("stop" unless "continue").
func failurePolicy(s abi.Settings) string {
	if s.FailurePolicy.Action == abi.FailureContinue {
		return abi.FailureContinue
	}
	return abi.FailureStop
}
