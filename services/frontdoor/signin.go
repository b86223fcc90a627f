package frontdoor

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Messages of the sign-in page.
const (
	msgIncorrect     = "Email or password is incorrect."
	msgEnterEmail    = "Enter your email address."
	msgEnterPassword = "Enter your password."
)

// fieldPassword is the password field: where formErrors["p_password"] of
// user:existing_password_provided is shown.
const fieldPassword = "p_password"

// amrPassword is the amr value of a password sign-in (RFC 8176).
const amrPassword = "pwd"

// signInPage serves GET /sign-in: the form for the authorization request
// in the query.
func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	env := envOf(r.Context())
	ar, ok := s.authRequestOf(w, r)
	if !ok {
		return
	}
	if r = s.checkPreview(w, r, ar); r == nil {
		return
	}
	csrf, err := s.csrfToken(w, r, env)
	if err != nil {
		s.serverErrorPage(w)
		return
	}
	pages.Render(w, http.StatusOK, s.signInForm(ar, csrf, ar.loginHint))
}

func (s *Server) signInForm(ar *authRequest, csrf, email string) pages.SignIn {
	q := "?" + ar.params.Encode()
	return pages.SignIn{Action: s.endpoint(ar.env, pathSignIn) + q, CSRF: csrf,
		AppName: ar.app.Name, Email: email, SignUpURL: s.endpoint(ar.env, pathSignUp) + q, ResetURL: s.resetURL(ar)}
}

// signIn serves POST /sign-in: it checks the anti-forgery token, counts
// the attempt, runs user:existing_password_provided, verifies the
// password, runs user:post_authentication, starts a session and answers
// the authorization request with a code.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	ar, form, ok := s.postedAuthForm(w, r, "sign-in", func() { s.metrics.signIn(signInCSRFRejected) })
	if !ok {
		return
	}
	if r = s.checkPreview(w, r, ar); r == nil {
		return
	}
	ctx = r.Context()
	email, password := strings.TrimSpace(form.Get("email")), form.Get(fieldPassword)
	page := s.signInForm(ar, form.Get(csrfField), email)
	if email == "" {
		page.EmailError = msgEnterEmail
	}
	if password == "" {
		page.PasswordError = msgEnterPassword
	}
	if email == "" || password == "" {
		s.metrics.signIn(signInFormErrors)
		pages.Render(w, http.StatusBadRequest, page)
		return
	}

	accountKey := "account:" + env + ":" + limiterEmail(email)
	now := s.now()
	res, allowed, retryAfter, err := s.auth.ReserveAttempts(ctx, now,
		authstore.Limit{Key: accountKey, Max: s.cfg.AccountLimit.Max, Window: s.cfg.AccountLimit.Window},
		authstore.Limit{Key: "ip:" + clientIP(r), Max: s.cfg.IPLimit.Max, Window: s.cfg.IPLimit.Window})
	if err != nil {
		s.log.ErrorContext(ctx, "sign-in: count attempts", "error", err)
		s.metrics.signIn(signInError)
		s.serverErrorPage(w)
		return
	}
	if !allowed {
		s.tooManyAttempts(w, retryAfter)
		s.metrics.signIn(signInRateLimited)
		return
	}
	// From here, an attempt that does not succeed keeps its reservation.

	_, lookupErr := s.ids.GetUserByEmail(ctx, env, email)
	var pwEvent existingPasswordEvent
	pwEvent.Request.IP, pwEvent.Request.UserAgent = clientIP(r), userAgent(r)
	pwEvent.Context.Domains.KindeDomain = s.issuer(env)
	pwEvent.Context.Auth.ProvidedEmail = email
	pwEvent.Context.Auth.Password = password
	pwEvent.Context.Auth.HasUserRecordInKinde = lookupErr == nil
	pwEvent.Context.Workflow.Trigger = abi.TriggerExistingPasswordProvided
	d, stop := s.fire(ctx, env, abi.TriggerExistingPasswordProvided, pwEvent)
	if stop != nil {
		s.metrics.signIn(signInWorkflowStopped)
		if stop.Failure != "" {
			// A broken workflow is not the user's failed attempt.
			_ = s.auth.Release(ctx, res)
		}
		s.workflowStopPage(w, stop)
		return
	}
	if len(d.FormErrors) > 0 {
		page.PasswordError = d.FormErrors[fieldPassword]
		s.metrics.signIn(signInFormErrors)
		page.Error = otherFormErrors(d.FormErrors, fieldPassword)
		pages.Render(w, http.StatusBadRequest, page)
		return
	}

	user, err := s.ids.VerifyPassword(ctx, env, email, password)
	if errors.Is(err, identity.ErrInvalidCredentials) {
		s.metrics.signIn(signInInvalidCredentials)
		page.Error = msgIncorrect
		pages.Render(w, http.StatusUnauthorized, page)
		return
	}
	if err != nil {
		s.log.ErrorContext(ctx, "sign-in: verify password", "error", err)
		s.metrics.signIn(signInError)
		s.serverErrorPage(w)
		return
	}
	if err := s.auth.Release(ctx, res); err != nil {
		s.log.WarnContext(ctx, "sign-in: release attempt", "error", err)
	}
	if err := s.auth.ClearAttempts(ctx, accountKey); err != nil {
		s.log.WarnContext(ctx, "sign-in: clear failed attempts", "error", err)
	}
	s.metrics.signIn(signInSucceeded)

	s.authenticated(w, r, ar, user, false)
}

