package frontdoor

import (
	"slices"
	"testing"
	"time"

	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
)

// TestDecideMFA is the policy matrix of one sign-in: the environment's or
// organization's policy, exemptions, the pre-MFA workflow's decision, the
// client's step-up and the grace period.
func TestDecideMFA(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	later, earlier := now.Add(48*time.Hour), now.Add(-time.Hour)
	totp := mapi.Factor{ID: "auth_factor_1", Type: mapi.FactorTOTP, Verified: true}
	sms := mapi.Factor{ID: "auth_factor_2", Type: mapi.FactorSMS, Verified: true}
	all := []string{mapi.KindeFactorAuthenticatorApp, mapi.KindeFactorSMS, mapi.KindeFactorEmail, mapi.KindeFactorBackupCode}
	ctx := func(policy string, factors ...mapi.Factor) mapi.Context {
		return mapi.Context{Policy: policy, Context: mapi.ContextEnvironment, EnabledFactors: all, Factors: factors,
			HasFactors: len(factors) > 0}
	}
	for _, tc := range []struct {
		name       string
		mctx       mapi.Context
		d          wapi.Decision
		stepUp     bool
		required   bool
		factors    []string
		enroll     []mapi.FactorType
		gracePlan  bool
		lockedPlan bool
	}{
		{name: "off", mctx: ctx(mapi.PolicyOff, totp), required: false, factors: []string{"auth_factor_1"}},
		{name: "required", mctx: ctx(mapi.PolicyRequired, totp), required: true, factors: []string{"auth_factor_1"}},
		{name: "required, no factor: enroll", mctx: ctx(mapi.PolicyRequired), required: true,
			enroll: []mapi.FactorType{mapi.FactorTOTP, mapi.FactorSMS, mapi.FactorEmail}},
		{name: "optional with a factor", mctx: ctx(mapi.PolicyOptional, sms), required: true, factors: []string{"auth_factor_2"}},
		{name: "optional without a factor", mctx: ctx(mapi.PolicyOptional), required: false},
		{name: "organization off (context organization)", mctx: mapi.Context{Policy: mapi.PolicyOff, Context: mapi.ContextOrganization,
			EnabledFactors: all, Factors: []mapi.Factor{totp}}, required: false},
		{name: "role exempt", mctx: func() mapi.Context { c := ctx(mapi.PolicyRequired, totp); c.IsUserRoleExempt = true; return c }(), required: false},
		{name: "connection exempt", mctx: func() mapi.Context { c := ctx(mapi.PolicyRequired, totp); c.IsUserConnectionExempt = true; return c }(), required: false},
		{name: "workflow skip over required", mctx: ctx(mapi.PolicyRequired, totp), d: wapi.Decision{MFAPolicy: "skip"}, required: false},
		{name: "workflow required over optional without factor", mctx: ctx(mapi.PolicyOptional), d: wapi.Decision{MFAPolicy: "required"}, required: true,
			enroll: []mapi.FactorType{mapi.FactorTOTP, mapi.FactorSMS, mapi.FactorEmail}},
		{name: "workflow required over off", mctx: ctx(mapi.PolicyOff, totp), d: wapi.Decision{MFAPolicy: "required"}, required: true, factors: []string{"auth_factor_1"}},
		{name: "workflow required over an exemption", mctx: func() mapi.Context { c := ctx(mapi.PolicyRequired, totp); c.IsUserRoleExempt = true; return c }(),
			d: wapi.Decision{MFAPolicy: "required"}, required: true, factors: []string{"auth_factor_1"}},
		{name: "step-up over off", mctx: ctx(mapi.PolicyOff, totp), stepUp: true, required: true, factors: []string{"auth_factor_1"}},
		{name: "step-up is not skipped by the workflow", mctx: ctx(mapi.PolicyOff, totp), d: wapi.Decision{MFAPolicy: "skip"}, stepUp: true,
			required: true, factors: []string{"auth_factor_1"}},
		{name: "challengeWith narrows the factors", mctx: ctx(mapi.PolicyRequired, totp, sms), d: wapi.Decision{ChallengeWith: []string{mapi.KindeFactorSMS}},
			required: true, factors: []string{"auth_factor_2"}},
		{name: "enrollWith narrows the enrollment", mctx: ctx(mapi.PolicyRequired), d: wapi.Decision{EnrollWith: []string{mapi.KindeFactorAuthenticatorApp}},
			required: true, enroll: []mapi.FactorType{mapi.FactorTOTP}},
		{name: "grace period before its end", mctx: func() mapi.Context { c := ctx(mapi.PolicyRequired); c.GraceEndsAt = &later; return c }(),
			required: true, enroll: []mapi.FactorType{mapi.FactorTOTP, mapi.FactorSMS, mapi.FactorEmail}, gracePlan: true},
		{name: "grace period after its end", mctx: func() mapi.Context { c := ctx(mapi.PolicyRequired); c.GraceEndsAt = &earlier; return c }(),
			required: true, enroll: []mapi.FactorType{mapi.FactorTOTP, mapi.FactorSMS, mapi.FactorEmail}},
		{name: "no grace when the workflow requires", mctx: func() mapi.Context { c := ctx(mapi.PolicyRequired); c.GraceEndsAt = &later; return c }(),
			d: wapi.Decision{MFAPolicy: "required"}, required: true, enroll: []mapi.FactorType{mapi.FactorTOTP, mapi.FactorSMS, mapi.FactorEmail}},
		{name: "locked", mctx: func() mapi.Context { c := ctx(mapi.PolicyRequired, totp); c.Locked = true; return c }(), required: true,
			factors: []string{"auth_factor_1"}, lockedPlan: true},
		{name: "challengeWith leaving none of the user's factors offers no enrollment", mctx: ctx(mapi.PolicyRequired, totp),
			d: wapi.Decision{ChallengeWith: []string{mapi.KindeFactorSMS}}, required: true},
		{name: "factors no longer allowed offer no enrollment", mctx: mapi.Context{Policy: mapi.PolicyRequired, EnabledFactors: all, HasFactors: true},
			required: true},
		{name: "only allowed factors can be enrolled", mctx: mapi.Context{Policy: mapi.PolicyRequired, EnabledFactors: []string{mapi.KindeFactorEmail}},
			required: true, enroll: []mapi.FactorType{mapi.FactorEmail}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := decideMFA(tc.mctx, tc.d, tc.stepUp, now)
			var ids []string
			for _, f := range p.factors {
				ids = append(ids, f.ID)
			}
			if p.required != tc.required || (tc.required && !slices.Equal(ids, tc.factors)) || (tc.required && !slices.Equal(p.enrollTypes, tc.enroll)) ||
				(p.graceEndsAt != nil) != tc.gracePlan || p.locked != tc.lockedPlan {
				t.Fatalf("plan %+v (factors %v), want required=%v factors=%v enroll=%v grace=%v locked=%v",
					p, ids, tc.required, tc.factors, tc.enroll, tc.gracePlan, tc.lockedPlan)
			}
		})
	}
}

