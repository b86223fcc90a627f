package frontdoor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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

// Purposes of the page tokens of the security page.
const (
	purposeTOTPEnrollment  = "account-security/totp-enrollment"
	purposeReauthChallenge = "account-security/reauth-challenge"
)

// securityState is what the security page knows of the signed-in user.
type securityState struct {
	sess *authstore.Session
	// secret is the session's cookie value: the key of the page tokens.
	secret string
	page   pages.AccountSecurity
	// factors are every factor of the user, verified or not, backup codes
	// included.
	factors []mapi.Factor
}

// factor returns the user's factor id.
func (st *securityState) factor(id string) (mapi.Factor, bool) {
	for _, f := range st.factors {
		if f.ID == id {
			return f, true
		}
	}
	return mapi.Factor{}, false
}

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

// securityView reads what the security page shows, and decides what the
// session may do. Changing second factors needs a full re-authentication
// of the last freshAuthWindow (ASVS 5.0 V7.5.1): the password, and — when
// the user has a second factor — one of their factors too. A password
// alone must not be enough to replace the factor that protects the
// account from someone who knows the password.
func (s *Server) securityView(ctx context.Context, r *http.Request, env string, sess *authstore.Session, csrf string) (*securityState, error) {
	now := s.now()
	st := &securityState{sess: sess, secret: s.cookie(r, env, sessionCookie)}
	p := &st.page
	p.Action, p.CSRF = s.endpoint(env, pathAccountSecurity), csrf
	user, err := s.ids.GetUser(ctx, env, sess.UserID)
	if err != nil {
		return nil, err
	}
	p.Email = user.Email
	fs, err := natsrpc.Call[mapi.UserRequest, mapi.FactorsResponse](ctx, s.nc, mapi.SubjectFactors,
		mapi.UserRequest{Env: env, UserID: sess.UserID})
	if err != nil {
		return nil, err
	}
	st.factors = fs.Factors
	for _, f := range fs.Factors {
		switch {
		case f.Type == mapi.FactorBackupCode:
			p.BackupRemaining = f.Remaining
		case f.Verified:
			p.Factors = append(p.Factors, pages.MFAFactor{ID: f.ID, Type: string(f.Type), Label: factorLabel(f)})
		}
	}
	passwordFresh := now.Sub(sess.AuthTime) <= freshAuthWindow
	hasMFA := len(p.Factors) > 0 || p.BackupRemaining > 0
	mfaFresh := sess.MFAAt != nil && now.Sub(*sess.MFAAt) <= freshAuthWindow
	p.NeedsReauth = !passwordFresh
	p.NeedsMFA = passwordFresh && hasMFA && !mfaFresh
	p.CanChange = passwordFresh && (!hasMFA || mfaFresh)
	return st, nil
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
	st, err := s.securityView(ctx, r, env, sess, csrf)
	if err != nil {
		s.securityError(w, r, nil, fmt.Errorf("read the security page of user %s in %s: %w", sess.UserID, env, err))
		return
	}
	pages.Render(w, http.StatusOK, st.page)
}

