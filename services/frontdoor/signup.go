package frontdoor

import (
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Messages of the sign-up page.
const (
	msgInvalidEmail     = "Enter a valid email address, like name@example.com."
	msgChoosePassword   = "Choose a password."
	msgRepeatPassword   = "Enter the same password again."
	msgPasswordsDiffer  = "The passwords do not match."
	msgAccountExists    = "An account with this email already exists. Sign in instead, or reset your password if you forgot it."
	msgNameTooLong      = "Names can be at most 256 characters long."
	msgSignUpIncomplete = "Your account could not be created. Check the fields below."
)

// The password fields of the sign-up and reset pages: where
// formErrors["p_first_password"] and formErrors["p_second_password"] of
// user:new_password_provided are shown.
const (
	fieldFirstPassword  = "p_first_password"
	fieldSecondPassword = "p_second_password"
)

// signUpPage serves GET /sign-up: the registration form for the
// authorization request in the query.
func (s *Server) signUpPage(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.authRequestOf(w, r)
	if !ok {
		return
	}
	if r = s.checkPreview(w, r, ar); r == nil {
		return
	}
	csrf, err := s.csrfToken(w, r, ar.env)
	if err != nil {
		s.serverErrorPage(w)
		return
	}
	page := s.signUpForm(ar, csrf)
	page.Email = ar.loginHint
	pages.Render(w, http.StatusOK, page)
}

func (s *Server) signUpForm(ar *authRequest, csrf string) pages.SignUp {
	q := "?" + ar.params.Encode()
	return pages.SignUp{Action: s.endpoint(ar.env, pathSignUp) + q, CSRF: csrf, AppName: ar.app.Name,
		SignInURL: s.endpoint(ar.env, pathSignIn) + q}
}

// signUp serves POST /sign-up: it checks the anti-forgery token and the
// fields, runs user:new_password_provided (reason "initial") and
// user:pre_registration, creates the user with their password, and goes on
// as a sign-in of a new user (user:post_authentication with
// isNewUserRecordCreated, a session, the code).
//
// Failed attempts count against the client IP address's sign-in limit, so
// that the form cannot be used to test many passwords or addresses.
func (s *Server) signUp(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	ar, form, ok := s.postedAuthForm(w, r, "sign-up", nil)
	if !ok {
		return
	}
	if r = s.checkPreview(w, r, ar); r == nil {
		return
	}
	ctx = r.Context()

	page := s.signUpForm(ar, form.Get(csrfField))
	page.Email = strings.TrimSpace(form.Get("email"))
	page.GivenName = strings.TrimSpace(form.Get("given_name"))
	page.FamilyName = strings.TrimSpace(form.Get("family_name"))
	first, second := form.Get(fieldFirstPassword), form.Get(fieldSecondPassword)
	page.FirstPasswordError, page.SecondPasswordError = checkNewPassword(first, second)
	email, emailErr := identity.NormalizeEmail(page.Email)
	switch {
	case page.Email == "":
		page.EmailError = msgEnterEmail
	case emailErr != nil:
		page.EmailError = msgInvalidEmail
	}
	if !displayName(page.GivenName) || !displayName(page.FamilyName) {
		page.NameError = msgNameTooLong
	}
	if page.EmailError != "" || page.NameError != "" || page.FirstPasswordError != "" || page.SecondPasswordError != "" {
		page.Error = msgSignUpIncomplete
		pages.Render(w, http.StatusBadRequest, page)
		return
	}

	now := s.now()
	res, allowed, retryAfter, err := s.auth.ReserveAttempts(ctx, now,
		authstore.Limit{Key: "ip:" + clientIP(r), Max: s.cfg.IPLimit.Max, Window: s.cfg.IPLimit.Window})
	if err != nil {
		s.log.ErrorContext(ctx, "sign-up: count attempts", "error", err)
		s.serverErrorPage(w)
		return
	}
	if !allowed {
		s.tooManyAttempts(w, retryAfter)
		return
	}
	// From here, an attempt that does not create the account keeps its
	// reservation.

	if _, err := s.ids.GetUserByEmail(ctx, env, email); err == nil {
		page.Error, page.EmailError = msgAccountExists, msgAccountExists
		pages.Render(w, http.StatusConflict, page)
		return
	} else if !errors.Is(err, identity.ErrNotFound) {
		s.log.ErrorContext(ctx, "sign-up: look up email", "error", err)
		s.serverErrorPage(w)
		return
	}

	var npEvent newPasswordEvent
	npEvent.Request = eventRequestOf(r)
	npEvent.Context.Domains.KindeDomain = s.issuer(env)
	npEvent.Context.Auth.FirstPassword, npEvent.Context.Auth.SecondPassword = first, second
	npEvent.Context.Auth.NewPasswordReason = newPasswordInitial
	npEvent.Context.User.Email = email
	npEvent.Context.Workflow.Trigger = abi.TriggerNewPasswordProvided
	d, stop := s.fire(ctx, env, abi.TriggerNewPasswordProvided, npEvent)
	if stop != nil {
		if stop.Failure != "" {
			_ = s.auth.Release(ctx, res)
		}
		s.workflowStopPage(w, stop)
		return
	}
	if len(d.FormErrors) > 0 {
		page.FirstPasswordError = d.FormErrors[fieldFirstPassword]
		page.SecondPasswordError = d.FormErrors[fieldSecondPassword]
		page.Error = otherFormErrors(d.FormErrors, fieldFirstPassword, fieldSecondPassword)
		if page.Error == "" {
			page.Error = msgSignUpIncomplete
		}
		pages.Render(w, http.StatusBadRequest, page)
		return
	}

	conn, err := s.ids.EmailPasswordConnection(ctx, env)
	if err != nil {
		s.log.ErrorContext(ctx, "sign-up: connection", "error", err)
		s.serverErrorPage(w)
		return
	}
	var prEvent preRegistrationEvent
	prEvent.Request.eventRequest = eventRequestOf(r)
	prEvent.Request.AuthURLParams = ar.eventParams()
	prEvent.Context.Auth.ConnectionID = conn.ID
	prEvent.Context.Auth.ProvidedEmail = email
	prEvent.Context.User.Email = email
	prEvent.Context.Domains.KindeDomain = s.issuer(env)
	prEvent.Context.Workflow.Trigger = abi.TriggerPreRegistration
	prEvent.Context.Application.ClientID = ar.app.ClientID
	if _, stop := s.fire(ctx, env, abi.TriggerPreRegistration, prEvent); stop != nil {
		if stop.Failure != "" {
			_ = s.auth.Release(ctx, res)
		}
		s.workflowStopPage(w, stop)
		return
	}

	user, err := s.ids.Register(ctx, identity.NewUser{Env: env, Email: email, GivenName: page.GivenName,
		FamilyName: page.FamilyName}, first)
	switch {
	case errors.Is(err, identity.ErrAlreadyExists):
		// Registered by a concurrent request since the check above.
		page.Error, page.EmailError = msgAccountExists, msgAccountExists
		pages.Render(w, http.StatusConflict, page)
		return
	case err != nil:
		s.log.ErrorContext(ctx, "sign-up: register", "error", err)
		s.serverErrorPage(w)
		return
	}
	if err := s.auth.Release(ctx, res); err != nil {
		s.log.WarnContext(ctx, "sign-up: release attempt", "error", err)
	}
	s.log.InfoContext(ctx, "user registered", "env", env, "user_id", user.ID, "client_id", ar.app.ClientID)
	// The environment's default plan, if it has one: an automatic
	// assignment, which runs no plan trigger.
	s.assignDefaultPlan(ctx, env, user.ID)
	s.sendEmailVerification(ctx, env, user, ar.app.Name)
	s.authenticated(w, r, ar, user, true)
}

// displayName reports whether a name typed in a form is acceptable: at
// most 256 characters, no control characters.
func displayName(name string) bool {
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 256 {
		return false
	}
	return strings.IndexFunc(name, unicode.IsControl) < 0
}

// sentence makes a message start with a capital letter and end with a
// full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
