package frontdoor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/oauth"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
)

// authRequest is a checked authorization request.
type authRequest struct {
	env         string
	app         *identity.Application
	params      url.Values // the request's parameters, carried to the sign-in page
	redirectURI string
	state       string
	nonce       string
	challenge   string
	scope       []string
	promptNone  bool
	promptLogin bool
	// promptCreate (prompt=create, OpenID Connect Prompt Create 1.0)
	// opens the sign-up page instead of the sign-in page.
	promptCreate bool
	maxAge       int64 // seconds; -1 when absent
	loginHint    string
	orgCode      string
	// deployID is the deployment previewed (deploy_id), if any.
	deployID string
	// stepUp: acr_values asks for multi-factor authentication.
	stepUp bool
}

// authFailure is a failed authorization request: shown on a page when the
// client or its redirect URI cannot be trusted, sent back to the redirect
// URI otherwise.
type authFailure struct {
	page     *pages.Message
	redirect *oauth.Error
}

func failPage(format string, args ...any) *authFailure {
	return &authFailure{page: &pages.Message{Title: "This sign-in link is not valid",
		Text: fmt.Sprintf(format, args...) + " Go back to the application and try again; if it keeps happening, tell its developers."}}
}

func failRedirect(code, format string, args ...any) *authFailure {
	return &authFailure{redirect: oauth.Errorf(code, format, args...)}
}

// authParams are the parameters an authorization request keeps.
var authParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "prompt", "max_age", "login_hint", "org_code", "response_mode", "deploy_id", "acr_values"}

// parseAuthRequest checks an authorization request in env. The client and
// redirect URI come first: until both are known good, every failure is a
// page. Then the rest, whose failures go back to the client.
func (s *Server) parseAuthRequest(ctx context.Context, env string, q url.Values) (*authRequest, *authFailure) {
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	if clientID == "" {
		return nil, failPage("The request does not say which application it is for (client_id is missing).")
	}
	app, err := s.ids.GetApplication(ctx, env, clientID)
	switch {
	case errors.Is(err, identity.ErrNotFound):
		return nil, failPage("The application it names is not registered here.")
	case err != nil:
		s.log.ErrorContext(ctx, "authorize: look up client", "client_id", clientID, "error", err)
		return nil, &authFailure{page: &pages.Message{Title: "Something went wrong", Text: "The sign-in could not start. Try again in a moment."}}
	}
	if redirectURI == "" {
		return nil, failPage("The request has no redirect_uri.")
	}
	if !app.AllowsRedirectURI(redirectURI) {
		return nil, failPage("The address to return to (redirect_uri) is not registered for %s. It must match a registered address exactly.", app.Name)
	}

	ar := &authRequest{env: env, app: app, params: url.Values{}, redirectURI: redirectURI, state: q.Get("state"),
		nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), maxAge: -1,
		loginHint: q.Get("login_hint"), orgCode: q.Get("org_code"), deployID: q.Get("deploy_id")}
	for _, p := range authParams {
		if q.Has(p) {
			ar.params.Set(p, q.Get(p))
		}
	}
	if !app.AllowsGrant(grantAuthorizationCode) {
		return ar, failRedirect(oauth.CodeUnauthorizedClient, "this application may not use the authorization code flow")
	}
	switch rt := q.Get("response_type"); rt {
	case "code":
	case "":
		return ar, failRedirect(oauth.CodeInvalidRequest, "response_type is required; use code")
	default:
		return ar, failRedirect(oauth.CodeUnsupportedResponseType, "response_type %q is not supported; use code (with PKCE)", rt)
	}
	if q.Has("request") {
		return ar, failRedirect("request_not_supported", "request objects are not supported")
	}
	if q.Has("request_uri") {
		return ar, failRedirect("request_uri_not_supported", "request_uri is not supported")
	}
	if rm := q.Get("response_mode"); rm != "" && rm != "query" {
		return ar, failRedirect(oauth.CodeInvalidRequest, "response_mode %q is not supported; use query", rm)
	}
	if e := oauth.CheckChallenge(ar.challenge, q.Get("code_challenge_method")); e != nil {
		return ar, &authFailure{redirect: e}
	}
	for _, sc := range splitScope(q.Get("scope")) {
		switch {
		case !contains(supportedScopes, sc):
			return ar, failRedirect(oauth.CodeInvalidScope, "scope %q is not supported (supported: %s)", sc, strings.Join(supportedScopes, " "))
		case sc == scopeOfflineAccess && !app.AllowsGrant(grantRefreshToken):
			// The application gets no refresh token; the scope is dropped.
		default:
			ar.scope = append(ar.scope, sc)
		}
	}
	for _, p := range strings.Fields(q.Get("prompt")) {
		switch p {
		case "none":
			ar.promptNone = true
		case "login":
			ar.promptLogin = true
		case "create":
			ar.promptCreate = true
		case "consent", "select_account":
			// No consent or account choice screens: nothing to show.
		default:
			return ar, failRedirect(oauth.CodeInvalidRequest, "prompt %q is not supported", p)
		}
	}
	if ar.promptNone && (ar.promptLogin || ar.promptCreate) {
		return ar, failRedirect(oauth.CodeInvalidRequest, "prompt=none cannot be combined with other prompt values")
	}
	for _, v := range strings.Fields(q.Get("acr_values")) {
		if v == acrMFA || v == acrMFAShort {
			ar.stepUp = true
		}
	}
	if q.Has("max_age") {
		n, err := strconv.ParseInt(q.Get("max_age"), 10, 64)
		if err != nil || n < 0 {
			return ar, failRedirect(oauth.CodeInvalidRequest, "max_age must be a number of seconds")
		}
		ar.maxAge = n
	}
	return ar, nil
}

