// Command sdkpremfa is a user:pre_mfa test workflow built with the SDK.
package main

import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:            "sdkPreMFA",
		Trigger:       gatehouse.TriggerPreMFA,
		FailurePolicy: gatehouse.FailurePolicy{Action: gatehouse.FailContinue},
		Bindings:      gatehouse.Bindings{"kinde.mfa": {}},
	}, handle)
}

func handle(e *gatehouse.PreMFAEvent) error {
	if e.Context.User.ID == "panic" {
		var m map[string]int
		m["boom"] = 1 // nil map write: a runtime panic the SDK recovers
	}
	if err := gatehouse.SetEnforcementPolicy(gatehouse.MFASkip); err != nil {
		return err
	}
	if err := gatehouse.ChallengeWith(gatehouse.FactorAuthenticatorApp, gatehouse.FactorBackupCode); err != nil {
		return err
	}
	if err := gatehouse.EnrollWith(gatehouse.FactorEmail); err != nil {
		return err
	}
	if err := gatehouse.ChallengeWith("mfa:carrier_pigeon"); err != nil {
		gatehouse.Warn(err.Error())
	}
	if err := gatehouse.SetEnforcementPolicy("sometimes"); err != nil {
		gatehouse.Warn(err.Error())
	}
	return nil
}

func main() {}
