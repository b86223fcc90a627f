// Command mfagraceperiod skips MFA for users who completed it recently: a
// port of Kinde's "Set a grace period for MFA" example ("only prompt for
// MFA when the user has not been prompted over a certain time period").
//
// When the user last completed MFA comes with the event:
// context.mfa.lastMfaAt, the latest successful verification of any of
// their factors, which Gatehouse adds to Kinde's user:pre_mfa event (Kinde
// needs an external MFA history API for it). Within GracePeriod MFA is
// skipped. Otherwise MFA is required: when the user never completed MFA,
// when the time is missing or malformed, and when it lies in the future
// beyond MaxClockSkew, so that the workflow never weakens MFA by accident.
//
// Settings: trigger user:pre_mfa; binding kinde.mfa.
package main

import (
	"time"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// GracePeriod is how long a completed MFA counts.
const GracePeriod = 24 * time.Hour

// MaxClockSkew is how far in the future a last MFA time may be and still
// count as now.
const MaxClockSkew = time.Minute

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:       "mfaGracePeriod",
		Name:     "MFA grace period",
		Trigger:  gatehouse.TriggerPreMFA,
		Bindings: gatehouse.Bindings{"kinde.mfa": {}},
	}, handle)
}

func handle(e *gatehouse.PreMFAEvent) error {
	last, ok := e.Context.MFA.LastMFA()
	if !ok {
		gatehouse.Log("no completed MFA on record: requiring MFA")
		return gatehouse.SetEnforcementPolicy(gatehouse.MFARequired)
	}
	ago := time.Since(last)
	switch {
	case ago < -MaxClockSkew:
		gatehouse.Warn("last MFA time", e.Context.MFA.LastMFAAt, "is in the future: requiring MFA")
		return gatehouse.SetEnforcementPolicy(gatehouse.MFARequired)
	case ago < GracePeriod:
		gatehouse.Log("MFA completed", ago.Round(time.Minute), "ago: skipping")
		return gatehouse.SetEnforcementPolicy(gatehouse.MFASkip)
	}
	gatehouse.Log("MFA completed", ago.Round(time.Minute), "ago, longer than", GracePeriod, "- requiring MFA")
	return gatehouse.SetEnforcementPolicy(gatehouse.MFARequired)
}

func main() {}