// fail answers a failed authorization request: an error page, or a
// redirect to the (checked) redirect URI with the error, state and iss.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, ar *authRequest, f *authFailure) {
	if f.page != nil {
		pages.Render(w, http.StatusBadRequest, *f.page)
		return
	}
	to, err := f.redirect.RedirectURL(ar.redirectURI, ar.state, s.issuer(ar.env))
	if err != nil {
		pages.Render(w, http.StatusBadRequest, pages.Message{Title: "This sign-in link is not valid", Text: f.redirect.Description})
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// badQuery renders the page for an unreadable or oversized request.
func badQuery(w http.ResponseWriter, e *oauth.Error) {
	pages.Render(w, http.StatusBadRequest, pages.Message{Title: "This sign-in link is not valid",
		Text: "The request is malformed: " + e.Description + "."})
}

// authRequestOf reads and checks the authorization request in r's query.
// When it is not valid, the answer (an error page, or an error sent back to
// the client) is written and ok is false.
func (s *Server) authRequestOf(w http.ResponseWriter, r *http.Request) (ar *authRequest, ok bool) {
	q, e := parseQuery(r)
	if e != nil {
		badQuery(w, e)
		return nil, false
	}
	ar, f := s.parseAuthRequest(r.Context(), envOf(r.Context()), q)
	if f != nil {
		s.fail(w, r, ar, f)
		return nil, false
	}
	return ar, true
}

// authorize serves GET /oauth2/auth.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	ar, ok := s.authRequestOf(w, r)
	if !ok {
		return
	}
	if r = s.checkPreview(w, r, ar); r == nil {
		return
	}
	sess, err := s.currentSession(ctx, r, env)
	if err != nil {
		s.log.ErrorContext(ctx, "authorize: look up session", "error", err)
		s.serverErrorPage(w)
		return
	}
	if sess != nil && !ar.promptLogin && !ar.promptCreate && ar.fresh(sess.AuthTime, s.now()) {
		s.proceed(w, r, &authState{ar: ar, userID: sess.UserID, connectionID: sess.ConnectionID,
			authTime: sess.AuthTime, amr: sess.AMR, sess: sess, acr: sess.ACR, mfaAt: sess.MFAAt})
		return
	}
	if ar.promptNone {
		s.fail(w, r, ar, failRedirect(oauth.CodeLoginRequired, "the user must sign in"))
		return
	}
	page := pathSignIn
	if ar.promptCreate {
		page = pathSignUp
	}
	http.Redirect(w, r, s.endpoint(env, page)+"?"+ar.params.Encode(), http.StatusSeeOther)
}

// eventParams is request.authUrlParams of the trigger events.
func (ar *authRequest) eventParams() eventAuthURLParams {
	return eventAuthURLParams{State: ar.state, OrgCode: ar.orgCode, ClientID: ar.app.ClientID, RedirectURI: ar.redirectURI}
}

// fresh reports whether an authentication at authTime satisfies max_age.
func (ar *authRequest) fresh(authTime, now time.Time) bool {
	return ar.maxAge < 0 || now.Sub(authTime) <= time.Duration(ar.maxAge)*time.Second
}

// currentSession returns the request's valid session in env, or nil.
func (s *Server) currentSession(ctx context.Context, r *http.Request, env string) (*authstore.Session, error) {
	token := s.cookie(r, env, sessionCookie)
	if token == "" {
		return nil, nil
	}
	sess, err := s.auth.SessionByToken(ctx, env, token, s.now())
	if errors.Is(err, authstore.ErrNotFound) {
		return nil, nil
	}
	return sess, err
}

// issueCode ends an authorization request with a code for the session's
// user in organization orgCode (membership checked by the caller), stores
// the code and sends the browser back to the client with code, state and
// iss (RFC 9207).
func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, ar *authRequest, sess *authstore.Session, orgCode string, existing bool) {
	ctx := r.Context()
	_, code, err := s.auth.CreateCode(ctx, authstore.Code{Env: ar.env, ClientID: ar.app.ClientID, RedirectURI: ar.redirectURI,
		CodeChallenge: ar.challenge, Nonce: ar.nonce, Scope: ar.scope, UserID: sess.UserID, SessionID: sess.ID,
		ConnectionID: sess.ConnectionID, OrgCode: orgCode, AuthTime: sess.AuthTime, AMR: sess.AMR,
		ExistingSession: existing, DeployID: ar.deployID, ACR: sess.ACR}, s.now(), s.cfg.CodeTTL)
	if err != nil {
		s.log.ErrorContext(ctx, "authorize: create code", "error", err)
		s.serverErrorPage(w)
		return
	}
	u, err := url.Parse(ar.redirectURI)
	if err != nil {
		s.serverErrorPage(w)
		return
	}
	q := u.Query()
	q.Set("code", code)
	if ar.state != "" {
		q.Set("state", ar.state)
	}
	q.Set("iss", s.issuer(ar.env))
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// serverErrorPage renders the page for an unexpected failure (logged by
// the caller).
func (s *Server) serverErrorPage(w http.ResponseWriter) {
	pages.Render(w, http.StatusInternalServerError, pages.Message{Title: "Something went wrong",
		Text: "Your sign-in could not be completed. Try again in a moment."})
}