func TestMFACompletedAddsMethodsOnce(t *testing.T) {
	st := &authState{amr: []string{"pwd"}}
	now := time.Now()
	st.mfaCompleted("otp", now)
	st.mfaCompleted("otp", now)
	if !slices.Equal(st.amr, []string{"pwd", "mfa", "otp"}) || st.acr != acrMFA || !st.mfaDone || st.mfaUpdated {
		t.Fatalf("state %+v", st)
	}
}

// TestMFAReusable: a session's MFA answers a request only while it is
// within the request's max_age and the environment's step-up age.
func TestMFAReusable(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	hourAgo := now.Add(-time.Hour)
	for _, tc := range []struct {
		name   string
		mfaAt  *time.Time
		maxAge int64
		stepUp time.Duration
		want   bool
	}{
		{name: "never done", mfaAt: nil, maxAge: -1, want: false},
		{name: "no limits", mfaAt: &hourAgo, maxAge: -1, want: true},
		{name: "within max_age", mfaAt: &hourAgo, maxAge: 3600, want: true},
		{name: "beyond max_age", mfaAt: &hourAgo, maxAge: 3599, want: false},
		{name: "max_age 0", mfaAt: &now, maxAge: 0, want: true},
		{name: "within the step-up age", mfaAt: &hourAgo, maxAge: -1, stepUp: time.Hour, want: true},
		{name: "beyond the step-up age", mfaAt: &hourAgo, maxAge: -1, stepUp: 30 * time.Minute, want: false},
		{name: "step-up age beats a longer max_age", mfaAt: &hourAgo, maxAge: 7200, stepUp: 30 * time.Minute, want: false},
	} {
		if got := mfaReusable(tc.mfaAt, tc.maxAge, tc.stepUp, now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
