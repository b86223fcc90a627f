package frontdoor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-id/gatehouse/services/delivery"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/pages"
)

// pathVerifyEmail is the emailed link that verifies a new user's address.
const pathVerifyEmail = "/verify-email"

// verifyEmailTTL is how long a verification link works.
const verifyEmailTTL = 24 * time.Hour

// sendEmailVerification emails a new user a link that verifies their
// address (email_verified becomes true). Without a mailer it does nothing;
// a failure is logged: the sign-up went through.
func (s *Server) sendEmailVerification(ctx context.Context, env string, user *identity.User, appName string) {
	if s.cfg.Mailer == nil || user.EmailVerified {
		return
	}
	token, err := s.auth.CreateEmailVerification(ctx, env, user.ID, user.Email, s.now(), verifyEmailTTL)
	if err != nil {
		s.log.WarnContext(ctx, "sign-up: create email verification", "env", env, "user_id", user.ID, "error", err)
		return
	}
	link := s.endpoint(env, pathVerifyEmail) + "?" + url.Values{"token": {token}}.Encode()
	text := fmt.Sprintf("Welcome to %s.\n\nConfirm that this address is yours by opening this link within 24 hours:\n\n%s\n\n"+
		"If you did not create an account, ignore this email.\n", appName, link)
	if err := s.cfg.Mailer.Send(ctx, env, delivery.Email{To: user.Email, Subject: "Confirm your email address", Text: text}); err != nil {
		s.log.WarnContext(ctx, "sign-up: send email verification", "env", env, "user_id", user.ID, "error", err)
	}
}

// verifyEmail serves GET /verify-email?token=…: it uses the link and marks
// the address verified. The link works once, for the address it was sent
// to.
func (s *Server) verifyEmail(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	q, e := parseQuery(r)
	if e != nil {
		badQuery(w, e)
		return
	}
	userID, err := s.auth.UseEmailVerification(ctx, env, q.Get("token"), s.now())
	if errors.Is(err, authstore.ErrNotFound) {
		pages.Render(w, http.StatusBadRequest, pages.Message{Title: "This link does not work",
			Text: "The email confirmation link is invalid, was already used, or expired."})
		return
	}
	if err != nil {
		s.log.ErrorContext(ctx, "verify email", "error", err)
		s.serverErrorPage(w)
		return
	}
	s.log.InfoContext(ctx, "email verified", "env", env, "user_id", userID)
	pages.Render(w, http.StatusOK, pages.Message{Title: "Your email address is confirmed",
		Text: "Thank you. You can close this page and go back to the application."})
}
