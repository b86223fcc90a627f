package mgmt

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
)

// EnvVarCreate is the body of POST /environment_variables.
type EnvVarCreate struct {
	Key      string `json:"key"`
	Value    string `json:"value"`
	IsSecret bool   `json:"isSecret,omitempty"`
}

// EnvVarUpdate is the body of PATCH /environment_variables/{key}: absent
// fields keep their value. A secret cannot be made non-secret.
type EnvVarUpdate struct {
	Value    *string `json:"value,omitempty"`
	IsSecret *bool   `json:"isSecret,omitempty"`
}

func (a *API) environmentVariableRoutes(r chi.Router) {
	a.route(r, http.MethodGet, "/environment_variables", ScopeReadEnvironmentVariables, a.listEnvVars)
	a.route(r, http.MethodPost, "/environment_variables", ScopeWriteEnvironmentVariables, a.createEnvVar)
	a.route(r, http.MethodGet, "/environment_variables/{key}", ScopeReadEnvironmentVariables, a.getEnvVar)
	a.route(r, http.MethodPatch, "/environment_variables/{key}", ScopeWriteEnvironmentVariables, a.updateEnvVar)
	a.route(r, http.MethodDelete, "/environment_variables/{key}", ScopeWriteEnvironmentVariables, a.deleteEnvVar)
}

// withoutSecret blanks the value of a secret. The keys service never
// returns one; this makes sure the API cannot either.
func withoutSecret(v kapi.EnvVar) kapi.EnvVar {
	if v.IsSecret {
		v.Value = ""
	}
	return v
}

func (a *API) listEnvVars(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r); err != nil {
		return err
	}
	ctx := r.Context()
	resp, err := call[kapi.ListEnvRequest, kapi.ListEnvResponse](ctx, a, kapi.SubjectEnvList, kapi.ListEnvRequest{Env: a.cfg.Env(ctx)})
	if err != nil {
		return err
	}
	resp.Variables = list(resp.Variables)
	for i := range resp.Variables {
		resp.Variables[i] = withoutSecret(resp.Variables[i])
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (a *API) createEnvVar(w http.ResponseWriter, r *http.Request) error {
	var body EnvVarCreate
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	ctx := r.Context()
	v, err := call[kapi.CreateEnvRequest, kapi.EnvVar](ctx, a, kapi.SubjectEnvCreate,
		kapi.CreateEnvRequest{Env: a.cfg.Env(ctx), Key: body.Key, Value: body.Value, IsSecret: body.IsSecret})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, withoutSecret(v))
	return nil
}

func (a *API) getEnvVar(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v, err := call[kapi.EnvKeyRequest, kapi.EnvVar](ctx, a, kapi.SubjectEnvGet,
		kapi.EnvKeyRequest{Env: a.cfg.Env(ctx), Key: chi.URLParam(r, "key")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, withoutSecret(v))
	return nil
}

func (a *API) updateEnvVar(w http.ResponseWriter, r *http.Request) error {
	var body EnvVarUpdate
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if body.Value == nil && body.IsSecret == nil {
		return badRequest("the request body changes nothing: give value, isSecret or both")
	}
	ctx := r.Context()
	v, err := call[kapi.UpdateEnvRequest, kapi.EnvVar](ctx, a, kapi.SubjectEnvUpdate,
		kapi.UpdateEnvRequest{Env: a.cfg.Env(ctx), Key: chi.URLParam(r, "key"), Value: body.Value, IsSecret: body.IsSecret})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, withoutSecret(v))
	return nil
}

func (a *API) deleteEnvVar(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	key := chi.URLParam(r, "key")
	resp, err := call[kapi.EnvKeyRequest, kapi.DeleteResponse](ctx, a, kapi.SubjectEnvDelete,
		kapi.EnvKeyRequest{Env: a.cfg.Env(ctx), Key: key})
	if err != nil {
		return err
	}
	if !resp.Deleted {
		return notFound("environment variable %s does not exist in environment %s", key, a.cfg.Env(ctx))
	}
	noContent(w)
	return nil
}
