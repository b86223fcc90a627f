package abi

import (
	"slices"
	"testing"
)

func TestStatusString(t *testing.T) {
	want := map[Status]string{
		StatusOK: "ok", StatusNotDeclared: "binding_not_declared", StatusNotAvailable: "binding_not_available",
		StatusInvalidArgument: "invalid_argument", StatusNotFound: "not_found", StatusLimitExceeded: "limit_exceeded",
		StatusFetchFailed: "fetch_failed", StatusNotImplemented: "not_implemented", StatusInternal: "internal",
	}
	for s, name := range want {
		if s.String() != name {
			t.Errorf("Status(%d).String() = %q, want %q", s, s.String(), name)
		}
	}
}

// The availability table of DESIGN §4.
func TestAvailable(t *testing.T) {
	only := map[Binding][]Trigger{
		BindingAccessToken: {TriggerTokensGeneration},
		BindingIDToken:     {TriggerTokensGeneration},
		BindingM2MToken:    {TriggerM2MTokenGeneration},
		BindingMFA:         {TriggerPreMFA},
		BindingPlan:        {TriggerPlanSelection, TriggerPlanCancellationRequest},
		BindingWidget:      {TriggerNewPasswordProvided, TriggerExistingPasswordProvided},
		BindingAuth: {TriggerPreRegistration, TriggerPostAuthentication, TriggerNewPasswordProvided,
			TriggerExistingPasswordProvided, TriggerTokensGeneration, TriggerPreMFA},
	}
	for _, b := range Bindings {
		for _, tr := range Triggers {
			want := true
			if in, ok := only[b]; ok {
				want = slices.Contains(in, tr)
			}
			if got := Available(b, tr); got != want {
				t.Errorf("Available(%s, %s) = %v, want %v", b, tr, got, want)
			}
		}
	}
	if Available("kinde.teleport", TriggerPreMFA) || Available(BindingEnv, "user:nope") {
		t.Error("unknown binding or trigger reported available")
	}
	for _, b := range []Binding{BindingConsole, BindingURL} {
		if !b.Native() {
			t.Errorf("%s is not native", b)
		}
	}
}

func TestFormFields(t *testing.T) {
	for _, tr := range Triggers {
		if (len(FormFields(tr)) > 0) != Available(BindingWidget, tr) {
			t.Errorf("FormFields(%s) = %v disagrees with kinde.widget availability", tr, FormFields(tr))
		}
	}
}
