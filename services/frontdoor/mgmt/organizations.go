package mgmt

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// Organization is an organization as the API shows it.
type Organization struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// OrganizationBody is the body of POST /organizations and PATCH
// /organizations/{code}.
type OrganizationBody struct {
	Name string `json:"name"`
}

// Member is a user's membership of an organization.
type Member struct {
	UserID    string    `json:"userId"`
	Roles     []string  `json:"roles"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// MemberBody is the body of PUT /organizations/{code}/members/{userId}.
type MemberBody struct {
	Roles []string `json:"roles"`
}

func organizationOf(o *identity.Organization) Organization {
	return Organization{Code: o.Code, Name: o.Name, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

func memberOf(m *identity.Membership) Member {
	return Member{UserID: m.UserID, Roles: list(m.Roles), CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

func (a *API) organizationRoutes(r chi.Router) {
	a.route(r, http.MethodGet, "/organizations", ScopeReadOrganizations, a.listOrganizations)
	a.route(r, http.MethodPost, "/organizations", ScopeWriteOrganizations, a.createOrganization)
	a.route(r, http.MethodGet, "/organizations/{code}", ScopeReadOrganizations, a.getOrganization)
	a.route(r, http.MethodPatch, "/organizations/{code}", ScopeWriteOrganizations, a.renameOrganization)
	a.route(r, http.MethodDelete, "/organizations/{code}", ScopeWriteOrganizations, a.deleteOrganization)
	a.route(r, http.MethodGet, "/organizations/{code}/members", ScopeReadOrganizations, a.listMembers)
	a.route(r, http.MethodPut, "/organizations/{code}/members/{userId}", ScopeWriteOrganizations, a.setMember)
	a.route(r, http.MethodDelete, "/organizations/{code}/members/{userId}", ScopeWriteOrganizations, a.removeMember)
}

func (a *API) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	if err := checkQuery(r); err != nil {
		return err
	}
	orgs, err := a.cfg.Identity.ListOrganizations(r.Context(), a.cfg.Env(r.Context()))
	if err != nil {
		return err
	}
	out := make([]Organization, len(orgs))
	for i := range orgs {
		out[i] = organizationOf(&orgs[i])
	}
	writeJSON(w, http.StatusOK, map[string][]Organization{"organizations": out})
	return nil
}

func (a *API) createOrganization(w http.ResponseWriter, r *http.Request) error {
	var body OrganizationBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	o, err := a.cfg.Identity.CreateOrganization(r.Context(), a.cfg.Env(r.Context()), body.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, organizationOf(o))
	return nil
}

func (a *API) getOrganization(w http.ResponseWriter, r *http.Request) error {
	o, err := a.cfg.Identity.GetOrganization(r.Context(), a.cfg.Env(r.Context()), chi.URLParam(r, "code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, organizationOf(o))
	return nil
}

func (a *API) renameOrganization(w http.ResponseWriter, r *http.Request) error {
	var body OrganizationBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	o, err := a.cfg.Identity.RenameOrganization(r.Context(), a.cfg.Env(r.Context()), chi.URLParam(r, "code"), body.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, organizationOf(o))
	return nil
}

func (a *API) deleteOrganization(w http.ResponseWriter, r *http.Request) error {
	if err := a.cfg.Identity.DeleteOrganization(r.Context(), a.cfg.Env(r.Context()), chi.URLParam(r, "code")); err != nil {
		return err
	}
	noContent(w)
	return nil
}

func (a *API) listMembers(w http.ResponseWriter, r *http.Request) error {
	ms, err := a.cfg.Identity.ListMembers(r.Context(), a.cfg.Env(r.Context()), chi.URLParam(r, "code"))
	if err != nil {
		return err
	}
	out := make([]Member, len(ms))
	for i := range ms {
		out[i] = memberOf(&ms[i])
	}
	writeJSON(w, http.StatusOK, map[string][]Member{"members": out})
	return nil
}

func (a *API) setMember(w http.ResponseWriter, r *http.Request) error {
	var body MemberBody
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	m, err := a.cfg.Identity.SetMembership(r.Context(), a.cfg.Env(r.Context()), chi.URLParam(r, "code"),
		chi.URLParam(r, "userId"), body.Roles)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, memberOf(m))
	return nil
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request) error {
	if err := a.cfg.Identity.RemoveMembership(r.Context(), a.cfg.Env(r.Context()), chi.URLParam(r, "code"),
		chi.URLParam(r, "userId")); err != nil {
		return err
	}
	noContent(w)
	return nil
}
