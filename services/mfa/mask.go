package mfa

import (
	"strings"
	"unicode/utf8"
)

// maskPhone shows the country code's first digit and the last four digits
// of an E.164 number: "+1 ••• ••• 4567".
func maskPhone(p string) string {
	if len(p) < 7 {
		return "•••"
	}
	return p[:2] + " ••• ••• " + p[len(p)-4:]
}

// maskEmail keeps the first character of the local part and the domain:
// "a•••@example.com".
func maskEmail(e string) string {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" {
		return "•••"
	}
	_, n := utf8.DecodeRuneInString(local)
	return local[:n] + "•••@" + domain
}
