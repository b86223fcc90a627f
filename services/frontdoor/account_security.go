package frontdoor

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// pathAccountSecurity is the self-serve page of the signed-in user's
// second factors.
const pathAccountSecurity = "/account/security"

// freshAuthWindow is how recent the session's authentication must be to
// change MFA settings (ASVS 5.0 V6.3, V7.5: re-authenticate before
// changing authentication factors).
const freshAuthWindow = 10 * time.Minute

// securitySession returns the request's session, or renders the page
// that asks the user to sign in.
func (s *Server) securitySession(w http.ResponseWriter, r *http.Request, env string) (*authstore.Session, bool) {
	sess, err := s.currentSession(r.Context(), r, env)
	if err != nil {
		s.log.ErrorContext(r.Context(), "account security: look up session", "env", env, "error", err)
		s.serverErrorPage(w)
		return nil, false
	}
	if sess == nil {
		pages.Render(w, http.StatusForbidden, pages.Message{Title: "Sign in to manage your security settings",
			Text: "You need to be signed in to see or change your second factors. Sign in to your application, then come back to this page."})
		return nil, false
	}
	return sess, true
}

// securityView reads what the security page shows.
func (s *Server) securityView(ctx context.Context, env string, sess *authstore.Session, csrf string) (pages.AccountSecurity, error) {
	p := pages.AccountSecurity{Action: s.endpoint(env, pathAccountSecurity), CSRF: csrf,
		NeedsReauth: s.now().Sub(sess.AuthTime) > freshAuthWindow}
	user, err := s.ids.GetUser(ctx, env, sess.UserID)
	if err != nil {
		return p, err
	}
	p.Email = user.Email
	fs, err := natsrpc.Call[mapi.UserRequest, mapi.FactorsResponse](ctx, s.nc, mapi.SubjectFactors,
		mapi.UserRequest{Env: env, UserID: sess.UserID})
	if err != nil {
		return p, err
	}
	for _, f := range fs.Factors {
		switch {
		case f.Type == mapi.FactorBackupCode:
			p.BackupRemaining = f.Remaining
		case f.Verified:
			p.Factors = append(p.Factors, pages.MFAFactor{ID: f.ID, Type: string(f.Type), Label: factorLabel(f)})
		}
	}
	return p, nil
}

// accountSecurityPage serves GET /account/security.
func (s *Server) accountSecurityPage(w http.ResponseWriter, r *http.Request) {
	ctx, env := r.Context(), envOf(r.Context())
	sess, ok := s.securitySession(w, r, env)
	if !ok {
		return
	}
	csrf, err := s.csrfToken(w, r, env)
	if err != nil {
		s.serverErrorPage(w)
		return
	}
	p, err := s.securityView(ctx, env, sess, csrf)
	if err != nil {
		s.log.ErrorContext(ctx, "account security page", "env", env, "user_id", sess.UserID, "error", err)
		s.serverErrorPage(w)
		return
	}
	pages.Render(w, http.StatusOK, p)
}

