package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Plans changes and cancels users' plans, running the plan workflows
// (user:plan_selection, user:plan_cancellation_request) first; the
// frontdoor implements it.
//
// # Errors
//
// Both methods return a *[PlanDeniedError] when the workflow refused, a
// *[PlanWorkflowError] when it failed and its failure policy stops the
// request, and errors wrapping the identity store's errors otherwise:
// [identity.ErrNotFound] for an unknown user or plan,
// [identity.ErrInvalid] for a malformed plan code or an organization the
// user is not a member of, [identity.ErrAgreementChanged] when another
// change came first. CancelPlan returns [ErrNoActivePlan] when there is
// nothing to cancel.
type Plans interface {
	// ChangePlan puts the user on req.PlanCode. A user already on that
	// plan (and organization) is left as is, without running the
	// workflow.
	ChangePlan(ctx context.Context, req PlanRequest) (*identity.Agreement, error)
	// CancelPlan cancels the user's active agreement; req.PlanCode and
	// req.OrgCode are not used.
	CancelPlan(ctx context.Context, req PlanRequest) (*identity.Agreement, error)
}

// PlanRequest asks for a plan change or cancellation.
type PlanRequest struct {
	Env    string
	UserID string
	// PlanCode is the plan asked for (changes only).
	PlanCode string
	// OrgCode is the organization the plan is for, "" when none (changes
	// only); the user must be a member.
	OrgCode string
	// IP and UserAgent describe who asked: they are the trigger event's
	// request.ip and request.userAgent.
	IP        string
	UserAgent string
}

// PlanDeniedError is returned when a plan workflow refused the change
// (kinde.plan denySelection) or the cancellation (denyCancellation). Reason
// and Suggestions are the workflow's, meant for the customer.
type PlanDeniedError struct {
	Trigger     abi.Trigger
	Reason      string
	Suggestions []string
}

// Error implements error.
func (e *PlanDeniedError) Error() string {
	what := "plan change"
	if e.Trigger == abi.TriggerPlanCancellationRequest {
		what = "plan cancellation"
	}
	if e.Reason == "" {
		return "the " + what + " was denied by the " + string(e.Trigger) + " workflow"
	}
	return "the " + what + " was denied: " + e.Reason
}

// PlanWorkflowError is returned when a plan workflow failed (Code is the
// execution error code: timeout, trap…) and its failure policy stops the
// request, or no worker answered: the plan is left unchanged.
type PlanWorkflowError struct {
	Trigger abi.Trigger
	Code    string
}

// Error implements error.
func (e *PlanWorkflowError) Error() string {
	return fmt.Sprintf("the %s workflow failed (%s) and its failure policy stops the request; the plan is unchanged, try again later",
		e.Trigger, e.Code)
}

// ErrNoActivePlan is returned, wrapped, by [Plans.CancelPlan] when the user
// has no active plan to cancel.
var ErrNoActivePlan = errors.New("the user has no active plan")

// Error codes of the plan endpoints, besides the common ones.
const (
	// CodePlanChangeDenied: user:plan_selection refused the change (409).
	CodePlanChangeDenied = "plan_change_denied"
	// CodePlanCancellationDenied: user:plan_cancellation_request refused
	// the cancellation (409).
	CodePlanCancellationDenied = "plan_cancellation_denied"
	// CodeWorkflowFailed: a workflow failed and its failure policy stops
	// the request (503).
	CodeWorkflowFailed = "workflow_failed"
)

// Plan is a plan in responses.
type Plan struct {
	Code        string    `json:"code"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Position    int       `json:"position"`
	Default     bool      `json:"default"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// PlanList is the body of GET /plans.
type PlanList struct {
	Plans []Plan `json:"plans"`
}

// PlanCreate is the body of POST /plans.
type PlanCreate struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Position    int    `json:"position"`
	Default     bool   `json:"default"`
}

