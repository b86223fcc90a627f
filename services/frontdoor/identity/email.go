package identity

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEmailBytes is the longest email address accepted (RFC 5321 path limit
// less the angle brackets).
const maxEmailBytes = 254

// NormalizeEmail returns email as stored: surrounding white space removed
// and lower-cased, so that addresses differing only in case are the same
// user. It returns an error wrapping [ErrInvalid] unless the result is a
// bare address (local@domain: no display name, no angle brackets, no
// comments) of at most 254 bytes.
//
// Lower-casing the local part is what users expect even though RFC 5321
// lets a server treat it as case-sensitive; virtually none does.
func NormalizeEmail(email string) (string, error) {
	trimmed := strings.TrimSpace(email)
	// A non-ASCII character whose lower case is ASCII (the Kelvin sign K
	// becomes k) would merge two distinct addresses: refuse it.
	for _, r := range trimmed {
		if r >= utf8.RuneSelf && unicode.ToLower(r) < utf8.RuneSelf {
			return "", fmt.Errorf("%w: %q has the character %U, which reads as an ASCII letter: type the address with plain letters", ErrInvalid, email, r)
		}
	}
	e := strings.ToLower(trimmed)
	if e == "" {
		return "", fmt.Errorf("%w: email address is required", ErrInvalid)
	}
	if len(e) > maxEmailBytes {
		return "", fmt.Errorf("%w: email address is longer than %d bytes", ErrInvalid, maxEmailBytes)
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Name != "" || addr.Address != e {
		return "", fmt.Errorf("%w: %q is not an email address of the form name@example.com", ErrInvalid, email)
	}
	local, _, _ := strings.Cut(e, "@")
	if len(local) > 64 {
		return "", fmt.Errorf("%w: the part of email address %q before the @ is longer than 64 bytes", ErrInvalid, email)
	}
	return e, nil
}
