package mgmt

import (
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"

	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// Limits of the MFA policy bodies.
const (
	maxExemptions   = 100
	maxExemptionLen = 128
	maxPolicySecs   = 365 * 24 * 60 * 60 // gracePeriod and stepUpMaxAge: a year
)

// MFAPolicyBody is the body of PUT /mfa/policy: the whole environment
// policy. Absent fields take their default (every factor allowed, no
// exemptions, no grace period, no step-up); durations are whole seconds.
type MFAPolicyBody struct {
	Policy            string            `json:"policy"`
	AllowedFactors    []mapi.FactorType `json:"allowedFactors,omitempty"`
	ExemptRoles       []string          `json:"exemptRoles,omitempty"`
	ExemptConnections []string          `json:"exemptConnections,omitempty"`
	GracePeriod       int64             `json:"gracePeriod,omitempty"`
	StepUpMaxAge      int64             `json:"stepUpMaxAge,omitempty"`
}

// MFAOrgPolicyBody is the body of PUT /organizations/{code}/mfa/policy:
// an organization's override of the environment's policy. AllowedFactors,
// when given, replaces the environment's.
type MFAOrgPolicyBody struct {
	Policy         string            `json:"policy"`
	AllowedFactors []mapi.FactorType `json:"allowedFactors,omitempty"`
}

func (a *API) mfaPolicyRoutes(r chi.Router) {
	a.route(r, http.MethodGet, "/mfa/policy", ScopeReadMFA, a.getMFAPolicy)
	a.route(r, http.MethodPut, "/mfa/policy", ScopeWriteMFA, a.setMFAPolicy)
	a.route(r, http.MethodGet, "/organizations/{code}/mfa/policy", ScopeReadMFA, a.getOrgMFAPolicy)
	a.route(r, http.MethodPut, "/organizations/{code}/mfa/policy", ScopeWriteMFA, a.setOrgMFAPolicy)
	a.route(r, http.MethodDelete, "/organizations/{code}/mfa/policy", ScopeWriteMFA, a.deleteOrgMFAPolicy)
	a.route(r, http.MethodGet, "/mfa/stats", ScopeReadMFA, a.mfaStats)
}

// checkPolicy refuses a policy value other than required, optional, off.
func checkPolicy(p string) error {
	switch p {
	case mapi.PolicyRequired, mapi.PolicyOptional, mapi.PolicyOff:
		return nil
	case "":
		return badRequest("policy is required: required, optional or off")
	}
	return badRequest("policy must be required, optional or off, not %q", p)
}

// checkFactors refuses unknown, repeated or no factor types; absent (nil)
// is fine.
func checkFactors(fs []mapi.FactorType) error {
	if fs == nil {
		return nil
	}
	if len(fs) == 0 {
		return badRequest("allowedFactors, when given, must name at least one factor type")
	}
	for i, f := range fs {
		if !f.Known() {
			return badRequest("allowedFactors: unknown factor type %q (known: totp, sms, email, backup_code)", f)
		}
		if slices.Contains(fs[:i], f) {
			return badRequest("allowedFactors: %s is listed twice", f)
		}
	}
	return nil
}

// checkExemptions refuses empty, overlong or too many names in field.
func checkExemptions(field string, names []string) error {
	if len(names) > maxExemptions {
		return badRequest("%s has more than %d entries", field, maxExemptions)
	}
	for _, n := range names {
		if n == "" || len(n) > maxExemptionLen {
			return badRequest("%s: every entry must be 1 to %d bytes", field, maxExemptionLen)
		}
	}
	return nil
}

// checkSeconds refuses a duration of field outside [0, maxPolicySecs].
func checkSeconds(field string, s int64) error {
	if s < 0 || s > maxPolicySecs {
		return badRequest("%s must be a whole number of seconds from 0 to %d (a year), not %d", field, maxPolicySecs, s)
	}
	return nil
}

func seconds(s int64) mapi.Duration { return mapi.Duration(time.Duration(s) * time.Second) }

// policyOut makes the lists of p arrays, never null.
func policyOut(p mapi.Policy) mapi.Policy {
	p.AllowedFactors = list(p.AllowedFactors)
	p.ExemptRoles = list(p.ExemptRoles)
	p.ExemptConnections = list(p.ExemptConnections)
	return p
}

func (a *API) getMFAPolicy(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r); err != nil {
		return err
	}
	ctx := r.Context()
	p, err := mfaCall[mapi.EnvRequest, mapi.Policy](ctx, a, mapi.SubjectGetPolicy, mapi.EnvRequest{Env: a.cfg.Env(ctx)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, policyOut(p))
	return nil
}

func (a *API) setMFAPolicy(w http.ResponseWriter, r *http.Request) error {
	var body MFAPolicyBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if err := checkPolicy(body.Policy); err != nil {
		return err
	}
	if err := checkFactors(body.AllowedFactors); err != nil {
		return err
	}
	if err := checkExemptions("exemptRoles", body.ExemptRoles); err != nil {
		return err
	}
	if err := checkExemptions("exemptConnections", body.ExemptConnections); err != nil {
		return err
	}
	if err := checkSeconds("gracePeriod", body.GracePeriod); err != nil {
		return err
	}
	if err := checkSeconds("stepUpMaxAge", body.StepUpMaxAge); err != nil {
		return err
	}
	ctx := r.Context()
	env := a.cfg.Env(ctx)
	p, err := mfaCall[mapi.Policy, mapi.Policy](ctx, a, mapi.SubjectSetPolicy, mapi.Policy{Env: env, Policy: body.Policy,
		AllowedFactors: body.AllowedFactors, ExemptRoles: body.ExemptRoles, ExemptConnections: body.ExemptConnections,
		GracePeriod: seconds(body.GracePeriod), StepUpMaxAge: seconds(body.StepUpMaxAge)})
	if err != nil {
		return err
	}
	a.log.InfoContext(ctx, "MFA policy changed", "env", env, "policy", p.Policy, "by", callerOf(ctx).clientID)
	writeJSON(w, http.StatusOK, policyOut(p))
	return nil
}

// orgRequest names the organization of the request's path, which must
// exist.
func (a *API) orgRequest(r *http.Request) (mapi.OrgRequest, error) {
	ctx := r.Context()
	env := a.cfg.Env(ctx)
	o, err := a.cfg.Identity.GetOrganization(ctx, env, chi.URLParam(r, "code"))
	if err != nil {
		return mapi.OrgRequest{}, err
	}
	return mapi.OrgRequest{Env: env, OrgCode: o.Code}, nil
}

func (a *API) getOrgMFAPolicy(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r); err != nil {
		return err
	}
	req, err := a.orgRequest(r)
	if err != nil {
		return err
	}
	p, err := mfaCall[mapi.OrgRequest, mapi.OrgPolicy](r.Context(), a, mapi.SubjectGetOrgPolicy, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) setOrgMFAPolicy(w http.ResponseWriter, r *http.Request) error {
	var body MFAOrgPolicyBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if err := checkPolicy(body.Policy); err != nil {
		return err
	}
	if err := checkFactors(body.AllowedFactors); err != nil {
		return err
	}
	req, err := a.orgRequest(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	p, err := mfaCall[mapi.OrgPolicy, mapi.OrgPolicy](ctx, a, mapi.SubjectSetOrgPolicy, mapi.OrgPolicy{Env: req.Env,
		OrgCode: req.OrgCode, Policy: body.Policy, AllowedFactors: body.AllowedFactors})
	if err != nil {
		return err
	}
	a.log.InfoContext(ctx, "organization MFA policy changed", "env", req.Env, "org_code", req.OrgCode,
		"policy", p.Policy, "by", callerOf(ctx).clientID)
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) deleteOrgMFAPolicy(w http.ResponseWriter, r *http.Request) error {
	req, err := a.orgRequest(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := mfaCall[mapi.OrgRequest, mapi.Empty](ctx, a, mapi.SubjectDeleteOrgPolicy, req); err != nil {
		return err
	}
	a.log.InfoContext(ctx, "organization MFA policy removed", "env", req.Env, "org_code", req.OrgCode,
		"by", callerOf(ctx).clientID)
	noContent(w)
	return nil
}

// mfaStats counts the users with a verified factor: of the environment, or
// of one organization's members (?orgCode=).
func (a *API) mfaStats(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r, "orgCode"); err != nil {
		return err
	}
	ctx := r.Context()
	req := mapi.StatsRequest{Env: a.cfg.Env(ctx), OrgCode: r.URL.Query().Get("orgCode")}
	if req.OrgCode != "" {
		ms, err := a.cfg.Identity.ListMembers(ctx, req.Env, req.OrgCode)
		if err != nil {
			return err
		}
		req.MemberIDs = make([]string, len(ms))
		for i, m := range ms {
			req.MemberIDs[i] = m.UserID
		}
		req.TotalUsers = len(ms)
	} else {
		n, err := a.countUsers(ctx, req.Env)
		if err != nil {
			return err
		}
		req.TotalUsers = n
	}
	st, err := mfaCall[mapi.StatsRequest, mapi.Stats](ctx, a, mapi.SubjectStats, req)
	if err != nil {
		return err
	}
	if st.ByFactor == nil {
		st.ByFactor = map[mapi.FactorType]int{}
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