// Agreement is a user's agreement (subscription) in responses.
type Agreement struct {
	ID          string     `json:"id"`
	PlanCode    string     `json:"planCode"`
	OrgCode     string     `json:"orgCode,omitempty"`
	Status      string     `json:"status"`
	StartedAt   time.Time  `json:"startedAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	CancelledAt *time.Time `json:"cancelledAt,omitempty"`
}

// UserPlan is the body of GET, PUT /users/{id}/plan and POST
// /users/{id}/plan/cancel: the user's active agreement or, when there is
// none, the latest one (cancelled), with its plan; both null when the user
// never had a plan.
type UserPlan struct {
	Agreement *Agreement `json:"agreement"`
	Plan      *Plan      `json:"plan"`
}

// UserPlanChange is the body of PUT /users/{id}/plan.
type UserPlanChange struct {
	PlanCode string `json:"planCode"`
	// OrgCode is the organization the plan is for (optional).
	OrgCode string `json:"orgCode,omitempty"`
}

// PlanDeniedResponse is the error body of a denied plan change or
// cancellation: an error response whose item also carries the workflow's
// suggestions.
type PlanDeniedResponse struct {
	Errors []PlanDeniedItem `json:"errors"`
}

// PlanDeniedItem is an ErrorItem with the workflow's suggestions.
type PlanDeniedItem struct {
	ErrorItem
	Suggestions []string `json:"suggestions,omitempty"`
}

// planRoutes adds the plan routes. Plans are read and written with the
// users scopes: they are part of the users' data.
func (a *API) planRoutes(r chi.Router) {
	a.route(r, http.MethodGet, "/plans", ScopeReadUsers, a.listPlans)
	a.route(r, http.MethodPost, "/plans", ScopeWriteUsers, a.createPlan)
	a.route(r, http.MethodGet, "/users/{id}/plan", ScopeReadUsers, a.getUserPlan)
	a.route(r, http.MethodPut, "/users/{id}/plan", ScopeWriteUsers, a.changeUserPlan)
	a.route(r, http.MethodPost, "/users/{id}/plan/cancel", ScopeWriteUsers, a.cancelUserPlan)
}

func planOf(p *identity.Plan) *Plan {
	return &Plan{Code: p.Code, Name: p.Name, Description: p.Description, Position: p.Position,
		Default: p.Default, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func agreementOf(ag *identity.Agreement) *Agreement {
	return &Agreement{ID: ag.ID, PlanCode: ag.PlanCode, OrgCode: ag.OrgCode, Status: ag.Status,
		StartedAt: ag.StartedAt, UpdatedAt: ag.UpdatedAt, CancelledAt: ag.CancelledAt}
}

// listPlans serves GET /plans.
func (a *API) listPlans(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r); err != nil {
		return err
	}
	plans, err := a.cfg.Identity.ListPlans(r.Context(), a.cfg.Env(r.Context()))
	if err != nil {
		return err
	}
	out := PlanList{Plans: make([]Plan, 0, len(plans))}
	for i := range plans {
		out.Plans = append(out.Plans, *planOf(&plans[i]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createPlan serves POST /plans.
func (a *API) createPlan(w http.ResponseWriter, r *http.Request) error {
	var req PlanCreate
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	p, err := a.cfg.Identity.CreatePlan(r.Context(), identity.NewPlan{Env: a.cfg.Env(r.Context()), Code: req.Code,
		Name: req.Name, Description: req.Description, Position: req.Position, Default: req.Default})
	if err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "plan created", "env", p.Env, "plan", p.Code, "client_id", planCallerID(r.Context()))
	writeJSON(w, http.StatusCreated, planOf(p))
	return nil
}

// getUserPlan serves GET /users/{id}/plan.
func (a *API) getUserPlan(w http.ResponseWriter, r *http.Request) error {
	ctx, env, id := r.Context(), a.cfg.Env(r.Context()), chi.URLParam(r, "id")
	if _, err := a.cfg.Identity.GetUser(ctx, env, id); err != nil {
		return err
	}
	ag, err := a.cfg.Identity.LatestAgreement(ctx, env, id)
	if errors.Is(err, identity.ErrNotFound) {
		writeJSON(w, http.StatusOK, UserPlan{})
		return nil
	}
	if err != nil {
		return err
	}
	return a.writeUserPlan(w, r, http.StatusOK, ag)
}

// changeUserPlan serves PUT /users/{id}/plan: user:plan_selection runs
// first and may refuse.
func (a *API) changeUserPlan(w http.ResponseWriter, r *http.Request) error {
	var req UserPlanChange
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.PlanCode == "" {
		return badRequest("field planCode is required")
	}
	if a.cfg.Plans == nil {
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "plan changes are not available in this deployment")
	}
	ag, err := a.cfg.Plans.ChangePlan(r.Context(), a.planRequest(r, req.PlanCode, req.OrgCode))
	if err != nil {
		return a.planError(w, r, err)
	}
	return a.writeUserPlan(w, r, http.StatusOK, ag)
}

// cancelUserPlan serves POST /users/{id}/plan/cancel:
// user:plan_cancellation_request runs first and may refuse.
func (a *API) cancelUserPlan(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength > 0 {
		// No body is needed; an empty JSON object is accepted.
		var empty struct{}
		if err := decodeJSON(w, r, &empty); err != nil {
			return err
		}
	}
	if a.cfg.Plans == nil {
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "plan cancellations are not available in this deployment")
	}
	ag, err := a.cfg.Plans.CancelPlan(r.Context(), a.planRequest(r, "", ""))
	if err != nil {
		return a.planError(w, r, err)
	}
	return a.writeUserPlan(w, r, http.StatusOK, ag)
}

func (a *API) planRequest(r *http.Request, planCode, orgCode string) PlanRequest {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return PlanRequest{Env: a.cfg.Env(r.Context()), UserID: chi.URLParam(r, "id"), PlanCode: planCode,
		OrgCode: orgCode, IP: ip, UserAgent: ua}
}

// writeUserPlan answers with agreement ag and its plan.
func (a *API) writeUserPlan(w http.ResponseWriter, r *http.Request, status int, ag *identity.Agreement) error {
	p, err := a.cfg.Identity.GetPlan(r.Context(), ag.Env, ag.PlanCode)
	if err != nil {
		return err
	}
	writeJSON(w, status, UserPlan{Agreement: agreementOf(ag), Plan: planOf(p)})
	return nil
}

// planError answers a denial itself (its body carries the suggestions)
// and turns the other plan errors into API errors.
func (a *API) planError(w http.ResponseWriter, r *http.Request, err error) error {
	var denied *PlanDeniedError
	var failed *PlanWorkflowError
	switch {
	case errors.As(err, &denied):
		code := CodePlanChangeDenied
		if denied.Trigger == abi.TriggerPlanCancellationRequest {
			code = CodePlanCancellationDenied
		}
		msg := denied.Reason
		if msg == "" {
			msg = denied.Error()
		}
		writeJSON(w, http.StatusConflict, PlanDeniedResponse{Errors: []PlanDeniedItem{{
			ErrorItem: ErrorItem{Code: code, Message: msg}, Suggestions: denied.Suggestions}}})
		return nil
	case errors.As(err, &failed):
		return errorf(http.StatusServiceUnavailable, CodeWorkflowFailed, "%s", failed.Error())
	case errors.Is(err, ErrNoActivePlan):
		return errorf(http.StatusConflict, CodeFailedPrecondition, "%v", err)
	case errors.Is(err, identity.ErrAgreementChanged):
		return errorf(http.StatusConflict, CodeConflict, "%v; read the user's plan and try again", err)
	}
	return err
}

// planCallerID is the client id of the request's token, for logs.
func planCallerID(ctx context.Context) string {
	if c := callerOf(ctx); c != nil {
		return c.clientID
	}
	return ""
}
