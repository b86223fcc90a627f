package mgmt

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
)

// call sends one request to a service behind the API with the request's
// context (and so its deadline).
func call[Req, Resp any](ctx context.Context, a *API, subject string, req Req) (Resp, error) {
	return natsrpc.Call[Req, Resp](ctx, a.cfg.NATS, subject, req)
}

func (a *API) workflowRoutes(r chi.Router) {
	a.route(r, http.MethodGet, "/workflows", ScopeReadWorkflows, a.listWorkflows)
	a.route(r, http.MethodGet, "/workflows/{id}", ScopeReadWorkflows, a.getWorkflow)
	a.route(r, http.MethodDelete, "/workflows/{id}", ScopeWriteWorkflows, a.deleteWorkflow)
	a.route(r, http.MethodGet, "/workflows/{id}/keys", ScopeReadWorkflows, a.listWorkflowKeys)
	a.route(r, http.MethodPost, "/workflows/{id}/keys", ScopeWriteWorkflows, a.createWorkflowKey)
	a.route(r, http.MethodPost, "/workflow_keys/{keyId}/activate", ScopeWriteWorkflows, a.changeWorkflowKey(kapi.SubjectWorkflowKeyActivate))
	a.route(r, http.MethodPost, "/workflow_keys/{keyId}/deactivate", ScopeWriteWorkflows, a.changeWorkflowKey(kapi.SubjectWorkflowKeyDeactivate))
	a.route(r, http.MethodDelete, "/workflow_keys/{keyId}", ScopeWriteWorkflows, a.deleteWorkflowKey)
}

func (a *API) workflows(ctx context.Context) ([]dapi.Workflow, error) {
	resp, err := call[dapi.WorkflowsRequest, dapi.WorkflowsResponse](ctx, a, dapi.SubjectWorkflows,
		dapi.WorkflowsRequest{Env: a.cfg.Env(ctx)})
	return list(resp.Workflows), err
}

func (a *API) listWorkflows(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r); err != nil {
		return err
	}
	wfs, err := a.workflows(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dapi.WorkflowsResponse{Workflows: wfs})
	return nil
}

func (a *API) getWorkflow(w http.ResponseWriter, r *http.Request) error {
	wfs, err := a.workflows(r.Context())
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	for _, wf := range wfs {
		if wf.ID == id {
			writeJSON(w, http.StatusOK, wf)
			return nil
		}
	}
	return notFound("workflow %s does not exist in environment %s", id, a.cfg.Env(r.Context()))
}

func (a *API) deleteWorkflow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := chi.URLParam(r, "id")
	if _, err := call[dapi.DeleteWorkflowRequest, dapi.Empty](ctx, a, dapi.SubjectDeleteWorkflow,
		dapi.DeleteWorkflowRequest{Env: a.cfg.Env(ctx), WorkflowID: id}); err != nil {
		return err
	}
	a.log.InfoContext(ctx, "workflow deleted", "env", a.cfg.Env(ctx), "workflow_id", id, "by", callerOf(ctx).clientID)
	noContent(w)
	return nil
}

func (a *API) listWorkflowKeys(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	resp, err := call[kapi.ListWorkflowKeysRequest, kapi.ListWorkflowKeysResponse](ctx, a, kapi.SubjectWorkflowKeyList,
		kapi.ListWorkflowKeysRequest{Env: a.cfg.Env(ctx), WorkflowID: chi.URLParam(r, "id")})
	if err != nil {
		return err
	}
	resp.Keys = list(resp.Keys)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (a *API) createWorkflowKey(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	resp, err := call[kapi.CreateWorkflowKeyRequest, kapi.CreateWorkflowKeyResponse](ctx, a, kapi.SubjectWorkflowKeyCreate,
		kapi.CreateWorkflowKeyRequest{Env: a.cfg.Env(ctx), WorkflowID: chi.URLParam(r, "id")})
	if err != nil {
		return err
	}
	a.log.InfoContext(ctx, "workflow encryption key created", "env", a.cfg.Env(ctx), "key_id", resp.Key.ID,
		"workflow_id", resp.Key.WorkflowID, "by", callerOf(ctx).clientID)
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

func (a *API) changeWorkflowKey(subject string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		k, err := call[kapi.WorkflowKeyRequest, kapi.WorkflowKey](ctx, a, subject,
			kapi.WorkflowKeyRequest{Env: a.cfg.Env(ctx), KeyID: chi.URLParam(r, "keyId")})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, k)
		return nil
	}
}

func (a *API) deleteWorkflowKey(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := chi.URLParam(r, "keyId")
	resp, err := call[kapi.WorkflowKeyRequest, kapi.DeleteResponse](ctx, a, kapi.SubjectWorkflowKeyDelete,
		kapi.WorkflowKeyRequest{Env: a.cfg.Env(ctx), KeyID: id})
	if err != nil {
		return err
	}
	if !resp.Deleted {
		return notFound("workflow encryption key %s does not exist in environment %s", id, a.cfg.Env(ctx))
	}
	noContent(w)
	return nil
}
