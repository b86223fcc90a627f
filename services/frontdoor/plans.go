package frontdoor

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// *Server changes plans for the management API.
var _ mgmt.Plans = (*Server)(nil)

// ChangePlan puts user req.UserID on plan req.PlanCode once
// user:plan_selection allows it: it changes the plan of the user's active
// agreement, or starts one. A user already on that plan (and organization)
// is left as is and the workflow does not run. See [mgmt.Plans] for the
// errors.
func (s *Server) ChangePlan(ctx context.Context, req mgmt.PlanRequest) (*identity.Agreement, error) {
	if err := identity.CheckPlanCode(req.PlanCode); err != nil {
		return nil, fmt.Errorf("change plan: %w", err)
	}
	if _, err := s.ids.GetUser(ctx, req.Env, req.UserID); err != nil {
		return nil, fmt.Errorf("change plan: %w", err)
	}
	if _, err := s.ids.GetPlan(ctx, req.Env, req.PlanCode); err != nil {
		return nil, fmt.Errorf("change plan: %w", err)
	}
	if req.OrgCode != "" {
		_, err := s.ids.GetMembership(ctx, req.Env, req.OrgCode, req.UserID)
		if errors.Is(err, identity.ErrNotFound) {
			return nil, fmt.Errorf("change plan: %w: user %s is not a member of organization %s",
				identity.ErrInvalid, req.UserID, req.OrgCode)
		}
		if err != nil {
			return nil, fmt.Errorf("change plan: %w", err)
		}
	}
	cur, err := s.activeAgreement(ctx, req.Env, req.UserID)
	if err != nil {
		return nil, fmt.Errorf("change plan: %w", err)
	}
	org, currentCode := req.OrgCode, ""
	if cur != nil {
		currentCode = cur.PlanCode
		if org == "" {
			org = cur.OrgCode
		}
		if cur.PlanCode == req.PlanCode && cur.OrgCode == org {
			return cur, nil
		}
	}

	var ev planSelectionEvent
	ev.Request.IP, ev.Request.UserAgent = req.IP, req.UserAgent
	ev.Context.Domains.KindeDomain = s.issuer(req.Env)
	ev.Context.Billing.CurrentPlanCode = currentCode
	ev.Context.Billing.RequestedPlanCode = req.PlanCode
	ev.Context.User.ID = req.UserID
	ev.Context.Organization.Code = org
	ev.Context.Workflow.Trigger = abi.TriggerPlanSelection
	if err := s.firePlan(ctx, req.Env, abi.TriggerPlanSelection, ev); err != nil {
		return nil, err
	}

	ag, err := s.ids.ChangePlan(ctx, identity.PlanChange{Env: req.Env, UserID: req.UserID, PlanCode: req.PlanCode,
		OrgCode: req.OrgCode, From: cur})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "plan changed", "env", req.Env, "user_id", req.UserID, "agreement_id", ag.ID,
		"from", currentCode, "to", ag.PlanCode)
	return ag, nil
}

// CancelPlan cancels the active agreement of user req.UserID once
// user:plan_cancellation_request allows it. See [mgmt.Plans] for the
// errors.
func (s *Server) CancelPlan(ctx context.Context, req mgmt.PlanRequest) (*identity.Agreement, error) {
	if _, err := s.ids.GetUser(ctx, req.Env, req.UserID); err != nil {
		return nil, fmt.Errorf("cancel plan: %w", err)
	}
	cur, err := s.activeAgreement(ctx, req.Env, req.UserID)
	if err != nil {
		return nil, fmt.Errorf("cancel plan: %w", err)
	}
	if cur == nil {
		return nil, fmt.Errorf("cancel plan of user %s: %w", req.UserID, mgmt.ErrNoActivePlan)
	}

	var ev planCancellationEvent
	ev.Request.IP, ev.Request.UserAgent = req.IP, req.UserAgent
	ev.Context.Domains.KindeDomain = s.issuer(req.Env)
	ev.Context.Billing.CurrentPlanCode = cur.PlanCode
	ev.Context.Billing.AgreementID = cur.ID
	ev.Context.Workflow.Trigger = abi.TriggerPlanCancellationRequest
	if err := s.firePlan(ctx, req.Env, abi.TriggerPlanCancellationRequest, ev); err != nil {
		return nil, err
	}

	ag, err := s.ids.CancelAgreement(ctx, req.Env, req.UserID, cur)
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "plan cancelled", "env", req.Env, "user_id", req.UserID, "agreement_id", ag.ID,
		"plan", ag.PlanCode)
	return ag, nil
}

// activeAgreement returns the user's active agreement, nil when there is
// none.
func (s *Server) activeAgreement(ctx context.Context, env, userID string) (*identity.Agreement, error) {
	ag, err := s.ids.ActiveAgreement(ctx, env, userID)
	if errors.Is(err, identity.ErrNotFound) {
		return nil, nil
	}
	return ag, err
}

// firePlan runs plan trigger t on event and returns nil when the change
// may go ahead: no workflow is live, it allowed it, or it failed with
// failure policy continue. A refusal is a *mgmt.PlanDeniedError; a failure
// with policy stop (or no worker answering) a *mgmt.PlanWorkflowError.
func (s *Server) firePlan(ctx context.Context, env string, t abi.Trigger, event any) error {
	d, stop := s.fire(ctx, env, t, event)
	if stop != nil {
		if stop.Failure != "" {
			return &mgmt.PlanWorkflowError{Trigger: t, Code: stop.Failure}
		}
		// kinde.auth is not available to plan workflows; a denial is
		// honoured all the same.
		return &mgmt.PlanDeniedError{Trigger: t, Reason: stop.Denied}
	}
	if d.PlanDenied != nil {
		s.log.InfoContext(ctx, "workflow denied the plan request", "env", env, "trigger", t,
			"workflow_id", d.WorkflowID, "execution_id", d.ExecutionID)
		return &mgmt.PlanDeniedError{Trigger: t, Reason: d.PlanDenied.Reason, Suggestions: d.PlanDenied.Suggestions}
	}
	return nil
}

// assignDefaultPlan puts a new user on the environment's default plan, if
// it has one, without running user:plan_selection (which does not fire for
// automatic assignments). It is for sign-up; a failure is logged and does
// not fail the sign-up.
func (s *Server) assignDefaultPlan(ctx context.Context, env, userID string) {
	ag, err := s.ids.AssignDefaultPlan(ctx, env, userID)
	if err != nil {
		s.log.WarnContext(ctx, "assign the default plan", "env", env, "user_id", userID, "error", err)
		return
	}
	if ag != nil {
		s.log.InfoContext(ctx, "default plan assigned", "env", env, "user_id", userID, "agreement_id", ag.ID,
			"plan", ag.PlanCode)
	}
}
