package gatehouse

import (
	"encoding/json"
	"time"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// MFA enforcement policies for SetEnforcementPolicy.
const (
	// MFARequired makes the user complete MFA in this flow.
	MFARequired = abi.MFARequired
	// MFASkip exempts the user from MFA in this flow.
	MFASkip = abi.MFASkip
)

// MFA factor names, as in context.mfa.enabledFactors.
const (
	FactorSMS              = abi.FactorSMS
	FactorEmail            = abi.FactorEmail
	FactorAuthenticatorApp = abi.FactorAuthenticatorApp
	FactorBackupCode       = abi.FactorBackupCode
)

// SetEnforcementPolicy sets the MFA policy for the current flow: MFARequired
// or MFASkip. Binding kinde.mfa, trigger user:pre_mfa.
func SetEnforcementPolicy(policy string) error {
	return sysSetEnforcementPolicy(policy)
}

// ChallengeWith limits the factors the user may be challenged with in this
// flow. Binding kinde.mfa, trigger user:pre_mfa.
func ChallengeWith(factors ...string) error {
	return mfaFactors(abi.FactorsChallenge, factors)
}

// EnrollWith limits the factors a user without one may enroll in this flow.
// Binding kinde.mfa, trigger user:pre_mfa.
func EnrollWith(factors ...string) error {
	return mfaFactors(abi.FactorsEnroll, factors)
}

func mfaFactors(kind int32, factors []string) error {
	if factors == nil {
		factors = []string{}
	}
	js, _ := json.Marshal(factors) // a []string always encodes
	return sysMFAFactors(kind, js)
}

// LastMFA returns when the user last completed MFA (LastMFAAt); ok is false
// when the host did not say or the value is not an RFC 3339 time.
func (m MFAContext) LastMFA() (at time.Time, ok bool) {
	if m.LastMFAAt == "" {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339, m.LastMFAAt)
	if err != nil {
		return time.Time{}, false
	}
	return at, true
}
