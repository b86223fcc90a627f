package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// allFactors are the factor types, in the order lists show them.
var allFactors = []api.FactorType{api.FactorTOTP, api.FactorSMS, api.FactorEmail, api.FactorBackupCode}

// defaultPolicy is an environment's policy before one is set: off, every
// factor allowed.
func defaultPolicy(env string) api.Policy {
	return api.Policy{Env: env, Policy: api.PolicyOff, AllowedFactors: append([]api.FactorType(nil), allFactors...),
		ExemptRoles: []string{}, ExemptConnections: []string{}}
}

func toStrings(ts []api.FactorType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

func toTypes(ss []string) []api.FactorType {
	out := make([]api.FactorType, len(ss))
	for i, s := range ss {
		out[i] = api.FactorType(s)
	}
	return out
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// policy returns env's policy (the default when none is set).
func (s *pgStore) policy(ctx context.Context, env string) (api.Policy, error) {
	p := api.Policy{Env: env}
	var allowed []string
	var grace, stepUp int64
	err := s.pool.QueryRow(ctx, `SELECT policy, allowed_factors, exempt_roles, exempt_connections, grace_period,
		step_up_max_age, required_since, updated_at FROM mfa.policies WHERE env = $1`, env).
		Scan(&p.Policy, &allowed, &p.ExemptRoles, &p.ExemptConnections, &grace, &stepUp, &p.RequiredSince, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return defaultPolicy(env), nil
	}
	if err != nil {
		return api.Policy{}, fmt.Errorf("read the MFA policy of %s: %w", env, err)
	}
	p.AllowedFactors = toTypes(allowed)
	p.GracePeriod = api.Duration(time.Duration(grace) * time.Second)
	p.StepUpMaxAge = api.Duration(time.Duration(stepUp) * time.Second)
	p.RequiredSince, p.UpdatedAt = utcPtr(p.RequiredSince), p.UpdatedAt.UTC()
	return p, nil
}

// setPolicy stores p; RequiredSince becomes now when the policy turns
// required, stays while it stays required and is cleared otherwise.
func (s *pgStore) setPolicy(ctx context.Context, p api.Policy, now time.Time) (api.Policy, error) {
	err := s.pool.QueryRow(ctx, `INSERT INTO mfa.policies AS p (env, policy, allowed_factors, exempt_roles, exempt_connections,
			grace_period, step_up_max_age, required_since, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $2 = 'required' THEN $8::timestamptz END, $8)
		ON CONFLICT (env) DO UPDATE SET policy = EXCLUDED.policy, allowed_factors = EXCLUDED.allowed_factors,
			exempt_roles = EXCLUDED.exempt_roles, exempt_connections = EXCLUDED.exempt_connections,
			grace_period = EXCLUDED.grace_period, step_up_max_age = EXCLUDED.step_up_max_age,
			required_since = CASE WHEN EXCLUDED.policy <> 'required' THEN NULL
				WHEN p.policy = 'required' THEN p.required_since ELSE EXCLUDED.required_since END,
			updated_at = EXCLUDED.updated_at
		RETURNING required_since, updated_at`,
		p.Env, p.Policy, toStrings(p.AllowedFactors), p.ExemptRoles, p.ExemptConnections,
		int64(time.Duration(p.GracePeriod)/time.Second), int64(time.Duration(p.StepUpMaxAge)/time.Second), now).
		Scan(&p.RequiredSince, &p.UpdatedAt)
	if err != nil {
		return api.Policy{}, fmt.Errorf("store the MFA policy of %s: %w", p.Env, err)
	}
	p.RequiredSince, p.UpdatedAt = utcPtr(p.RequiredSince), p.UpdatedAt.UTC()
	return p, nil
}

// orgPolicy returns an organization's override, or nil.
func (s *pgStore) orgPolicy(ctx context.Context, env, org string) (*api.OrgPolicy, error) {
	p := api.OrgPolicy{Env: env, OrgCode: org}
	var allowed []string
	err := s.pool.QueryRow(ctx, `SELECT policy, allowed_factors, required_since, updated_at FROM mfa.org_policies
		WHERE env = $1 AND org_code = $2`, env, org).Scan(&p.Policy, &allowed, &p.RequiredSince, &p.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the MFA policy of organization %s: %w", org, err)
	}
	if len(allowed) > 0 {
		p.AllowedFactors = toTypes(allowed)
	}
	p.RequiredSince, p.UpdatedAt = utcPtr(p.RequiredSince), p.UpdatedAt.UTC()
	return &p, nil
}

func (s *pgStore) setOrgPolicy(ctx context.Context, p api.OrgPolicy, now time.Time) (api.OrgPolicy, error) {
	allowed := toStrings(p.AllowedFactors)
	err := s.pool.QueryRow(ctx, `INSERT INTO mfa.org_policies AS p (env, org_code, policy, allowed_factors, required_since, updated_at)
		VALUES ($1, $2, $3, $4, CASE WHEN $3 = 'required' THEN $5::timestamptz END, $5)
		ON CONFLICT (env, org_code) DO UPDATE SET policy = EXCLUDED.policy, allowed_factors = EXCLUDED.allowed_factors,
			required_since = CASE WHEN EXCLUDED.policy <> 'required' THEN NULL
				WHEN p.policy = 'required' THEN p.required_since ELSE EXCLUDED.required_since END,
			updated_at = EXCLUDED.updated_at
		RETURNING required_since, updated_at`, p.Env, p.OrgCode, p.Policy, allowed, now).Scan(&p.RequiredSince, &p.UpdatedAt)
	if err != nil {
		return api.OrgPolicy{}, fmt.Errorf("store the MFA policy of organization %s: %w", p.OrgCode, err)
	}
	p.RequiredSince, p.UpdatedAt = utcPtr(p.RequiredSince), p.UpdatedAt.UTC()
	return p, nil
}

func (s *pgStore) deleteOrgPolicy(ctx context.Context, env, org string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM mfa.org_policies WHERE env = $1 AND org_code = $2`, env, org)
	if err != nil {
		return false, fmt.Errorf("delete the MFA policy of organization %s: %w", org, err)
	}
	return tag.RowsAffected() > 0, nil
}

// stats counts users with verified factors in env, among members when
// members is not nil.
func (s *pgStore) stats(ctx context.Context, env string, members []string) (int, map[api.FactorType]int, error) {
	byFactor := map[api.FactorType]int{}
	var enrolled int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		filter := `env = $1 AND verified AND ($2::text[] IS NULL OR user_id = ANY($2))`
		if err := tx.QueryRow(ctx, `SELECT count(DISTINCT user_id) FROM mfa.factors WHERE `+filter, env, members).Scan(&enrolled); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT type, count(DISTINCT user_id) FROM mfa.factors WHERE `+filter+` GROUP BY type`, env, members)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t string
			var n int
			if err := rows.Scan(&t, &n); err != nil {
				return err
			}
			byFactor[api.FactorType(t)] = n
		}
		return rows.Err()
	})
	if err != nil {
		return 0, nil, fmt.Errorf("count the enrolled users of %s: %w", env, err)
	}
	return enrolled, byFactor, nil
}
