package frontdoor

import (
	"net/http"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
)

// pathChooseOrganization is the page where a member of several
// organizations picks the one to sign in to.
const pathChooseOrganization = "/choose-organization"

// chooseOrganizationPage serves GET /choose-organization for the flow in
// the request's cookie.
func (s *Server) chooseOrganizationPage(w http.ResponseWriter, r *http.Request) {
	st, ok := s.resume(w, r, authstore.StageOrganization, false)
	if !ok {
		return
	}
	orgs, ok := s.userOrganizations(w, r, st)
	if !ok {
		return
	}
	csrf, err := s.csrfToken(w, r, st.ar.env)
	if err != nil {
		s.serverErrorPage(w)
		return
	}
	pages.Render(w, http.StatusOK, s.chooseOrganizationForm(st, orgs, csrf))
}

func (s *Server) chooseOrganizationForm(st *authState, orgs []identity.UserOrganization, csrf string) pages.ChooseOrganization {
	p := pages.ChooseOrganization{Action: s.endpoint(st.ar.env, pathChooseOrganization), CSRF: csrf, AppName: st.ar.app.Name}
	for _, o := range orgs {
		p.Organizations = append(p.Organizations, pages.OrganizationChoice{Code: o.Code, Name: o.Name})
	}
	return p
}

// chooseOrganization serves POST /choose-organization: it checks the
// anti-forgery token and that the user is a member of the organization
// chosen, and resumes the flow with it.
func (s *Server) chooseOrganization(w http.ResponseWriter, r *http.Request) {
	env := envOf(r.Context())
	form, ok := s.postedForm(w, r, "", nil)
	if !ok {
		return
	}
	st, ok := s.resume(w, r, authstore.StageOrganization, false)
	if !ok {
		return
	}
	orgs, ok := s.userOrganizations(w, r, st)
	if !ok {
		return
	}
	code := form.Get("org_code")
	if !slices.ContainsFunc(orgs, func(o identity.UserOrganization) bool { return o.Code == code }) {
		page := s.chooseOrganizationForm(st, orgs, form.Get(csrfField))
		page.Error = "Choose one of your organizations."
		pages.Render(w, http.StatusBadRequest, page)
		return
	}
	// The step is done: the flow is used up before going on, so that the
	// form cannot be replayed.
	if st, ok = s.resume(w, r, authstore.StageOrganization, true); !ok {
		return
	}
	s.setCookie(w, env, flowCookie, "", s.now().Add(-time.Hour))
	st.orgCode, st.orgResolved = code, true
	s.proceed(w, r, st)
}

// userOrganizations lists the organizations of the flow's user.
func (s *Server) userOrganizations(w http.ResponseWriter, r *http.Request, st *authState) ([]identity.UserOrganization, bool) {
	orgs, err := s.ids.ListUserOrganizations(r.Context(), st.ar.env, st.userID)
	if err != nil {
		s.log.ErrorContext(r.Context(), "choose organization: list organizations", "error", err)
		s.serverErrorPage(w)
		return nil, false
	}
	return orgs, true
}