// accountSecurity serves POST /account/security. Re-authentication first:
// reauth (the password), then reauth_code, reauth_send or reauth_backup (a
// second factor, when the user has one); each refreshes the session and
// replaces its cookie secret. Then — with a full re-authentication of the
// last freshAuthWindow only — remove a factor, make new backup codes, add
// an authenticator app and confirm it with its first code.
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
	st, err := s.securityView(ctx, r, env, sess, form.Get(csrfField))
	if err != nil {
		s.securityError(w, r, nil, fmt.Errorf("read the security page of user %s in %s: %w", sess.UserID, env, err))
		return
	}
	p := &st.page
	action := form.Get("action")
	switch action {
	case "reauth":
		s.reauthenticate(w, r, st, form.Get(fieldPassword))
		return
	case "reauth_code", "reauth_send", "reauth_backup":
		if p.NeedsReauth {
			p.Error = "Confirm your password first."
			pages.Render(w, http.StatusForbidden, *p)
			return
		}
		s.reauthenticateMFA(w, r, st, action, form)
		return
	}
	switch {
	case p.NeedsReauth:
		p.Error = "Confirm your password first: changing second factors needs a recent sign-in."
		pages.Render(w, http.StatusForbidden, *p)
		return
	case !p.CanChange:
		p.Error = "Verify one of your second factors first: changing them needs a recent proof of one."
		pages.Render(w, http.StatusForbidden, *p)
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
			pages.Render(w, http.StatusBadRequest, *p)
			return
		}
		if err != nil {
			s.securityError(w, r, p, err)
			return
		}
		log.InfoContext(ctx, "second factor removed by the user", "factor_id", id)
		s.notifyChange(ctx, env, sess.UserID, changeFactorRemoved)
		s.redirectSecurity(w, r, env)
	case "backup_codes":
		codes, err := natsrpc.Call[mapi.UserRequest, mapi.BackupCodesResponse](ctx, s.nc, mapi.SubjectGenerateBackupCodes, user)
		if err != nil {
			s.securityError(w, r, p, err)
			return
		}
		log.InfoContext(ctx, "backup codes regenerated by the user")
		s.notifyChange(ctx, env, sess.UserID, changeBackupCodes)
		p.BackupCodes, p.BackupRemaining = codes.Codes, len(codes.Codes)
		pages.Render(w, http.StatusOK, *p)
	case "add_totp":
		res, err := natsrpc.Call[mapi.EnrollRequest, mapi.EnrollResponse](ctx, s.nc, mapi.SubjectEnroll,
			mapi.EnrollRequest{Env: env, UserID: sess.UserID, Type: mapi.FactorTOTP,
				Issuer: s.totpIssuer(&authRequest{env: env}), User: p.Email})
		if err == nil && res.TOTP == nil {
			err = errors.New("the MFA service enrolled an authenticator app without its secret")
		}
		if err != nil {
			s.securityError(w, r, p, err)
			return
		}
		p.TOTP, p.EnrollFactorID = pages.NewTOTPSetup(res.TOTP.QRCode, res.TOTP.Secret), res.Factor.ID
		p.EnrollToken = pageToken(st.secret, purposeTOTPEnrollment, s.now().Add(freshAuthWindow), sess.ID, res.Factor.ID)
		pages.Render(w, http.StatusOK, *p)
	case "confirm_totp":
		s.confirmTOTP(w, r, st, form.Get("factor_id"), form.Get("enroll_token"), strings.TrimSpace(form.Get("code")))
	default:
		p.Error = "That action is not available."
		pages.Render(w, http.StatusBadRequest, *p)
	}
}

// confirmTOTP verifies the first code of the authenticator app id that
// add_totp set up on this page, in this session (its page token says so):
// a factor made anywhere else — in a sign-in, or an SMS factor — cannot be
// confirmed here. The code proves the new factor, so the session records
// MFA.
func (s *Server) confirmTOTP(w http.ResponseWriter, r *http.Request, st *securityState, id, token, code string) {
	ctx, env, p := r.Context(), st.sess.Env, &st.page
	f, found := st.factor(id)
	if !found || f.Type != mapi.FactorTOTP || f.Verified || !checkPageToken(token, st.secret, purposeTOTPEnrollment, s.now(), st.sess.ID, id) {
		s.log.WarnContext(ctx, "account security: confirm refused for a factor not being set up on this page",
			"env", env, "user_id", st.sess.UserID, "factor_id", id)
		p.Error = "That authenticator app is not being set up here. Add it again."
		pages.Render(w, http.StatusBadRequest, *p)
		return
	}
	p.EnrollFactorID, p.EnrollToken = id, token
	if !validOTP(code) {
		p.CodeError = "Enter the 6-digit code."
		pages.Render(w, http.StatusBadRequest, *p)
		return
	}
	res, ok := s.verifyFactorCode(w, r, st, f, "", code)
	if !ok {
		return
	}
	s.log.InfoContext(ctx, "authenticator app added by the user", "env", env, "user_id", st.sess.UserID, "factor_id", id)
	s.notifyChange(ctx, env, st.sess.UserID, fmt.Sprintf(changeFactorAdded, "an authenticator app"))
	s.recordSecurityMFA(w, r, st, res.Method)
}

// reauthenticate checks the user's password again (counted by the sign-in
// limiters) and refreshes the session's authentication time.
func (s *Server) reauthenticate(w http.ResponseWriter, r *http.Request, st *securityState, password string) {
	ctx, sess, p := r.Context(), st.sess, &st.page
	env := sess.Env
	if password == "" {
		p.ReauthError = msgEnterPassword
		pages.Render(w, http.StatusBadRequest, *p)
		return
	}
	accountKey := "account:" + env + ":" + limiterEmail(p.Email)
	res, allowed, retryAfter, err := s.auth.ReserveAttempts(ctx, s.now(),
		authstore.Limit{Key: accountKey, Max: s.cfg.AccountLimit.Max, Window: s.cfg.AccountLimit.Window},
		authstore.Limit{Key: "ip:" + clientIP(r), Max: s.cfg.IPLimit.Max, Window: s.cfg.IPLimit.Window})
	if err != nil {
		s.log.ErrorContext(ctx, "account security: count the attempt", "error", err)
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
		pages.Render(w, http.StatusUnauthorized, *p)
		return
	}
	if err != nil {
		s.log.ErrorContext(ctx, "account security: verify password", "error", err)
		s.serverErrorPage(w)
		return
	}
	_ = s.auth.Release(ctx, res)
	updated, token, err := s.auth.ReauthenticateSession(ctx, env, sess.ID, s.now())
	if err != nil {
		s.log.ErrorContext(ctx, "account security: refresh session", "error", err)
		s.serverErrorPage(w)
		return
	}
	s.setCookie(w, env, sessionCookie, token, updated.ExpiresAt)
	s.log.InfoContext(ctx, "user re-authenticated for security settings", "env", env, "user_id", sess.UserID, "session_id", sess.ID)
	s.redirectSecurity(w, r, env)
}

