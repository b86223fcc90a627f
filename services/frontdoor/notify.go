package frontdoor

import (
	"context"
	"fmt"

	"github.com/gatehouse-id/gatehouse/services/delivery"
)

// Changes to how a user signs in, each told to the user by email (ASVS
// V6.3.7): if it was not them, they learn it at once.
const (
	changePassword      = "Your password was changed."
	changeFactorAdded   = "A second factor was added to your account: %s."
	changeFactorRemoved = "A second factor was removed from your account."
	changeBackupCodes   = "New backup codes were made for your account; the old ones no longer work."
)

// notifyChange emails userID (in env) that change happened. Without a
// mailer it does nothing; a failure to send is logged, not returned: the
// change is made. The email names no secret.
func (s *Server) notifyChange(ctx context.Context, env, userID, change string) {
	if s.cfg.Mailer == nil {
		return
	}
	user, err := s.ids.GetUser(ctx, env, userID)
	if err != nil {
		s.log.WarnContext(ctx, "notify a sign-in change: look up user", "env", env, "user_id", userID, "error", err)
		return
	}
	text := fmt.Sprintf("%s\n\nIf you made this change, there is nothing to do.\n"+
		"If you did not, reset your password at once and tell the application's administrators: someone else may have access to your account.\n",
		change)
	if err := s.cfg.Mailer.Send(ctx, env, delivery.Email{To: user.Email, Subject: "Your sign-in settings changed", Text: text}); err != nil {
		s.log.WarnContext(ctx, "notify a sign-in change", "env", env, "user_id", userID, "error", err)
	}
}
