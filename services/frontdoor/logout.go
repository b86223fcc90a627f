package frontdoor

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/oauth"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// idTokenHintLeeway lets an expired ID token still name the user and
// client at sign-out (OIDC RP-Initiated Logout §2: the hint need not be
// current). Its signing key must still be published.
const idTokenHintLeeway = 7 * 24 * time.Hour

// logout serves GET and POST /oauth2/logout (OpenID Connect RP-Initiated
// Logout 1.0). post_logout_redirect_uri must exactly match one the
// application registered, and the application must be named by client_id
// or id_token_hint; otherwise nothing happens but an error page — never a
// redirect. A valid id_token_hint for the signed-in user signs out at once;
// without one the user confirms on a page first, so that a link on another
// site cannot sign anyone out.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	var (
		params url.Values
		e      *oauth.Error
	)
	if r.Method == http.MethodPost {
		params, e = parsePost(w, r)
	} else {
		params, e = parseQuery(r)
	}
	if e != nil {
		logoutError(w, "The sign-out request is malformed: "+e.Description+".")
		return
	}
	hint, clientID := params.Get("id_token_hint"), params.Get("client_id")
	redirectURI, state := params.Get("post_logout_redirect_uri"), params.Get("state")

	sess, err := s.currentSession(ctx, r, env)
	if err != nil {
		s.log.ErrorContext(ctx, "logout: look up session", "error", err)
		s.serverErrorPage(w)
		return
	}
	confirmed := false
	if hint != "" {
		tok, err := s.verifyIDTokenHint(ctx, env, hint)
		if err != nil {
			s.log.InfoContext(ctx, "logout: id_token_hint refused", "error", err)
			logoutError(w, "The sign-out request carries an ID token that was not issued here (id_token_hint).")
			return
		}
		switch {
		case clientID == "" && len(tok.Audience) > 0:
			clientID = tok.Audience[0]
		case clientID != "" && !slices.Contains(tok.Audience, clientID):
			logoutError(w, "The sign-out request names one application in client_id and another in id_token_hint.")
			return
		}
		// The hint proves the request comes from the application the user
		// signed in to, for this user.
		confirmed = sess == nil || sess.UserID == tok.Subject
	}
	var app *identity.Application
	if clientID != "" {
		app, err = s.ids.GetApplication(ctx, env, clientID)
		if errors.Is(err, identity.ErrNotFound) {
			logoutError(w, "The application named in the sign-out request is not registered here.")
			return
		}
		if err != nil {
			s.log.ErrorContext(ctx, "logout: look up client", "error", err)
			s.serverErrorPage(w)
			return
		}
	}
	if redirectURI != "" {
		if app == nil {
			logoutError(w, "The sign-out request asks to return to an address but does not say which application it is for (client_id or id_token_hint).")
			return
		}
		if !app.AllowsPostLogoutRedirectURI(redirectURI) {
			logoutError(w, "The address to return to after signing out (post_logout_redirect_uri) is not registered for "+app.Name+".")
			return
		}
	}
	if r.Method == http.MethodPost && params.Has(csrfField) {
		if !s.checkCSRF(r, env, params) {
			pages.Render(w, http.StatusForbidden, pages.Message{Title: "Your sign-out form expired",
				Text: "The form was not sent from this page, or it is too old. Go back and try again."})
			return
		}
		confirmed = true
	}
	if !confirmed && sess != nil {
		csrf, err := s.csrfToken(w, r, env)
		if err != nil {
			s.serverErrorPage(w)
			return
		}
		fields := map[string]string{}
		for _, k := range []string{"client_id", "post_logout_redirect_uri", "state"} {
			if v := params.Get(k); v != "" {
				fields[k] = v
			}
		}
		if clientID != "" {
			fields["client_id"] = clientID
		}
		page := pages.SignOut{Action: s.endpoint(env, pathLogout), CSRF: csrf, Fields: fields}
		if app != nil {
			page.AppName = app.Name
		}
		pages.Render(w, http.StatusOK, page)
		return
	}

	if token := s.cookie(r, env, sessionCookie); token != "" {
		if _, err := s.auth.DeleteSession(ctx, env, token); err != nil {
			s.log.ErrorContext(ctx, "logout: end session", "error", err)
			s.serverErrorPage(w)
			return
		}
		s.setCookie(w, env, sessionCookie, "", time.Unix(1, 0))
	}
	// A sign-in waiting for a step (an organization choice) ends too: no
	// one may finish it in this browser after the sign-out.
	s.endFlow(w, r, env)
	if sess != nil {
		s.log.InfoContext(ctx, "signed out", "env", env, "user_id", sess.UserID, "session_id", sess.ID, "client_id", clientID)
	}
	if redirectURI != "" {
		u, err := url.Parse(redirectURI)
		if err == nil {
			if state != "" {
				q := u.Query()
				q.Set("state", state)
				u.RawQuery = q.Encode()
			}
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
			return
		}
	}
	pages.Render(w, http.StatusOK, pages.Message{Title: "Signed out", Text: "You are signed out."})
}

func logoutError(w http.ResponseWriter, text string) {
	pages.Render(w, http.StatusBadRequest, pages.Message{Title: "Sign-out request not valid",
		Text: text + " You were not signed out."})
}

// verifyIDTokenHint checks that hint is an ID token this issuer signed for
// env, tolerating its expiry.
func (s *Server) verifyIDTokenHint(ctx context.Context, env, hint string) (*tapi.Token, error) {
	body, err := s.jwks.get(ctx, env)
	if err != nil {
		return nil, err
	}
	var set tapi.JWKS
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, err
	}
	return tapi.Verify(set, hint, tapi.VerifyOptions{Issuer: s.issuer(env), Type: tapi.TypeIDToken,
		Now: s.now(), Leeway: idTokenHintLeeway})
}
