package frontdoor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/delivery"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Password reset pages: the request (an email), and the new password
// form the emailed link opens.
const (
	pathResetPassword = "/reset-password"
	pathNewPassword   = "/reset-password/new"
)

// resetTTL is how long a reset link works.
const resetTTL = 30 * time.Minute

// msgResetSent is shown whether or not the account exists.
const msgResetSent = "If there is an account with %s, we sent it a link to choose a new password. The link works once, for 30 minutes."

// resetURL is the reset page of an authorization request, or "" when
// resetting is not available (no mailer).
func (s *Server) resetURL(ar *authRequest) string {
	if s.cfg.Mailer == nil {
		return ""
	}
	return s.endpoint(ar.env, pathResetPassword) + "?" + ar.params.Encode()
}

// resetUnavailable is the page when no mailer is configured.
func resetUnavailable(w http.ResponseWriter) {
	pages.Render(w, http.StatusNotFound, pages.Message{Title: "Password reset is not available",
		Text: "This installation cannot send email, so passwords cannot be reset here. Contact the application's administrators."})
}

// resetRequestPage serves GET /reset-password.
func (s *Server) resetRequestPage(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Mailer == nil {
		resetUnavailable(w)
		return
	}
	ar, ok := s.authRequestOf(w, r)
	if !ok {
		return
	}
	csrf, err := s.csrfToken(w, r, ar.env)
	if err != nil {
		s.serverErrorPage(w)
		return
	}
	page := s.resetRequestForm(ar, csrf)
	page.Email = ar.loginHint
	pages.Render(w, http.StatusOK, page)
}

func (s *Server) resetRequestForm(ar *authRequest, csrf string) pages.ResetRequest {
	q := "?" + ar.params.Encode()
	return pages.ResetRequest{Action: s.endpoint(ar.env, pathResetPassword) + q, CSRF: csrf, AppName: ar.app.Name,
		SignInURL: s.endpoint(ar.env, pathSignIn) + q}
}

// resetRequest serves POST /reset-password: when the email belongs to a
// user, it emails them a single-use link. The answer is the same either
// way, and comes before the account is even looked up, so that neither the
// page nor its response time reveals who has an account. Requests are
// limited per address and per client IP, whether or not the account
// exists, so that the form cannot flood a mailbox.
func (s *Server) resetRequest(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	if s.cfg.Mailer == nil {
		resetUnavailable(w)
		return
	}
	ar, form, ok := s.postedAuthForm(w, r, "", nil)
	if !ok {
		return
	}
	page := s.resetRequestForm(ar, form.Get(csrfField))
	page.Email = strings.TrimSpace(form.Get("email"))
	email, err := identity.NormalizeEmail(page.Email)
	switch {
	case page.Email == "":
		page.EmailError = msgEnterEmail
	case err != nil:
		page.EmailError = msgInvalidEmail
	}
	if page.EmailError != "" {
		pages.Render(w, http.StatusBadRequest, page)
		return
	}
	_, allowed, retryAfter, err := s.auth.ReserveAttempts(ctx, s.now(),
		authstore.Limit{Key: "reset:" + env + ":" + email, Max: s.cfg.AccountLimit.Max, Window: s.cfg.AccountLimit.Window},
		authstore.Limit{Key: "reset-ip:" + clientIP(r), Max: s.cfg.IPLimit.Max, Window: s.cfg.IPLimit.Window})
	if err != nil {
		s.log.ErrorContext(ctx, "reset: count requests", "error", err)
		s.serverErrorPage(w)
		return
	}
	if !allowed {
		s.tooManyAttempts(w, retryAfter)
		return
	}
	s.sendResetLater(ctx, ar, email)
	pages.Render(w, http.StatusOK, pages.Message{Title: "Check your email", Text: fmt.Sprintf(msgResetSent, email),
		Link: s.endpoint(env, pathSignIn) + "?" + ar.params.Encode(), LinkText: "Back to sign in"})
}

