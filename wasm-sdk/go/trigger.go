package gatehouse

import "github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"

// Trigger is a workflow trigger name, exactly as in the Kinde documentation.
type Trigger = abi.Trigger

// The nine triggers a workflow can run on.
const (
	TriggerPreRegistration          = abi.TriggerPreRegistration
	TriggerPostAuthentication       = abi.TriggerPostAuthentication
	TriggerNewPasswordProvided      = abi.TriggerNewPasswordProvided
	TriggerExistingPasswordProvided = abi.TriggerExistingPasswordProvided
	TriggerPreMFA                   = abi.TriggerPreMFA
	TriggerTokensGeneration         = abi.TriggerTokensGeneration
	TriggerM2MTokenGeneration       = abi.TriggerM2MTokenGeneration
	TriggerPlanSelection            = abi.TriggerPlanSelection
	TriggerPlanCancellationRequest  = abi.TriggerPlanCancellationRequest
)
