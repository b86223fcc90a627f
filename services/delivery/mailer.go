package delivery

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// Email is a plain-text message to one address.
type Email struct {
	To      string
	Subject string
	Text    string
}

// Check refuses an email that cannot be sent: no valid recipient, no
// subject, or header injection through the recipient or the subject. The
// recipient must be a bare address (name@example.com): no display name or
// comment, which may carry line breaks into the header a mailer writes.
func (m Email) Check() error {
	addr, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("delivery: recipient %q is not an email address: %w", m.To, err)
	}
	if addr.Name != "" || addr.Address != m.To {
		return fmt.Errorf("delivery: recipient %q must be a bare email address, like name@example.com", m.To)
	}
	if m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") {
		return errors.New("delivery: the subject must be one non-empty line")
	}
	return nil
}

// Mailer sends email. Implementations must be safe for concurrent use and
// must not log the text (it carries links and codes).
type Mailer interface {
	// Send sends m on behalf of environment env.
	Send(ctx context.Context, env string, m Email) error
}
