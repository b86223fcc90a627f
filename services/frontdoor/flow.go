package frontdoor

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/oauth"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
)

// flowTTL is how long an authentication may wait for the user's next step
// (choosing an organization).
const flowTTL = 15 * time.Minute

// authState is an authentication on its way to an authorization code: who
// the user is and how they proved it, and the steps already taken.
type authState struct {
	ar           *authRequest
	userID       string
	connectionID string
	authTime     time.Time
	amr          []string
	newUser      bool
	// sess is set when the request continues an existing session; a new
	// sign-in gets its session once every step is done.
	sess *authstore.Session
	// orgCode is the organization signed in to; orgResolved says it is
	// known (possibly none).
	orgCode     string
	orgResolved bool
	// fromFlow says the state was resumed from a flow, which was taken
	// (deleted) and its cookie cleared.
	fromFlow bool
	// acr and mfaAt are the assurance reached and when MFA was completed
	// (from the session, or the MFA step of this flow); mfaDone says the
	// MFA step is behind (passed, not needed, or skipped). mfaUpdated is
	// set when MFA was completed in this flow for an existing session.
	acr        string
	mfaAt      *time.Time
	mfaDone    bool
	mfaUpdated bool
	// mfa is the MFA step's state while the flow waits at StageMFA.
	mfa mfaState
}

// proceed takes the authentication through its remaining steps:
// organization resolution, user:pre_mfa (for a new sign-in), the session
// and the code. A step that needs the user stores the state as a flow and
// sends the browser to its page; the page resumes here.
func (s *Server) proceed(w http.ResponseWriter, r *http.Request, st *authState) {
	ar := st.ar
	// Every entry point checked the preview grant of ar.deployID.
	r = r.WithContext(withPreview(r.Context(), ar.deployID))
	ctx := r.Context()
	if !st.orgResolved {
		if !s.resolveOrganization(w, r, st) {
			return
		}
	}
	if !st.mfaDone {
		if !s.mfaGate(w, r, st) {
			return
		}
	}
	if st.sess == nil {
		if old := s.cookie(r, ar.env, sessionCookie); old != "" {
			if _, err := s.auth.DeleteSession(ctx, ar.env, old); err != nil {
				s.log.WarnContext(ctx, "sign-in: end previous session", "error", err)
			}
		}
		now := s.now()
		sess, token, err := s.auth.CreateSession(ctx, authstore.Session{Env: ar.env, UserID: st.userID,
			ConnectionID: st.connectionID, AuthTime: st.authTime, AMR: st.amr, ACR: st.acr, MFAAt: st.mfaAt}, now, s.cfg.SessionTTL)
		if err != nil {
			s.log.ErrorContext(ctx, "sign-in: create session", "error", err)
			s.serverErrorPage(w)
			return
		}
		s.setCookie(w, ar.env, sessionCookie, token, sess.ExpiresAt)
		s.log.InfoContext(ctx, "signed in", "env", ar.env, "user_id", st.userID, "client_id", ar.app.ClientID,
			"session_id", sess.ID, "new_user", st.newUser, "org_code", st.orgCode)
		s.endPendingFlow(w, r, st)
		s.issueCode(w, r, ar, sess, st.orgCode, false)
		return
	}
	if st.mfaUpdated {
		// MFA raised the session: it gets a new cookie secret.
		sess, token, err := s.auth.UpdateSessionMFA(ctx, ar.env, st.sess.ID, st.amr, st.acr, *st.mfaAt)
		if err != nil {
			s.log.ErrorContext(ctx, "sign-in: record MFA in the session", "error", err)
			s.serverErrorPage(w)
			return
		}
		s.setCookie(w, ar.env, sessionCookie, token, sess.ExpiresAt)
		st.sess = sess
	}
	s.endPendingFlow(w, r, st)
	s.issueCode(w, r, ar, st.sess, st.orgCode, true)
}

// endPendingFlow ends the flow a browser left waiting (an abandoned
// organization choice, perhaps of another user) when it completes another
// authorization request: the flow must not be resumable afterwards by
// whoever uses the browser next.
func (s *Server) endPendingFlow(w http.ResponseWriter, r *http.Request, st *authState) {
	if !st.fromFlow {
		s.endFlow(w, r, st.ar.env)
	}
}

// endFlow deletes the flow of the request's cookie in env, if any, and
// clears the cookie.
func (s *Server) endFlow(w http.ResponseWriter, r *http.Request, env string) {
	token := s.cookie(r, env, flowCookie)
	if token == "" {
		return
	}
	if _, err := s.auth.DeleteFlow(r.Context(), env, token); err != nil {
		s.log.WarnContext(r.Context(), "end authentication flow", "env", env, "error", err)
	}
	s.setCookie(w, env, flowCookie, "", s.now().Add(-time.Hour))
}

