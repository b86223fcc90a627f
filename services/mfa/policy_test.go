package mfa_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

func TestPolicyResolution(t *testing.T) {
	h := newHarness(t)
	def := must[api.EnvRequest, api.Policy](t, h.nc, api.SubjectGetPolicy, api.EnvRequest{Env: env})
	if def.Policy != api.PolicyOff || len(def.AllowedFactors) != 4 {
		t.Fatalf("default policy %+v", def)
	}
	if _, err := call[api.Policy, api.Policy](t, h.nc, api.SubjectSetPolicy, api.Policy{Env: env, Policy: "sometimes"}); !natsrpc.IsCode(err, natsrpc.CodeInvalidArgument) {
		t.Fatalf("unknown policy value: %v", err)
	}
	if _, err := call[api.Policy, api.Policy](t, h.nc, api.SubjectSetPolicy,
		api.Policy{Env: env, Policy: api.PolicyOff, AllowedFactors: []api.FactorType{"webauthn"}}); !natsrpc.IsCode(err, natsrpc.CodeInvalidArgument) {
		t.Fatalf("unknown factor type: %v", err)
	}

	requiredAt := h.clock.Now()
	p := h.setPolicy(api.Policy{Policy: api.PolicyRequired, AllowedFactors: []api.FactorType{api.FactorSMS, api.FactorTOTP},
		ExemptRoles: []string{"break-glass"}, ExemptConnections: []string{"conn_okta"},
		GracePeriod: api.Duration(7 * 24 * time.Hour), StepUpMaxAge: api.Duration(15 * time.Minute)})
	if p.RequiredSince == nil || !p.RequiredSince.Equal(requiredAt) ||
		!slices.Equal(p.AllowedFactors, []api.FactorType{api.FactorTOTP, api.FactorSMS}) {
		t.Fatalf("stored policy %+v", p)
	}
	// Setting it again keeps RequiredSince.
	h.clock.Advance(time.Hour)
	if again := h.setPolicy(p); !again.RequiredSince.Equal(requiredAt) {
		t.Fatalf("RequiredSince moved to %v", again.RequiredSince)
	}
	h.clock.Advance(-time.Hour)

	// Allowed factors: enrollment of another type is refused.
	_, err := h.enroll(api.EnrollRequest{UserID: "u", Type: api.FactorEmail, Email: "a@example.com"})
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonFactorNotAllowed)
	_, err = call[api.UserRequest, api.BackupCodesResponse](t, h.nc, api.SubjectGenerateBackupCodes, api.UserRequest{Env: env, UserID: "u"})
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonFactorNotAllowed)

	old := requiredAt.Add(-365 * 24 * time.Hour)
	c := h.context(api.ContextRequest{UserID: "u_old", UserCreatedAt: old})
	if c.Policy != api.PolicyRequired || c.Context != api.ContextEnvironment ||
		!slices.Equal(c.EnabledFactors, []string{api.KindeFactorAuthenticatorApp, api.KindeFactorSMS}) ||
		c.IsUserRoleExempt || c.IsUserConnectionExempt || c.StepUpMaxAge != api.Duration(15*time.Minute) {
		t.Fatalf("environment context %+v", c)
	}
	// Grace: from when the policy became required for an older user…
	if c.GraceEndsAt == nil || !c.GraceEndsAt.Equal(requiredAt.Add(7*24*time.Hour)) {
		t.Fatalf("grace of an old user: %v", c.GraceEndsAt)
	}
	// …from sign-up for a newer one.
	signup := requiredAt.Add(3 * 24 * time.Hour)
	if c := h.context(api.ContextRequest{UserID: "u_new", UserCreatedAt: signup}); c.GraceEndsAt == nil || !c.GraceEndsAt.Equal(signup.Add(7*24*time.Hour)) {
		t.Fatalf("grace of a new user: %v", c.GraceEndsAt)
	}

	// Exemptions.
	c = h.context(api.ContextRequest{UserID: "u_old", Roles: []string{"member", "break-glass"}, ConnectionID: "conn_okta", UserCreatedAt: old})
	if !c.IsUserRoleExempt || !c.IsUserConnectionExempt {
		t.Fatalf("exemptions %+v", c)
	}
	if c := h.context(api.ContextRequest{UserID: "u_old", Roles: []string{"member"}, ConnectionID: "conn_google"}); c.IsUserRoleExempt || c.IsUserConnectionExempt {
		t.Fatalf("exempt without an exempt role or connection: %+v", c)
	}

	// Organization override: env required, org off → off, in the organization's context.
	must[api.OrgPolicy, api.OrgPolicy](t, h.nc, api.SubjectSetOrgPolicy, api.OrgPolicy{Env: env, OrgCode: "org_relaxed", Policy: api.PolicyOff})
	if c := h.context(api.ContextRequest{UserID: "u_old", OrgCode: "org_relaxed", UserCreatedAt: old}); c.Policy != api.PolicyOff ||
		c.Context != api.ContextOrganization || c.GraceEndsAt != nil {
		t.Fatalf("organization with policy off: %+v", c)
	}
	if c := h.context(api.ContextRequest{UserID: "u_old", OrgCode: "org_plain", UserCreatedAt: old}); c.Policy != api.PolicyRequired || c.Context != api.ContextEnvironment {
		t.Fatalf("organization without an override: %+v", c)
	}
	must[api.OrgPolicy, api.OrgPolicy](t, h.nc, api.SubjectSetOrgPolicy, api.OrgPolicy{Env: env, OrgCode: "org_strict",
		Policy: api.PolicyRequired, AllowedFactors: []api.FactorType{api.FactorTOTP}})
	if c := h.context(api.ContextRequest{UserID: "u_old", OrgCode: "org_strict"}); c.Policy != api.PolicyRequired ||
		!slices.Equal(c.EnabledFactors, []string{api.KindeFactorAuthenticatorApp}) {
		t.Fatalf("organization with its own factors: %+v", c)
	}
	// An organization only narrows: email, which the environment does not
	// allow, stays off.
	must[api.OrgPolicy, api.OrgPolicy](t, h.nc, api.SubjectSetOrgPolicy, api.OrgPolicy{Env: env, OrgCode: "org_wide",
		Policy: api.PolicyRequired, AllowedFactors: []api.FactorType{api.FactorEmail, api.FactorSMS}})
	if c := h.context(api.ContextRequest{UserID: "u_old", OrgCode: "org_wide"}); !slices.Equal(c.EnabledFactors, []string{api.KindeFactorSMS}) {
		t.Fatalf("organization allowing more than the environment: %+v", c.EnabledFactors)
	}
	got := must[api.OrgRequest, api.OrgPolicy](t, h.nc, api.SubjectGetOrgPolicy, api.OrgRequest{Env: env, OrgCode: "org_strict"})
	if got.Policy != api.PolicyRequired || got.RequiredSince == nil {
		t.Fatalf("org policy %+v", got)
	}
	must[api.OrgRequest, api.Empty](t, h.nc, api.SubjectDeleteOrgPolicy, api.OrgRequest{Env: env, OrgCode: "org_relaxed"})
	if _, err := call[api.OrgRequest, api.OrgPolicy](t, h.nc, api.SubjectGetOrgPolicy, api.OrgRequest{Env: env, OrgCode: "org_relaxed"}); !natsrpc.IsCode(err, natsrpc.CodeNotFound) {
		t.Fatalf("deleted org policy: %v", err)
	}
	if c := h.context(api.ContextRequest{UserID: "u_old", OrgCode: "org_relaxed"}); c.Policy != api.PolicyRequired {
		t.Fatalf("after removing the override: %+v", c)
	}

	// A verified factor ends the grace period.
	e := h.enrollTOTP("u_old")
	ch := h.mustChallenge("u_old", e.Factor.ID)
	h.mustVerify("u_old", ch.ID, oathtool(t, e.TOTP.Secret, h.clock.Now()))
	if c := h.context(api.ContextRequest{UserID: "u_old", UserCreatedAt: old}); c.GraceEndsAt != nil || len(c.Factors) != 1 {
		t.Fatalf("enrolled user: %+v", c)
	}

	// After the grace period: no GraceEndsAt.
	h.clock.Advance(8 * 24 * time.Hour)
	if c := h.context(api.ContextRequest{UserID: "u_other", UserCreatedAt: old}); c.GraceEndsAt != nil {
		t.Fatalf("grace after it ended: %v", c.GraceEndsAt)
	}
	// Optional or off: no grace either.
	p.Policy = api.PolicyOptional
	if p2 := h.setPolicy(p); p2.RequiredSince != nil {
		t.Fatalf("RequiredSince of an optional policy: %v", p2.RequiredSince)
	}
	if c := h.context(api.ContextRequest{UserID: "u_x", UserCreatedAt: h.clock.Now()}); c.Policy != api.PolicyOptional || c.GraceEndsAt != nil {
		t.Fatalf("optional: %+v", c)
	}
}

