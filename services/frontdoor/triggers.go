package frontdoor

import (
	"context"
	"encoding/json"
	"fmt"

	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// workflowStop says why a workflow stopped the flow: it denied access, or
// it failed with failure policy stop (or no worker answered).
type workflowStop struct {
	Trigger abi.Trigger
	// Denied is the reason the workflow gave for denying access; it is
	// meant for the user.
	Denied string
	// Failure is the execution error code (timeout, trap…) when the
	// workflow failed.
	Failure string
}

// Description is the text shown to the user or the client.
func (e *workflowStop) Description() string {
	if e.Failure == "" {
		if e.Denied == "" {
			return "access was denied"
		}
		return "access was denied: " + e.Denied
	}
	return fmt.Sprintf("the %s workflow failed (%s) and its failure policy stops the request; try again later", e.Trigger, e.Failure)
}

// fire runs the workflow of trigger t in env on event and returns the
// decision to apply. In a flow previewing a deployment (see withPreview)
// that deployment runs for its trigger instead of the live workflow. A decision of a workflow that failed with failure
// policy continue is returned empty: the flow goes on as if it had not
// run. A denial, or a failure with policy stop, is returned as a
// *workflowStop.
func (s *Server) fire(ctx context.Context, env string, t abi.Trigger, event any) (wapi.Decision, *workflowStop) {
	d, stop := s.fireOnce(ctx, env, t, event)
	if stop != nil {
		s.metrics.workflowStopped(stop)
	}
	return d, stop
}

// fireOnce is fire without the metrics.
func (s *Server) fireOnce(ctx context.Context, env string, t abi.Trigger, event any) (wapi.Decision, *workflowStop) {
	body, err := json.Marshal(event)
	if err != nil {
		s.log.ErrorContext(ctx, "encode trigger event", "trigger", t, "error", err)
		return wapi.Decision{}, &workflowStop{Trigger: t, Failure: wapi.ErrCodeInternal}
	}
	d, err := s.triggers.Fire(ctx, env, t, body, previewOf(ctx))
	if err != nil {
		s.log.ErrorContext(ctx, "fire trigger", "env", env, "trigger", t, "error", err)
		return wapi.Decision{}, &workflowStop{Trigger: t, Failure: wapi.ErrCodeInternal}
	}
	if d.Failed() {
		log := s.log.With("env", env, "trigger", t, "workflow_id", d.WorkflowID, "deployment_id", d.DeploymentID,
			"execution_id", d.ExecutionID, "code", d.Error.Code, "failure_policy", d.FailurePolicy)
		if d.Continue() {
			log.WarnContext(ctx, "workflow failed; its failure policy lets the flow continue without it", "error", d.Error.Message)
			s.metrics.workflowContinued(t)
			return wapi.Decision{}, nil
		}
		log.WarnContext(ctx, "workflow failed; its failure policy stops the flow", "error", d.Error.Message)
		return wapi.Decision{}, &workflowStop{Trigger: t, Failure: d.Error.Code}
	}
	if d.Denied != nil {
		s.log.InfoContext(ctx, "workflow denied access", "env", env, "trigger", t, "workflow_id", d.WorkflowID,
			"execution_id", d.ExecutionID)
		return d, &workflowStop{Trigger: t, Denied: d.Denied.Reason}
	}
	return d, nil
}