// sendResetLater runs sendReset in the background, under its own deadline
// (the request timeout) that ends early if the server stops: looking up the
// account, storing the link and sending the email take longer when the
// account exists, and the answer must not.
func (s *Server) sendResetLater(ctx context.Context, ar *authRequest, email string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.RequestTimeout)
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer cancel()
		if err := s.sendReset(ctx, ar, email); err != nil {
			// Only logged: the answer was the same either way.
			s.log.ErrorContext(ctx, "reset: send link", "env", ar.env, "error", err)
		}
	}()
}

// sendReset emails a reset link to the user with email, if there is one.
func (s *Server) sendReset(ctx context.Context, ar *authRequest, email string) error {
	user, err := s.ids.GetUserByEmail(ctx, ar.env, email)
	if errors.Is(err, identity.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	token, err := s.auth.CreatePasswordReset(ctx, authstore.PasswordReset{Env: ar.env, UserID: user.ID,
		Params: ar.params.Encode()}, s.now(), resetTTL)
	if err != nil {
		return err
	}
	link := s.endpoint(ar.env, pathNewPassword) + "?" + url.Values{"token": {token}}.Encode()
	text := fmt.Sprintf("Someone asked to reset the password of your %s account.\n\n"+
		"To choose a new password, open this link within 30 minutes:\n\n%s\n\n"+
		"If it was not you, ignore this email: your password stays as it is.\n", ar.app.Name, link)
	if err := s.cfg.Mailer.Send(ctx, ar.env, delivery.Email{To: user.Email, Subject: "Reset your password", Text: text}); err != nil {
		return fmt.Errorf("send reset link to user %s: %w", user.ID, err)
	}
	s.log.InfoContext(ctx, "password reset link sent", "env", ar.env, "user_id", user.ID)
	return nil
}

// invalidResetLink is the page for an unknown, used or expired link.
func invalidResetLink(w http.ResponseWriter) {
	pages.Render(w, http.StatusBadRequest, pages.Message{Title: "This link does not work",
		Text: "The password reset link is invalid, was already used, or expired. Ask for a new one from the sign-in page."})
}

// newPasswordPage serves GET /reset-password/new?token=…: the form for the
// new password.
func (s *Server) newPasswordPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	q, e := parseQuery(r)
	if e != nil {
		badQuery(w, e)
		return
	}
	token := q.Get("token")
	reset, err := s.auth.PasswordResetByToken(ctx, env, token, s.now())
	if errors.Is(err, authstore.ErrNotFound) {
		invalidResetLink(w)
		return
	}
	if err != nil {
		s.log.ErrorContext(ctx, "reset: look up link", "error", err)
		s.serverErrorPage(w)
		return
	}
	user, err := s.ids.GetUser(ctx, env, reset.UserID)
	if err != nil {
		invalidResetLink(w)
		return
	}
	csrf, err := s.csrfToken(w, r, env)
	if err != nil {
		s.serverErrorPage(w)
		return
	}
	pages.Render(w, http.StatusOK, pages.ResetPassword{Action: s.endpoint(env, pathNewPassword), CSRF: csrf,
		Token: token, Email: user.Email})
}