func TestStats(t *testing.T) {
	h := newHarness(t)
	// u1: a verified TOTP factor; u2: backup codes; u3: an SMS factor never verified.
	e := h.enrollTOTP("u1")
	c := h.mustChallenge("u1", e.Factor.ID)
	h.mustVerify("u1", c.ID, oathtool(t, e.TOTP.Secret, h.clock.Now()))
	h.backupCodes("u2")
	h.mustEnroll(api.EnrollRequest{UserID: "u3", Type: api.FactorSMS, PhoneNumber: "+15551234567"})

	s := must[api.StatsRequest, api.Stats](t, h.nc, api.SubjectStats, api.StatsRequest{Env: env, TotalUsers: 10})
	if s.Enrolled != 2 || s.TotalUsers != 10 || s.Rate != 0.2 || s.ByFactor[api.FactorTOTP] != 1 ||
		s.ByFactor[api.FactorBackupCode] != 1 || s.ByFactor[api.FactorSMS] != 0 {
		t.Fatalf("environment stats %+v", s)
	}
	s = must[api.StatsRequest, api.Stats](t, h.nc, api.SubjectStats, api.StatsRequest{Env: env, OrgCode: "org_a", MemberIDs: []string{"u1", "u3"}})
	if s.Enrolled != 1 || s.TotalUsers != 2 || s.Rate != 0.5 || s.OrgCode != "org_a" || s.ByFactor[api.FactorTOTP] != 1 {
		t.Fatalf("organization stats %+v", s)
	}
	s = must[api.StatsRequest, api.Stats](t, h.nc, api.SubjectStats, api.StatsRequest{Env: env, OrgCode: "org_empty"})
	if s.Enrolled != 0 || s.Rate != 0 {
		t.Fatalf("organization without members %+v", s)
	}
	s = must[api.StatsRequest, api.Stats](t, h.nc, api.SubjectStats, api.StatsRequest{Env: "staging"})
	if s.Enrolled != 0 {
		t.Fatalf("another environment %+v", s)
	}
}