// authenticated goes on from a user who just proved who they are with
// their password (newUser: they just registered): it runs
// user:post_authentication and goes on to the organization, user:pre_mfa,
// the session and the code (see [Server.proceed]).
func (s *Server) authenticated(w http.ResponseWriter, r *http.Request, ar *authRequest, user *identity.User, newUser bool) {
	ctx := r.Context()
	env := ar.env
	now := s.now() // the authentication time
	conn, err := s.ids.EmailPasswordConnection(ctx, env)
	if err != nil {
		s.log.ErrorContext(ctx, "sign-in: connection", "error", err)
		s.serverErrorPage(w)
		return
	}
	var paEvent postAuthenticationEvent
	paEvent.Request.IP, paEvent.Request.UserAgent = clientIP(r), userAgent(r)
	paEvent.Request.AuthURLParams = ar.eventParams()
	paEvent.Context.Auth.ConnectionID = conn.ID
	paEvent.Context.Auth.IsNewUserRecordCreated = newUser
	paEvent.Context.User.ID = user.ID
	paEvent.Context.Domains.KindeDomain = s.issuer(env)
	paEvent.Context.Workflow.Trigger = abi.TriggerPostAuthentication
	paEvent.Context.Application.ClientID = ar.app.ClientID
	if _, stop := s.fire(ctx, env, abi.TriggerPostAuthentication, paEvent); stop != nil {
		s.workflowStopPage(w, stop)
		return
	}

	if _, err := s.ids.RecordSignIn(ctx, env, user.ID); err != nil {
		s.log.WarnContext(ctx, "sign-in: record last sign-in", "user_id", user.ID, "error", err)
	}
	s.proceed(w, r, &authState{ar: ar, userID: user.ID, connectionID: conn.ID, authTime: now,
		amr: []string{amrPassword}, newUser: newUser})
}

// tooManyAttempts tells the user to wait retryAfter before trying again.
func (s *Server) tooManyAttempts(w http.ResponseWriter, retryAfter time.Duration) {
	minutes := int(math.Ceil(retryAfter.Minutes()))
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
	pages.Render(w, http.StatusTooManyRequests, pages.Message{Title: "Too many attempts",
		Text: fmt.Sprintf("There were too many failed attempts. For your security, this is paused: try again in %d minute%s.",
			minutes, plural(minutes))})
}

// workflowStopPage tells the user a workflow stopped the sign-in.
func (s *Server) workflowStopPage(w http.ResponseWriter, stop *workflowStop) {
	if stop.Failure != "" {
		pages.Render(w, http.StatusServiceUnavailable, pages.Message{Title: "Sign-in is unavailable",
			Text: "A check that runs at sign-in failed, so you cannot sign in right now. Try again in a moment."})
		return
	}
	text := "You cannot sign in."
	if stop.Denied != "" {
		text = stop.Denied
	}
	pages.Render(w, http.StatusForbidden, pages.Message{Title: "Access denied", Text: text})
}

// otherFormErrors joins the form errors of fields other than skip, in a
// stable order: the page has no such fields to show them next to.
func otherFormErrors(errs map[string]string, skip ...string) string {
	var keys []string
	for k := range errs {
		if !contains(skip, k) && errs[k] != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var msgs []string
	for _, k := range keys {
		msgs = append(msgs, errs[k])
	}
	return strings.Join(msgs, " ")
}

// limiterEmail normalises an email for the per-account limiter, so that
// case and spaces do not make a new account.
func limiterEmail(email string) string {
	if norm, err := identity.NormalizeEmail(email); err == nil {
		return norm
	}
	return strings.ToLower(email)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
