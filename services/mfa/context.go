package mfa

import (
	"context"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// context serves api.SubjectContext: the policy in force (the
// organization's override when it has one, else the environment's), the
// exemptions, the user's verified factors and their grace period.
func (s *Service) context(ctx context.Context, req api.ContextRequest) (api.Context, error) {
	if err := validateUser(req.Env, req.UserID); err != nil {
		return api.Context{}, err
	}
	if err := validateText("orgCode", req.OrgCode, maxIDLen, false); err != nil {
		return api.Context{}, err
	}
	if err := validateText("connectionId", req.ConnectionID, maxIDLen, false); err != nil {
		return api.Context{}, err
	}
	if len(req.Roles) > maxListLen {
		return api.Context{}, invalid("roles has %d entries, over the limit of %d", len(req.Roles), maxListLen)
	}
	env, err := s.store.policy(ctx, req.Env)
	if err != nil {
		return api.Context{}, err
	}
	out := api.Context{Policy: env.Policy, Context: api.ContextEnvironment, StepUpMaxAge: env.StepUpMaxAge,
		EnabledFactors: []string{}, Factors: []api.Factor{}}
	allowed, requiredSince := env.AllowedFactors, env.RequiredSince
	if req.OrgCode != "" {
		org, err := s.store.orgPolicy(ctx, req.Env, req.OrgCode)
		if err != nil {
			return api.Context{}, err
		}
		if org != nil {
			out.Policy, out.Context, requiredSince = org.Policy, api.ContextOrganization, org.RequiredSince
			if len(org.AllowedFactors) > 0 {
				// An organization narrows the environment's factors; a type
				// the environment does not allow (which enroll and verify
				// refuse) stays off.
				var narrowed []api.FactorType
				for _, t := range org.AllowedFactors {
					if slices.Contains(allowed, t) {
						narrowed = append(narrowed, t)
					}
				}
				allowed = narrowed
			}
		}
	}
	for _, t := range allowed {
		out.EnabledFactors = append(out.EnabledFactors, t.KindeName())
	}
	out.IsUserRoleExempt = slices.ContainsFunc(req.Roles, func(r string) bool { return slices.Contains(env.ExemptRoles, r) })
	out.IsUserConnectionExempt = req.ConnectionID != "" && slices.Contains(env.ExemptConnections, req.ConnectionID)

	factors, err := s.store.factors(ctx, req.Env, req.UserID)
	if err != nil {
		return api.Context{}, err
	}
	for _, f := range factors {
		usable := f.verified && (f.typ != api.FactorBackupCode || f.remaining > 0)
		out.HasFactors = out.HasFactors || usable
		if usable && slices.Contains(allowed, f.typ) {
			out.Factors = append(out.Factors, f.public())
		}
	}
	locked, err := s.store.lockedAt(ctx, req.Env, req.UserID)
	if err != nil {
		return api.Context{}, err
	}
	out.Locked = locked != nil

	if out.Policy == api.PolicyRequired && len(out.Factors) == 0 && env.GracePeriod > 0 && requiredSince != nil {
		start := *requiredSince
		if req.UserCreatedAt.After(start) {
			start = req.UserCreatedAt
		}
		if ends := start.Add(time.Duration(env.GracePeriod)).UTC(); s.now().Before(ends) {
			out.GraceEndsAt = &ends
		}
	}
	return out, nil
}

// stats serves api.SubjectStats.
func (s *Service) stats(ctx context.Context, req api.StatsRequest) (api.Stats, error) {
	if err := validateEnv(req.Env); err != nil {
		return api.Stats{}, err
	}
	if err := validateText("orgCode", req.OrgCode, maxIDLen, false); err != nil {
		return api.Stats{}, err
	}
	if len(req.MemberIDs) > maxMembers {
		return api.Stats{}, invalid("memberIds has %d entries, over the limit of %d", len(req.MemberIDs), maxMembers)
	}
	if req.TotalUsers < 0 {
		return api.Stats{}, invalid("totalUsers cannot be negative (%d)", req.TotalUsers)
	}
	var members []string
	if req.OrgCode != "" || len(req.MemberIDs) > 0 {
		members = append([]string{}, req.MemberIDs...)
		if req.TotalUsers == 0 {
			req.TotalUsers = len(members)
		}
	}
	enrolled, byFactor, err := s.store.stats(ctx, req.Env, members)
	if err != nil {
		return api.Stats{}, err
	}
	out := api.Stats{Env: req.Env, OrgCode: req.OrgCode, TotalUsers: req.TotalUsers, Enrolled: enrolled, ByFactor: byFactor}
	if req.TotalUsers > 0 {
		out.Rate = float64(enrolled) / float64(req.TotalUsers)
	}
	return out, nil
}
