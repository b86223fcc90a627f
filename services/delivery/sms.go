package delivery

import (
	"context"
	"fmt"
	"regexp"
	"unicode/utf8"
)

// MaxSMSBody is the longest SMS text accepted, in characters (ten
// concatenated segments).
const MaxSMSBody = 1600

// e164 is a phone number in E.164: "+", a country code not starting with 0,
// at most 15 digits in all, nothing else.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// ValidPhoneNumber reports whether number is in E.164 (+15551234567): a
// "+" and 2 to 15 digits, the first not 0, without spaces or punctuation.
func ValidPhoneNumber(number string) bool { return e164.MatchString(number) }

// SMS is a text message to one phone number.
type SMS struct {
	To   string // E.164
	Body string
}

// Check refuses an SMS that cannot be sent: a recipient not in E.164, or
// an empty or over-long body.
func (m SMS) Check() error {
	if !ValidPhoneNumber(m.To) {
		return fmt.Errorf("delivery: recipient %q is not an E.164 phone number (like +15551234567)", m.To)
	}
	if m.Body == "" {
		return fmt.Errorf("delivery: the SMS body is empty")
	}
	if n := utf8.RuneCountInString(m.Body); n > MaxSMSBody || !utf8.ValidString(m.Body) {
		return fmt.Errorf("delivery: the SMS body must be valid UTF-8 of at most %d characters (got %d)", MaxSMSBody, n)
	}
	return nil
}

// SMSSender sends text messages. Implementations must be safe for
// concurrent use and must not log the body (it carries codes).
type SMSSender interface {
	// SendSMS sends m on behalf of environment env.
	SendSMS(ctx context.Context, env string, m SMS) error
}
