package gatehouse

import (
	"encoding/json"
	"fmt"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Failure policy actions: what the flow does when the workflow fails.
const (
	// FailStop aborts the authentication flow (the default).
	FailStop = abi.FailureStop
	// FailContinue goes on as if the workflow had not run.
	FailContinue = abi.FailureContinue
)

// Settings is the workflow's configuration, Kinde's workflowSettings. The
// host reads it when the module is uploaded to validate the workflow.
type Settings struct {
	// ID identifies the workflow; unique in an environment.
	ID string
	// Name is the display name (optional).
	Name string
	// Trigger is the event the workflow runs on.
	Trigger Trigger
	// FailurePolicy says what happens when the workflow fails. An empty
	// action means FailStop.
	FailurePolicy FailurePolicy
	// Bindings declares the capabilities the workflow uses, keyed by binding
	// name ("kinde.fetch", "kinde.accessToken", …).
	Bindings Bindings
}

// FailurePolicy is workflowSettings.failurePolicy.
type FailurePolicy struct {
	// Action is FailStop or FailContinue; empty means FailStop.
	Action string
}

// Bindings maps a binding name to its configuration (usually empty).
type Bindings map[string]BindingConfig

// BindingConfig is the configuration of one binding; {} for every binding
// Gatehouse knows today.
type BindingConfig map[string]any

// ABI returns the settings in their wire form. An empty failure policy
// action becomes FailStop and a nil binding configuration becomes {}.
func (s Settings) ABI() abi.Settings {
	out := abi.Settings{
		ID:            s.ID,
		Name:          s.Name,
		Trigger:       s.Trigger,
		FailurePolicy: abi.FailurePolicy{Action: s.FailurePolicy.Action},
	}
	if out.FailurePolicy.Action == "" {
		out.FailurePolicy.Action = FailStop
	}
	if len(s.Bindings) > 0 {
		out.Bindings = make(map[abi.Binding]map[string]any, len(s.Bindings))
		for name, cfg := range s.Bindings {
			if cfg == nil {
				cfg = BindingConfig{}
			}
			out.Bindings[abi.Binding(name)] = cfg
		}
	}
	return out
}

// MarshalJSON encodes the settings exactly as abi.Settings:
//
//	{"id":"preMFA","name":"Pre-MFA","trigger":"user:pre_mfa",
//	 "failurePolicy":{"action":"stop"},"bindings":{"kinde.mfa":{}}}
func (s Settings) MarshalJSON() ([]byte, error) {
	return json.Marshal(s.ABI())
}

// validate checks what can be checked without the host: the id, the trigger
// and the failure policy. Bindings are checked by the host at upload time and
// at every call.
func (s Settings) validate() error {
	if s.ID == "" {
		return fmt.Errorf("workflow settings: id is empty")
	}
	if !s.Trigger.Known() {
		return fmt.Errorf("workflow settings %q: unknown trigger %q", s.ID, s.Trigger)
	}
	switch s.FailurePolicy.Action {
	case "", FailStop, FailContinue:
	default:
		return fmt.Errorf("workflow settings %q: failurePolicy.action %q is neither %q nor %q",
			s.ID, s.FailurePolicy.Action, FailStop, FailContinue)
	}
	return nil
}
