// Command blockdisposableemails refuses sign-ups with a disposable email
// address: a port of Kinde's "Block disposable emails" example.
//
// The email is read from context.auth.providedEmail, falling back to
// context.user.email (Gatehouse sends both in user:pre_registration). Its
// domain, or any parent domain, is checked against the list embedded below.
// A registration without an email (e.g. a social connection that shares
// none) is allowed.
//
// Settings: trigger user:pre_registration; binding kinde.auth.
package main

import (
	"strings"

	gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
)

// DenyReason is shown to the user.
const DenyReason = "Sign-ups with disposable email addresses are not allowed. Please use a permanent address."

// disposableDomains is a short list of well-known disposable email providers.
var disposableDomains = map[string]bool{
	"10minutemail.com": true, "dispostable.com": true, "emailondeck.com": true,
	"fakeinbox.com": true, "getnada.com": true, "guerrillamail.com": true,
	"guerrillamail.net": true, "maildrop.cc": true, "mailinator.com": true,
	"mailnesia.com": true, "mintemail.com": true, "mohmal.com": true,
	"sharklasers.com": true, "temp-mail.org": true, "tempmail.com": true,
	"tempmailo.com": true, "throwawaymail.com": true, "trashmail.com": true,
	"yopmail.com": true, "yopmail.net": true,
}

func init() {
	gatehouse.Register(gatehouse.Settings{
		ID:       "blockDisposableEmails",
		Name:     "Block disposable emails",
		Trigger:  gatehouse.TriggerPreRegistration,
		Bindings: gatehouse.Bindings{"kinde.auth": {}},
	}, handle)
}

func handle(e *gatehouse.PreRegistrationEvent) error {
	email := e.Context.Auth.ProvidedEmail
	if email == "" {
		email = e.Context.User.Email
	}
	if email == "" {
		gatehouse.Log("no email in the registration: nothing to check")
		return nil
	}
	if isDisposable(email) {
		return gatehouse.DenyAccess(DenyReason)
	}
	return nil
}

// isDisposable reports whether the domain of email, or one of its parent
// domains, is a disposable email provider.
func isDisposable(email string) bool {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return false
	}
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(email[at+1:])), ".")
	for domain != "" {
		if disposableDomains[domain] {
			return true
		}
		_, parent, ok := strings.Cut(domain, ".")
		if !ok {
			break
		}
		domain = parent
	}
	return false
}

func main() {}