// reauthenticateMFA proves one of the user's verified factors for the
// security page: reauth_code (an authenticator app's code, or the code of
// a challenge reauth_send made on this page), reauth_send (send a code to
// an SMS or email factor) or reauth_backup (a backup code).
func (s *Server) reauthenticateMFA(w http.ResponseWriter, r *http.Request, st *securityState, action string, form url.Values) {
	ctx, sess, p := r.Context(), st.sess, &st.page
	env := sess.Env
	if action == "reauth_backup" {
		code := strings.TrimSpace(form.Get("backup_code"))
		if code == "" || p.BackupRemaining == 0 {
			p.MFAError = "Enter one of your backup codes."
			pages.Render(w, http.StatusBadRequest, *p)
			return
		}
		res, err := natsrpc.Call[mapi.BackupCodeRequest, mapi.VerifyResponse](ctx, s.nc, mapi.SubjectVerifyBackupCode,
			mapi.BackupCodeRequest{Env: env, UserID: sess.UserID, Code: code})
		if err != nil {
			s.securityMFAError(w, r, p, err)
			return
		}
		if !res.Valid {
			p.MFAError = "That backup code is not right, or was already used."
			pages.Render(w, http.StatusUnauthorized, *p)
			return
		}
		s.recordSecurityMFA(w, r, st, res.Method)
		return
	}
	f, found := st.factor(form.Get("factor_id"))
	if !found || !f.Verified || f.Type == mapi.FactorBackupCode {
		p.MFAError = "Choose one of your second factors."
		pages.Render(w, http.StatusBadRequest, *p)
		return
	}
	if action == "reauth_send" {
		if f.Type == mapi.FactorTOTP {
			p.MFAError = "Enter the code your authenticator app shows."
			pages.Render(w, http.StatusBadRequest, *p)
			return
		}
		c, err := natsrpc.Call[mapi.ChallengeRequest, mapi.Challenge](ctx, s.nc, mapi.SubjectChallenge,
			mapi.ChallengeRequest{Env: env, UserID: sess.UserID, FactorID: f.ID})
		if err != nil {
			s.securityMFAError(w, r, p, err)
			return
		}
		p.Challenge = s.reauthChallenge(st, f, c.ID)
		p.Notice = "We sent a 6-digit code. It works for 10 minutes."
		pages.Render(w, http.StatusOK, *p)
		return
	}
	code := strings.TrimSpace(form.Get("code"))
	challengeID := ""
	if f.Type != mapi.FactorTOTP {
		challengeID = form.Get("challenge_id")
		if !checkPageToken(form.Get("challenge_token"), st.secret, purposeReauthChallenge, s.now(), sess.ID, f.ID, challengeID) {
			p.MFAError = "Ask for a new code."
			pages.Render(w, http.StatusBadRequest, *p)
			return
		}
		p.Challenge = &pages.MFAChallenge{FactorID: f.ID, Label: factorLabel(f), ChallengeID: challengeID, Token: form.Get("challenge_token")}
	}
	if !validOTP(code) {
		p.MFAError = "Enter the 6-digit code."
		pages.Render(w, http.StatusBadRequest, *p)
		return
	}
	res, ok := s.verifyFactorCode(w, r, st, f, challengeID, code)
	if !ok {
		return
	}
	s.recordSecurityMFA(w, r, st, res.Method)
}

// reauthChallenge is the code form of a challenge c of factor f sent from
// this page, bound to the session by its page token.
func (s *Server) reauthChallenge(st *securityState, f mapi.Factor, challengeID string) *pages.MFAChallenge {
	return &pages.MFAChallenge{FactorID: f.ID, Label: factorLabel(f), ChallengeID: challengeID,
		Token: pageToken(st.secret, purposeReauthChallenge, s.now().Add(mapi.ChallengeTTL), st.sess.ID, f.ID, challengeID)}
}