// newPassword serves POST /reset-password/new: it checks the new password,
// runs user:new_password_provided (reason "reset"), and in one transaction
// uses the link (and every other link of the user), sets the password,
// marks the email verified and ends the user's sessions.
func (s *Server) newPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	form, ok := s.postedForm(w, r, "", nil)
	if !ok {
		return
	}
	token := form.Get("token")
	reset, err := s.auth.PasswordResetByToken(ctx, env, token, s.now())
	if errors.Is(err, authstore.ErrNotFound) {
		invalidResetLink(w)
		return
	}
	if err != nil {
		s.log.ErrorContext(ctx, "reset: look up link", "error", err)
		s.serverErrorPage(w)
		return
	}
	user, err := s.ids.GetUser(ctx, env, reset.UserID)
	if err != nil {
		invalidResetLink(w)
		return
	}
	page := pages.ResetPassword{Action: s.endpoint(env, pathNewPassword), CSRF: form.Get(csrfField), Token: token, Email: user.Email}
	first, second := form.Get(fieldFirstPassword), form.Get(fieldSecondPassword)
	page.FirstPasswordError, page.SecondPasswordError = checkNewPassword(first, second)
	if page.FirstPasswordError != "" || page.SecondPasswordError != "" {
		pages.Render(w, http.StatusBadRequest, page)
		return
	}

	var ev newPasswordEvent
	ev.Request = eventRequestOf(r)
	ev.Context.Domains.KindeDomain = s.issuer(env)
	ev.Context.Auth.FirstPassword, ev.Context.Auth.SecondPassword = first, second
	ev.Context.Auth.NewPasswordReason = newPasswordReset
	ev.Context.User = eventUser{ID: user.ID, Email: user.Email}
	ev.Context.Workflow.Trigger = abi.TriggerNewPasswordProvided
	d, stop := s.fire(ctx, env, abi.TriggerNewPasswordProvided, ev)
	if stop != nil {
		s.workflowStopPage(w, stop)
		return
	}
	if len(d.FormErrors) > 0 {
		page.FirstPasswordError = d.FormErrors[fieldFirstPassword]
		page.SecondPasswordError = d.FormErrors[fieldSecondPassword]
		page.Error = otherFormErrors(d.FormErrors, fieldFirstPassword, fieldSecondPassword)
		pages.Render(w, http.StatusBadRequest, page)
		return
	}

	prepared, err := s.ids.PreparePassword(ctx, env, first)
	if err != nil {
		s.log.ErrorContext(ctx, "reset: hash password", "error", err)
		s.serverErrorPage(w)
		return
	}
	used, err := s.auth.UsePasswordReset(ctx, env, token, s.now(), func(ctx context.Context, tx pgx.Tx, userID string) error {
		return s.ids.ResetPasswordTx(ctx, tx, userID, prepared)
	})
	if errors.Is(err, authstore.ErrNotFound) {
		invalidResetLink(w) // used by a concurrent request
		return
	}
	if err != nil {
		s.log.ErrorContext(ctx, "reset: set password", "error", err)
		s.serverErrorPage(w)
		return
	}
	s.setCookie(w, env, sessionCookie, "", s.now().Add(-time.Hour))
	s.log.InfoContext(ctx, "password reset", "env", env, "user_id", user.ID)
	s.notifyChange(ctx, env, user.ID, changePassword)
	// Tokens issued while the old password was in force end too.
	if _, err := natsrpc.Call[tapi.RevokeSubjectRequest, tapi.RevokeGrantResponse](ctx, s.nc, tapi.SubjectRevokeSubject,
		tapi.RevokeSubjectRequest{Env: env, Subject: user.ID, Reason: "password_reset"}); err != nil {
		s.log.ErrorContext(ctx, "reset: the password changed but the user's tokens could not be revoked; revoke them by hand",
			"env", env, "user_id", user.ID, "error", err)
	}
	msg := pages.Message{Title: "Your password was changed",
		Text: "Sign in with your new password. Every session that was signed in with the old one has ended."}
	if used.Params != "" {
		msg.Link, msg.LinkText = s.endpoint(env, pathSignIn)+"?"+used.Params, "Sign in"
	}
	pages.Render(w, http.StatusOK, msg)
}

// checkNewPassword returns the errors to show next to the two password
// fields of a new password, or "" for each field that is fine.
func checkNewPassword(first, second string) (firstErr, secondErr string) {
	switch {
	case first == "":
		firstErr = msgChoosePassword
	default:
		if err := identity.CheckPasswordPolicy(first); err != nil {
			firstErr = sentence(err.Error())
		}
	}
	switch {
	case second == "":
		secondErr = msgRepeatPassword
	case first != "" && first != second:
		secondErr = msgPasswordsDiffer
	}
	return firstErr, secondErr
}