// accountSecurity serves POST /account/security: reauth (the password,
// which refreshes the session's authentication), and — with a recent
// authentication only — remove a factor, make new backup codes, add an
// authenticator app and confirm it with its first code.
func (s *Server) accountSecurity(w http.ResponseWriter, r *http.Request) {
	ctx, env := r.Context(), envOf(r.Context())
	form, e := parsePost(w, r)
	if e != nil {
		badQuery(w, e)
		return
	}
	if !s.checkCSRF(r, env, form) {
		pages.Render(w, http.StatusForbidden, pages.Message{Title: "Your form expired",
			Text: "The form was not sent from your security page, or it is too old. Nothing was changed. Go back, reload the page and try again.",
			Link: s.endpoint(env, pathAccountSecurity), LinkText: "Back to your security settings"})
		return
	}
	sess, ok := s.securitySession(w, r, env)
	if !ok {
		return
	}
	p, err := s.securityView(ctx, env, sess, form.Get(csrfField))
	if err != nil {
		s.log.ErrorContext(ctx, "account security page", "env", env, "user_id", sess.UserID, "error", err)
		s.serverErrorPage(w)
		return
	}
	action := form.Get("action")
	if action == "reauth" {
		s.reauthenticate(w, r, sess, p, form.Get(fieldPassword))
		return
	}
	if p.NeedsReauth {
		p.Error = "Confirm your password first: changing second factors needs a recent sign-in."
		pages.Render(w, http.StatusForbidden, p)
		return
	}
	user := mapi.UserRequest{Env: env, UserID: sess.UserID}
	log := s.log.With("env", env, "user_id", sess.UserID, "session_id", sess.ID)
	switch action {
	case "remove":
		id := form.Get("factor_id")
		_, err := natsrpc.Call[mapi.FactorRequest, mapi.Empty](ctx, s.nc, mapi.SubjectDeleteFactor,
			mapi.FactorRequest{Env: env, UserID: sess.UserID, FactorID: id})
		if natsrpc.CodeOf(err) == natsrpc.CodeNotFound {
			p.Error = "That factor is not one of yours."
			pages.Render(w, http.StatusBadRequest, p)
			return
		}
		if err != nil {
			s.securityError(w, r, p, err)
			return
		}
		log.InfoContext(ctx, "second factor removed by the user", "factor_id", id)
		s.redirectSecurity(w, r, env)
	case "backup_codes":
		codes, err := natsrpc.Call[mapi.UserRequest, mapi.BackupCodesResponse](ctx, s.nc, mapi.SubjectGenerateBackupCodes, user)
		if err != nil {
			s.securityError(w, r, p, err)
			return
		}
		log.InfoContext(ctx, "backup codes regenerated by the user")
		p.BackupCodes, p.BackupRemaining = codes.Codes, len(codes.Codes)
		pages.Render(w, http.StatusOK, p)
	case "add_totp":
		u, err := s.ids.GetUser(ctx, env, sess.UserID)
		if err != nil {
			s.securityError(w, r, p, err)
			return
		}
		res, err := natsrpc.Call[mapi.EnrollRequest, mapi.EnrollResponse](ctx, s.nc, mapi.SubjectEnroll,
			mapi.EnrollRequest{Env: env, UserID: sess.UserID, Type: mapi.FactorTOTP,
				Issuer: s.totpIssuer(&authRequest{env: env}), User: u.Email})
		if err != nil || res.TOTP == nil {
			s.securityError(w, r, p, err)
			return
		}
		p.TOTP, p.EnrollFactorID = pages.NewTOTPSetup(res.TOTP.QRCode, res.TOTP.Secret), res.Factor.ID
		pages.Render(w, http.StatusOK, p)
	case "confirm_totp":
		id, code := form.Get("factor_id"), strings.TrimSpace(form.Get("code"))
		p.EnrollFactorID = id
		c, err := natsrpc.Call[mapi.ChallengeRequest, mapi.Challenge](ctx, s.nc, mapi.SubjectChallenge,
			mapi.ChallengeRequest{Env: env, UserID: sess.UserID, FactorID: id})
		if err != nil {
			s.securityError(w, r, p, err)
			return
		}
		res, err := natsrpc.Call[mapi.VerifyRequest, mapi.VerifyResponse](ctx, s.nc, mapi.SubjectVerify,
			mapi.VerifyRequest{Env: env, UserID: sess.UserID, ChallengeID: c.ID, Code: code})
		if err != nil {
			if msg, known := mfaReasonMessage(err); known {
				p.CodeError = msg
				pages.Render(w, http.StatusBadRequest, p)
				return
			}
			s.securityError(w, r, p, err)
			return
		}
		if !res.Valid {
			p.CodeError = "That code is not right."
			pages.Render(w, http.StatusUnauthorized, p)
			return
		}
		log.InfoContext(ctx, "authenticator app added by the user", "factor_id", id)
		s.redirectSecurity(w, r, env)
	default:
		p.Error = "That action is not available."
		pages.Render(w, http.StatusBadRequest, p)
	}
}

// reauthenticate checks the user's password again (counted by the sign-in
// limiters) and refreshes the session's authentication time.
func (s *Server) reauthenticate(w http.ResponseWriter, r *http.Request, sess *authstore.Session, p pages.AccountSecurity, password string) {
	ctx, env := r.Context(), sess.Env
	if password == "" {
		p.ReauthError = msgEnterPassword
		pages.Render(w, http.StatusBadRequest, p)
		return
	}
	accountKey := "account:" + env + ":" + limiterEmail(p.Email)
	res, allowed, retryAfter, err := s.auth.ReserveAttempts(ctx, s.now(),
		authstore.Limit{Key: accountKey, Max: s.cfg.AccountLimit.Max, Window: s.cfg.AccountLimit.Window},
		authstore.Limit{Key: "ip:" + clientIP(r), Max: s.cfg.IPLimit.Max, Window: s.cfg.IPLimit.Window})
	if err != nil {
		s.serverErrorPage(w)
		return
	}
	if !allowed {
		s.tooManyAttempts(w, retryAfter)
		return
	}
	user, err := s.ids.VerifyPassword(ctx, env, p.Email, password)
	if errors.Is(err, identity.ErrInvalidCredentials) || (err == nil && user.ID != sess.UserID) {
		p.ReauthError = "That password is not right."
		pages.Render(w, http.StatusUnauthorized, p)
		return
	}
	if err != nil {
		s.log.ErrorContext(ctx, "account security: verify password", "error", err)
		s.serverErrorPage(w)
		return
	}
	_ = s.auth.Release(ctx, res)
	if _, err := s.auth.ReauthenticateSession(ctx, env, sess.ID, s.now()); err != nil {
		s.log.ErrorContext(ctx, "account security: refresh session", "error", err)
		s.serverErrorPage(w)
		return
	}
	s.log.InfoContext(ctx, "user re-authenticated for security settings", "env", env, "user_id", sess.UserID, "session_id", sess.ID)
	s.redirectSecurity(w, r, env)
}

// securityError renders the page with an MFA service error's message.
func (s *Server) securityError(w http.ResponseWriter, r *http.Request, p pages.AccountSecurity, err error) {
	if msg, known := mfaReasonMessage(err); known {
		p.Error = msg
		pages.Render(w, http.StatusConflict, p)
		return
	}
	s.log.ErrorContext(r.Context(), "account security", "error", err)
	pages.Render(w, http.StatusServiceUnavailable, pages.Message{Title: "Your security settings are unavailable",
		Text: "They could not be changed right now. Try again in a moment."})
}

// redirectSecurity sends the browser back to the page after a change.
func (s *Server) redirectSecurity(w http.ResponseWriter, r *http.Request, env string) {
	http.Redirect(w, r, s.endpoint(env, pathAccountSecurity), http.StatusSeeOther)
}
