package mfa

import (
	"context"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// Bounds of policy durations.
const (
	maxGracePeriod  = 365 * 24 * time.Hour
	maxStepUpMaxAge = 365 * 24 * time.Hour
)

func validPolicyValue(p string) error {
	switch p {
	case api.PolicyRequired, api.PolicyOptional, api.PolicyOff:
		return nil
	}
	return invalid("policy %q is unknown: use %s, %s or %s", p, api.PolicyRequired, api.PolicyOptional, api.PolicyOff)
}

// normalizeFactors checks factor types and returns them deduplicated in
// the canonical order.
func normalizeFactors(field string, ts []api.FactorType) ([]api.FactorType, error) {
	for _, t := range ts {
		if !t.Known() {
			return nil, invalid("%s: factor type %q is unknown: use %s, %s, %s or %s", field, t,
				api.FactorTOTP, api.FactorSMS, api.FactorEmail, api.FactorBackupCode)
		}
	}
	out := []api.FactorType{}
	for _, t := range allFactors {
		if slices.Contains(ts, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// normalizeNames checks a list of role keys or connection ids and drops
// duplicates.
func normalizeNames(field string, list []string) ([]string, error) {
	if len(list) > maxListLen {
		return nil, invalid("%s has %d entries, over the limit of %d", field, len(list), maxListLen)
	}
	out := []string{}
	for i, v := range list {
		if err := validateText(field, v, maxIDLen, true); err != nil {
			return nil, invalid("%s[%d]: %v", field, i, err)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// getPolicy serves api.SubjectGetPolicy.
func (s *Service) getPolicy(ctx context.Context, req api.EnvRequest) (api.Policy, error) {
	if err := validateEnv(req.Env); err != nil {
		return api.Policy{}, err
	}
	return s.store.policy(ctx, req.Env)
}

// setPolicy serves api.SubjectSetPolicy.
func (s *Service) setPolicy(ctx context.Context, p api.Policy) (api.Policy, error) {
	if err := validateEnv(p.Env); err != nil {
		return api.Policy{}, err
	}
	if p.Policy == "" {
		p.Policy = api.PolicyOff
	}
	if err := validPolicyValue(p.Policy); err != nil {
		return api.Policy{}, err
	}
	var err error
	if len(p.AllowedFactors) == 0 {
		p.AllowedFactors = append([]api.FactorType(nil), allFactors...)
	} else if p.AllowedFactors, err = normalizeFactors("allowedFactors", p.AllowedFactors); err != nil {
		return api.Policy{}, err
	}
	if p.ExemptRoles, err = normalizeNames("exemptRoles", p.ExemptRoles); err != nil {
		return api.Policy{}, err
	}
	if p.ExemptConnections, err = normalizeNames("exemptConnections", p.ExemptConnections); err != nil {
		return api.Policy{}, err
	}
	if d := time.Duration(p.GracePeriod); d > maxGracePeriod {
		return api.Policy{}, invalid("gracePeriod %v is over the limit of %v", d, maxGracePeriod)
	}
	if d := time.Duration(p.StepUpMaxAge); d > maxStepUpMaxAge {
		return api.Policy{}, invalid("stepUpMaxAge %v is over the limit of %v", d, maxStepUpMaxAge)
	}
	out, err := s.store.setPolicy(ctx, p, s.now())
	if err != nil {
		return api.Policy{}, err
	}
	s.log.InfoContext(ctx, "MFA policy set", "env", p.Env, "policy", out.Policy, "allowed", toStrings(out.AllowedFactors))
	return out, nil
}

func validateOrg(env, org string) error {
	if err := validateEnv(env); err != nil {
		return err
	}
	return validateText("orgCode", org, maxIDLen, true)
}

// getOrgPolicy serves api.SubjectGetOrgPolicy.
func (s *Service) getOrgPolicy(ctx context.Context, req api.OrgRequest) (api.OrgPolicy, error) {
	if err := validateOrg(req.Env, req.OrgCode); err != nil {
		return api.OrgPolicy{}, err
	}
	p, err := s.store.orgPolicy(ctx, req.Env, req.OrgCode)
	if err != nil {
		return api.OrgPolicy{}, err
	}
	if p == nil {
		return api.OrgPolicy{}, notFound("organization %s has no MFA policy of its own in %s", req.OrgCode, req.Env)
	}
	return *p, nil
}

// setOrgPolicy serves api.SubjectSetOrgPolicy.
func (s *Service) setOrgPolicy(ctx context.Context, p api.OrgPolicy) (api.OrgPolicy, error) {
	if err := validateOrg(p.Env, p.OrgCode); err != nil {
		return api.OrgPolicy{}, err
	}
	if err := validPolicyValue(p.Policy); err != nil {
		return api.OrgPolicy{}, err
	}
	var err error
	if p.AllowedFactors, err = normalizeFactors("allowedFactors", p.AllowedFactors); err != nil {
		return api.OrgPolicy{}, err
	}
	out, err := s.store.setOrgPolicy(ctx, p, s.now())
	if err != nil {
		return api.OrgPolicy{}, err
	}
	if len(out.AllowedFactors) == 0 {
		out.AllowedFactors = nil
	}
	s.log.InfoContext(ctx, "organization MFA policy set", "env", p.Env, "org", p.OrgCode, "policy", out.Policy)
	return out, nil
}

// deleteOrgPolicy serves api.SubjectDeleteOrgPolicy.
func (s *Service) deleteOrgPolicy(ctx context.Context, req api.OrgRequest) (api.Empty, error) {
	if err := validateOrg(req.Env, req.OrgCode); err != nil {
		return api.Empty{}, err
	}
	ok, err := s.store.deleteOrgPolicy(ctx, req.Env, req.OrgCode)
	if err != nil {
		return api.Empty{}, err
	}
	if !ok {
		return api.Empty{}, notFound("organization %s has no MFA policy of its own in %s", req.OrgCode, req.Env)
	}
	s.log.InfoContext(ctx, "organization MFA policy removed", "env", req.Env, "org", req.OrgCode)
	return api.Empty{}, nil
}
