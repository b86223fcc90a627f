package mgmt

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// Application is an OAuth client as the API shows it.
type Application struct {
	ClientID               string    `json:"clientId"`
	Name                   string    `json:"name"`
	Type                   string    `json:"type"`
	RedirectURIs           []string  `json:"redirectUris"`
	PostLogoutRedirectURIs []string  `json:"postLogoutRedirectUris"`
	GrantTypes             []string  `json:"grantTypes"`
	Audiences              []string  `json:"audiences"`
	Scopes                 []string  `json:"scopes"`
	CreatedAt              time.Time `json:"createdAt"`
	UpdatedAt              time.Time `json:"updatedAt"`
}

// ApplicationWithSecret is a created application with its client secret,
// shown this once (empty for public clients).
type ApplicationWithSecret struct {
	Application
	ClientSecret string `json:"clientSecret,omitempty"`
}

// ApplicationCreate is the body of POST /applications.
type ApplicationCreate struct {
	Name                   string   `json:"name"`
	Type                   string   `json:"type"`
	RedirectURIs           []string `json:"redirectUris,omitempty"`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris,omitempty"`
	GrantTypes             []string `json:"grantTypes,omitempty"`
	Audiences              []string `json:"audiences,omitempty"`
	Scopes                 []string `json:"scopes,omitempty"`
}

// ApplicationUpdate is the body of PATCH /applications/{clientId}: absent
// fields keep their value.
type ApplicationUpdate struct {
	Name                   *string   `json:"name,omitempty"`
	RedirectURIs           *[]string `json:"redirectUris,omitempty"`
	PostLogoutRedirectURIs *[]string `json:"postLogoutRedirectUris,omitempty"`
	GrantTypes             *[]string `json:"grantTypes,omitempty"`
	Audiences              *[]string `json:"audiences,omitempty"`
	Scopes                 *[]string `json:"scopes,omitempty"`
}

// ClientSecret is the answer of POST /applications/{clientId}/rotate_secret.
type ClientSecret struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

func applicationOf(a *identity.Application) Application {
	return Application{ClientID: a.ClientID, Name: a.Name, Type: string(a.Type),
		RedirectURIs: list(a.RedirectURIs), PostLogoutRedirectURIs: list(a.PostLogoutRedirectURIs),
		GrantTypes: list(a.GrantTypes), Audiences: list(a.Audiences), Scopes: list(a.Scopes),
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

// list makes a nil slice an empty one, so that JSON shows [] rather than
// null.
func list[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (a *API) applicationRoutes(r chi.Router) {
	a.route(r, http.MethodGet, "/applications", ScopeReadApplications, a.listApplications)
	a.route(r, http.MethodPost, "/applications", ScopeWriteApplications, a.createApplication)
	a.route(r, http.MethodGet, "/applications/{clientId}", ScopeReadApplications, a.getApplication)
	a.route(r, http.MethodPatch, "/applications/{clientId}", ScopeWriteApplications, a.updateApplication)
	a.route(r, http.MethodDelete, "/applications/{clientId}", ScopeWriteApplications, a.deleteApplication)
	a.route(r, http.MethodPost, "/applications/{clientId}/rotate_secret", ScopeWriteApplications, a.rotateSecret)
}

func (a *API) listApplications(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r); err != nil {
		return err
	}
	apps, err := a.cfg.Identity.ListApplications(r.Context(), a.cfg.Env(r.Context()))
	if err != nil {
		return err
	}
	out := make([]Application, len(apps))
	for i := range apps {
		out[i] = applicationOf(&apps[i])
	}
	writeJSON(w, http.StatusOK, map[string][]Application{"applications": out})
	return nil
}

func (a *API) createApplication(w http.ResponseWriter, r *http.Request) error {
	var body ApplicationCreate
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	app, secret, err := a.cfg.Identity.CreateApplication(r.Context(), identity.NewApplication{
		Env: a.cfg.Env(r.Context()), Name: body.Name, Type: identity.ApplicationType(body.Type),
		RedirectURIs: body.RedirectURIs, PostLogoutRedirectURIs: body.PostLogoutRedirectURIs,
		GrantTypes: body.GrantTypes, Audiences: body.Audiences, Scopes: body.Scopes})
	if err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "application created", "env", app.Env, "client_id", app.ClientID,
		"type", app.Type, "by", callerOf(r.Context()).clientID)
	writeJSON(w, http.StatusCreated, ApplicationWithSecret{Application: applicationOf(app), ClientSecret: secret})
	return nil
}

func (a *API) getApplication(w http.ResponseWriter, r *http.Request) error {
	app, err := a.cfg.Identity.GetApplication(r.Context(), a.cfg.Env(r.Context()), chi.URLParam(r, "clientId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, applicationOf(app))
	return nil
}

func (a *API) updateApplication(w http.ResponseWriter, r *http.Request) error {
	var body ApplicationUpdate
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	app, err := a.cfg.Identity.UpdateApplication(r.Context(), a.cfg.Env(r.Context()), chi.URLParam(r, "clientId"),
		identity.ApplicationUpdate{Name: body.Name, RedirectURIs: body.RedirectURIs,
			PostLogoutRedirectURIs: body.PostLogoutRedirectURIs, GrantTypes: body.GrantTypes,
			Audiences: body.Audiences, Scopes: body.Scopes})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, applicationOf(app))
	return nil
}

func (a *API) deleteApplication(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := chi.URLParam(r, "clientId")
	if id == callerOf(ctx).clientID {
		return errorf(http.StatusConflict, CodeFailedPrecondition,
			"application %s is the one this request authenticates with; delete it with another application's token", id)
	}
	if err := a.cfg.Identity.DeleteApplication(ctx, a.cfg.Env(ctx), id); err != nil {
		return err
	}
	a.log.InfoContext(ctx, "application deleted", "env", a.cfg.Env(ctx), "client_id", id, "by", callerOf(ctx).clientID)
	noContent(w)
	return nil
}

func (a *API) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := chi.URLParam(r, "clientId")
	secret, err := a.cfg.Identity.RotateClientSecret(ctx, a.cfg.Env(ctx), id)
	if err != nil {
		return err
	}
	a.log.InfoContext(ctx, "client secret rotated", "env", a.cfg.Env(ctx), "client_id", id, "by", callerOf(ctx).clientID)
	writeJSON(w, http.StatusOK, ClientSecret{ClientID: id, ClientSecret: secret})
	return nil
}
