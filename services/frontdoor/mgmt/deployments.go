package mgmt

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Limits of POST /deployments: the module as the deployments service takes
// it, plus room for the other form fields and the multipart framing.
const (
	maxFormField  = 1 << 10
	maxUploadBody = dapi.MaxArtifactBytes + 64<<10
)

// Deployment list sizes.
const (
	defaultDeploymentPage = 50
	maxDeploymentPage     = 500
)

func (a *API) deploymentRoutes(r chi.Router) {
	a.route(r, http.MethodGet, "/deployments", ScopeReadWorkflows, a.listDeployments)
	a.route(r, http.MethodPost, "/deployments", ScopeWriteWorkflows, a.uploadDeployment)
	a.route(r, http.MethodGet, "/deployments/{id}", ScopeReadWorkflows, a.getDeployment)
	a.route(r, http.MethodDelete, "/deployments/{id}", ScopeWriteWorkflows, a.deleteDeployment)
	a.route(r, http.MethodPost, "/deployments/{id}/live", ScopeWriteWorkflows, a.changeDeployment(dapi.SubjectMakeLive, "made live"))
	a.route(r, http.MethodPost, "/deployments/{id}/deactivate", ScopeWriteWorkflows, a.changeDeployment(dapi.SubjectDeactivate, "deactivated"))
	a.route(r, http.MethodPost, "/deployments/{id}/preview_password", ScopeWriteWorkflows, a.newPreviewPassword)
}

// newPreviewPassword replaces a deployment's preview password and shows
// the new one, this once.
func (a *API) newPreviewPassword(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	resp, err := call[dapi.IDRequest, dapi.PreviewPasswordResponse](ctx, a, dapi.SubjectPreviewPassword,
		dapi.IDRequest{Env: a.cfg.Env(ctx), DeploymentID: chi.URLParam(r, "id")})
	if err != nil {
		return err
	}
	a.log.InfoContext(ctx, "deployment preview password replaced", "env", resp.Deployment.Env,
		"deployment_id", resp.Deployment.ID, "by", callerOf(ctx).clientID)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (a *API) listDeployments(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r, "workflowId", "trigger", "limit"); err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", defaultDeploymentPage, 1, maxDeploymentPage)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	trigger := abi.Trigger(q.Get("trigger"))
	if trigger != "" && !trigger.Known() {
		return badRequest("query parameter trigger: unknown trigger %q", trigger)
	}
	ctx := r.Context()
	resp, err := call[dapi.ListRequest, dapi.ListResponse](ctx, a, dapi.SubjectList, dapi.ListRequest{
		Env: a.cfg.Env(ctx), WorkflowID: q.Get("workflowId"), Trigger: trigger, Limit: limit})
	if err != nil {
		return err
	}
	resp.Deployments = list(resp.Deployments)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (a *API) getDeployment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d, err := call[dapi.IDRequest, dapi.Deployment](ctx, a, dapi.SubjectGet,
		dapi.IDRequest{Env: a.cfg.Env(ctx), DeploymentID: chi.URLParam(r, "id")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) changeDeployment(subject, done string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		d, err := call[dapi.IDRequest, dapi.Deployment](ctx, a, subject,
			dapi.IDRequest{Env: a.cfg.Env(ctx), DeploymentID: chi.URLParam(r, "id")})
		if err != nil {
			return err
		}
		a.log.InfoContext(ctx, "deployment "+done, "env", d.Env, "deployment_id", d.ID, "by", callerOf(ctx).clientID)
		writeJSON(w, http.StatusOK, d)
		return nil
	}
}

func (a *API) deleteDeployment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := chi.URLParam(r, "id")
	if _, err := call[dapi.IDRequest, dapi.Empty](ctx, a, dapi.SubjectDelete,
		dapi.IDRequest{Env: a.cfg.Env(ctx), DeploymentID: id}); err != nil {
		return err
	}
	a.log.InfoContext(ctx, "deployment deleted", "env", a.cfg.Env(ctx), "deployment_id", id, "by", callerOf(ctx).clientID)
	noContent(w)
	return nil
}

// upload is the multipart form of POST /deployments.
type upload struct {
	module []byte
	source string
	live   *bool
}

// uploadDeployment stores the module of a multipart/form-data request
// (field "module", with optional "source" and "live") in the artifact
// bucket and asks the deployments service to deploy it. A module that fails
// validation still makes a deployment, with status Failed and its build
// log: the answer is 201 either way.
func (a *API) uploadDeployment(w http.ResponseWriter, r *http.Request) error {
	up, err := readUpload(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	digest, err := dapi.PutArtifact(ctx, a.js, up.module)
	if err != nil {
		return fmt.Errorf("store the uploaded module: %w", err)
	}
	resp, err := call[dapi.UploadRequest, dapi.UploadResponse](ctx, a, dapi.SubjectUpload,
		dapi.UploadRequest{Env: a.cfg.Env(ctx), SHA256: digest, Source: up.source, Live: up.live})
	if err != nil {
		return err
	}
	resp.BuildLog = list(resp.BuildLog)
	a.log.InfoContext(ctx, "deployment uploaded", "env", resp.Deployment.Env, "deployment_id", resp.Deployment.ID,
		"status", resp.Deployment.Status, "by", callerOf(ctx).clientID)
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

// readUpload reads the form of POST /deployments, part by part, refusing
// unknown, repeated or oversized parts.
func readUpload(w http.ResponseWriter, r *http.Request) (upload, error) {
	var up upload
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return up, errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"the module must be uploaded as multipart/form-data with a \"module\" file part, not %q", r.Header.Get("Content-Type"))
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return up, badRequest("the multipart body cannot be read: %v", err)
	}
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return up, uploadError(err)
		}
		name := part.FormName()
		if seen[name] {
			return up, badRequest("form field %q is repeated", name)
		}
		seen[name] = true
		switch name {
		case "module":
			if up.module, err = io.ReadAll(io.LimitReader(part, dapi.MaxArtifactBytes+1)); err != nil {
				return up, uploadError(err)
			}
			if len(up.module) > dapi.MaxArtifactBytes {
				return up, errorf(http.StatusRequestEntityTooLarge, CodePayloadTooLarge,
					"the module is over the limit of %d bytes", dapi.MaxArtifactBytes)
			}
			if up.source == "" {
				up.source = part.FileName()
			}
		case "source", "live":
			v, err := io.ReadAll(io.LimitReader(part, maxFormField+1))
			if err != nil {
				return up, uploadError(err)
			}
			if len(v) > maxFormField {
				return up, badRequest("form field %s is over %d bytes", name, maxFormField)
			}
			if name == "source" {
				up.source = string(v)
				continue
			}
			live, err := strconv.ParseBool(string(v))
			if err != nil {
				return up, badRequest("form field live must be true or false, not %q", v)
			}
			up.live = &live
		default:
			return up, badRequest("unknown form field %q: the form takes module, source and live", name)
		}
	}
	if !seen["module"] {
		return up, badRequest("the form has no \"module\" file part holding the .wasm module")
	}
	if len(up.module) == 0 {
		return up, badRequest("the uploaded module is empty")
	}
	return up, nil
}

// uploadError describes a failure to read the multipart body.
func uploadError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errorf(http.StatusRequestEntityTooLarge, CodePayloadTooLarge,
			"the request body is over the limit of %d bytes (the module may be at most %d)", maxUploadBody, dapi.MaxArtifactBytes)
	}
	return badRequest("the multipart body is malformed: %v", err)
}