// TestFactorsThePolicyNoLongerAllowsCannotBeUsed: api.Policy's
// AllowedFactors are the types users may enroll and use — a challenge made
// before the policy changed, and backup codes, stop working with it.
func TestFactorsThePolicyNoLongerAllowsCannotBeUsed(t *testing.T) {
	h := newHarness(t)
	const user = "user_policy_use"
	e := verifiedTOTP(h, user)
	c := h.mustChallenge(user, e.Factor.ID)
	set := h.backupCodes(user)
	h.setPolicy(api.Policy{Policy: api.PolicyOptional, AllowedFactors: []api.FactorType{api.FactorSMS, api.FactorEmail}})

	_, err := h.verify(user, c.ID, oathtool(t, e.TOTP.Secret, h.clock.Now()))
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonFactorNotAllowed)
	_, err = h.useBackupCode(user, set.Codes[0])
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonFactorNotAllowed)
	if n := h.counter("gatehouse_mfa_verifications_total", map[string]string{"outcome": api.ReasonFactorNotAllowed}); n != 2 {
		t.Fatalf("refusals counted %v", n)
	}

	h.setPolicy(api.Policy{Policy: api.PolicyOptional})
	if r := h.mustVerify(user, c.ID, oathtool(t, e.TOTP.Secret, h.clock.Now())); !r.Valid {
		t.Fatalf("allowed again: %+v", r)
	}
	if r, err := h.useBackupCode(user, set.Codes[0]); err != nil || !r.Valid {
		t.Fatalf("a backup code allowed again: %+v %v", r, err)
	}
}