// verifyFactorCode checks code against challengeID of factor f, or — for
// an authenticator app, challengeID "" — against a new challenge. A wrong
// code or an error is rendered (on the confirm form when the factor is
// being set up, else on the re-authentication forms) and ok is false.
func (s *Server) verifyFactorCode(w http.ResponseWriter, r *http.Request, st *securityState, f mapi.Factor, challengeID, code string) (mapi.VerifyResponse, bool) {
	ctx, sess, p := r.Context(), st.sess, &st.page
	show := func(status int, msg string) {
		if f.Verified {
			p.MFAError = msg
		} else {
			p.CodeError = msg
		}
		pages.Render(w, status, *p)
	}
	if challengeID == "" {
		c, err := natsrpc.Call[mapi.ChallengeRequest, mapi.Challenge](ctx, s.nc, mapi.SubjectChallenge,
			mapi.ChallengeRequest{Env: sess.Env, UserID: sess.UserID, FactorID: f.ID})
		if err != nil {
			if msg, known := mfaReasonMessage(err); known {
				show(http.StatusConflict, msg)
				return mapi.VerifyResponse{}, false
			}
			s.securityError(w, r, p, err)
			return mapi.VerifyResponse{}, false
		}
		challengeID = c.ID
	}
	res, err := natsrpc.Call[mapi.VerifyRequest, mapi.VerifyResponse](ctx, s.nc, mapi.SubjectVerify,
		mapi.VerifyRequest{Env: sess.Env, UserID: sess.UserID, ChallengeID: challengeID, Code: code})
	if err != nil {
		if msg, known := mfaReasonMessage(err); known {
			show(http.StatusBadRequest, msg)
			return mapi.VerifyResponse{}, false
		}
		s.securityError(w, r, p, err)
		return mapi.VerifyResponse{}, false
	}
	if !res.Valid || res.Factor == nil || res.Factor.ID != f.ID {
		show(http.StatusUnauthorized, "That code is not right.")
		return mapi.VerifyResponse{}, false
	}
	return res, true
}

// recordSecurityMFA records in the session a factor of amr method proven
// on the security page — MFA now, with a new cookie secret — and goes back
// to the page.
func (s *Server) recordSecurityMFA(w http.ResponseWriter, r *http.Request, st *securityState, method string) {
	ctx, sess := r.Context(), st.sess
	updated, token, err := s.auth.UpdateSessionMFA(ctx, sess.Env, sess.ID, withMFA(sess.AMR, method), acrMFA, s.now())
	if err != nil {
		s.log.ErrorContext(ctx, "account security: record MFA in the session", "error", err)
		s.serverErrorPage(w)
		return
	}
	s.setCookie(w, sess.Env, sessionCookie, token, updated.ExpiresAt)
	s.log.InfoContext(ctx, "second factor proven for security settings", "env", sess.Env, "user_id", sess.UserID,
		"session_id", sess.ID, "method", method)
	s.redirectSecurity(w, r, sess.Env)
}

// securityMFAError renders an MFA service error met while re-authenticating.
func (s *Server) securityMFAError(w http.ResponseWriter, r *http.Request, p *pages.AccountSecurity, err error) {
	if msg, known := mfaReasonMessage(err); known {
		p.MFAError = msg
		pages.Render(w, http.StatusConflict, *p)
		return
	}
	s.securityError(w, r, p, err)
}

// securityError renders the page with an MFA service error's message
// (p nil: the page could not be read), or the page saying the settings
// are unavailable: nothing is shown or changed without the MFA service.
func (s *Server) securityError(w http.ResponseWriter, r *http.Request, p *pages.AccountSecurity, err error) {
	if msg, known := mfaReasonMessage(err); known && p != nil {
		p.Error = msg
		pages.Render(w, http.StatusConflict, *p)
		return
	}
	s.log.ErrorContext(r.Context(), "account security", "error", err)
	pages.Render(w, http.StatusServiceUnavailable, pages.Message{Title: "Your security settings are unavailable",
		Text: "They could not be read or changed right now. Try again in a moment."})
}

// redirectSecurity sends the browser back to the page after a change.
func (s *Server) redirectSecurity(w http.ResponseWriter, r *http.Request, env string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.endpoint(env, pathAccountSecurity), http.StatusSeeOther)
}

// validOTP reports whether code is a one-time code: CodeDigits digits.
func validOTP(code string) bool {
	return len(code) == mapi.CodeDigits && strings.Trim(code, "0123456789") == ""
}