// resolveOrganization decides the organization of the sign-in: the one
// the request names (the user must be a member), else the user's only
// one, else — for a member of several — the one they choose on the
// organization page. It reports whether the flow goes on now.
func (s *Server) resolveOrganization(w http.ResponseWriter, r *http.Request, st *authState) bool {
	ctx := r.Context()
	ar := st.ar
	if ar.orgCode != "" {
		_, err := s.ids.GetMembership(ctx, ar.env, ar.orgCode, st.userID)
		if errors.Is(err, identity.ErrNotFound) {
			s.fail(w, r, ar, failRedirect(oauth.CodeAccessDenied, "the user is not a member of the requested organization"))
			return false
		}
		if err != nil {
			s.log.ErrorContext(ctx, "authorize: check membership", "error", err)
			s.serverErrorPage(w)
			return false
		}
		st.orgCode, st.orgResolved = ar.orgCode, true
		return true
	}
	orgs, err := s.ids.ListUserOrganizations(ctx, ar.env, st.userID)
	if err != nil {
		s.log.ErrorContext(ctx, "authorize: list organizations", "error", err)
		s.serverErrorPage(w)
		return false
	}
	switch {
	case len(orgs) == 1:
		st.orgCode = orgs[0].Code
	case len(orgs) > 1 && !ar.promptNone:
		s.pause(w, r, st, authstore.StageOrganization, pathChooseOrganization)
		return false
	}
	// No organization: the user belongs to none, or to several and the
	// request allows no page (prompt=none).
	st.orgResolved = true
	return true
}

// pause stores st as a flow waiting at stage and sends the browser to the
// page at path.
func (s *Server) pause(w http.ResponseWriter, r *http.Request, st *authState, stage, path string) {
	ctx := r.Context()
	// A browser has one flow at a time: the one its cookie named before
	// is replaced.
	if old := s.cookie(r, st.ar.env, flowCookie); old != "" {
		if _, err := s.auth.DeleteFlow(ctx, st.ar.env, old); err != nil {
			s.log.WarnContext(ctx, "sign-in: end previous flow", "env", st.ar.env, "error", err)
		}
	}
	mfa, err := json.Marshal(st.mfa)
	if err != nil {
		s.serverErrorPage(w)
		return
	}
	f := authstore.Flow{Env: st.ar.env, UserID: st.userID, ConnectionID: st.connectionID, Params: st.ar.params.Encode(),
		AuthTime: st.authTime, AMR: st.amr, NewUser: st.newUser, OrgCode: st.orgCode, Stage: stage, MFA: mfa}
	if st.sess != nil {
		f.SessionID = st.sess.ID
	}
	now := s.now()
	token, err := s.auth.CreateFlow(ctx, f, now, flowTTL)
	if err != nil {
		s.log.ErrorContext(ctx, "sign-in: save flow", "error", err)
		s.serverErrorPage(w)
		return
	}
	s.setCookie(w, st.ar.env, flowCookie, token, now.Add(flowTTL))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.endpoint(st.ar.env, path), http.StatusSeeOther)
}

// resume loads the flow of the request's cookie, waiting at stage, with
// its authorization request checked again. take removes it (the step is
// being completed). When there is none, or it cannot go on, the page is
// written and ok is false.
func (s *Server) resume(w http.ResponseWriter, r *http.Request, stage string, take bool) (st *authState, ok bool) {
	ctx := r.Context()
	env := envOf(ctx)
	token := s.cookie(r, env, flowCookie)
	var f *authstore.Flow
	var err error
	if take {
		f, err = s.auth.TakeFlow(ctx, env, token, stage, s.now())
	} else {
		f, err = s.auth.FlowByToken(ctx, env, token, stage, s.now())
	}
	if errors.Is(err, authstore.ErrNotFound) {
		pages.Render(w, http.StatusBadRequest, pages.Message{Title: "Your sign-in expired",
			Text: "This step of signing in is no longer open: it was completed or it expired. Go back to the application and sign in again."})
		return nil, false
	}
	if err != nil {
		s.log.ErrorContext(ctx, "sign-in: load flow", "error", err)
		s.serverErrorPage(w)
		return nil, false
	}
	q, err := url.ParseQuery(f.Params)
	if err != nil {
		s.serverErrorPage(w)
		return nil, false
	}
	ar, fl := s.parseAuthRequest(ctx, env, q)
	if fl != nil {
		s.fail(w, r, ar, fl)
		return nil, false
	}
	if s.checkPreview(w, r, ar) == nil {
		return nil, false
	}
	st = &authState{ar: ar, userID: f.UserID, connectionID: f.ConnectionID, authTime: f.AuthTime, amr: f.AMR,
		newUser: f.NewUser, orgCode: f.OrgCode, fromFlow: take, orgResolved: f.Stage != authstore.StageOrganization}
	if err := json.Unmarshal(f.MFA, &st.mfa); err != nil {
		s.log.ErrorContext(ctx, "sign-in: read the MFA step", "error", err)
		s.serverErrorPage(w)
		return nil, false
	}
	if f.SessionID != "" {
		sess, err := s.currentSession(ctx, r, env)
		if err != nil {
			s.log.ErrorContext(ctx, "sign-in: look up session", "error", err)
			s.serverErrorPage(w)
			return nil, false
		}
		if sess == nil || sess.ID != f.SessionID {
			pages.Render(w, http.StatusBadRequest, pages.Message{Title: "You were signed out",
				Text: "Your session ended while signing in. Go back to the application and sign in again."})
			return nil, false
		}
		st.sess = sess
		if !st.mfaDone {
			st.acr, st.mfaAt = sess.ACR, sess.MFAAt
		}
	}
	return st, true
}
