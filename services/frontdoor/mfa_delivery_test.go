package frontdoor_test

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// testMFADelivery sets up SMS and email factors on the hosted MFA page,
// with the codes read from the development outbox.
func testMFADelivery(t *testing.T, h *harness) {
	const env = "mfasms"
	h.env(env)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	h.user(t, env, "texted@example.com", password)
	h.user(t, env, "mailed@example.com", password)
	h.setMFAPolicy(t, mapi.Policy{Env: env, Policy: mapi.PolicyRequired,
		AllowedFactors: []mapi.FactorType{mapi.FactorSMS, mapi.FactorEmail, mapi.FactorBackupCode}})

	b := newBrowser(t)
	ar := c.authRequest()
	p := b.get(b.submit(b.openSignIn(ar.url), "texted@example.com", password).Location)
	if strings.Contains(p.Body, `value="totp"`) || !strings.Contains(p.Body, `value="sms"`) || !strings.Contains(p.Body, `value="email"`) {
		t.Fatalf("enroll page offers other factors than the allowed ones:\n%s", p.Body)
	}
	// The phone number must be E.164; nothing is sent otherwise.
	for _, bad := range []string{"1234567890", "+1 (555) 123-4567"} {
		q := b.mfaPost(p, "enroll", url.Values{"type": {"sms"}, "phone_number": {bad}})
		if q.Status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(q.Body), "international format") {
			t.Fatalf("phone %q: %d\n%s", bad, q.Status, q.Body)
		}
	}
	for _, m := range h.p.Outbox().Messages() {
		if m.Channel == "sms" && m.Env == env {
			t.Fatalf("an SMS was sent for a malformed number: %+v", m)
		}
	}
	p = b.mfaPost(p, "enroll", url.Values{"type": {"sms"}, "phone_number": {"+15551234567"}})
	if p.Status != http.StatusOK || !strings.Contains(html.UnescapeString(p.Body), "We sent a 6-digit code to") {
		t.Fatalf("SMS enroll: %d\n%s", p.Status, p.Body)
	}
	smsCode := h.lastCode(t, "+15551234567")
	wrong := "000000"
	if smsCode == wrong {
		wrong = "000001"
	}
	if q := b.mfaPost(p, "verify", url.Values{"code": {wrong}}); q.Status != http.StatusUnauthorized || !strings.Contains(q.Body, "4 attempts left") {
		t.Fatalf("wrong SMS code: %d\n%s", q.Status, q.Body)
	}
	if q := b.mfaPost(p, "resend", nil); q.Status != http.StatusConflict || !strings.Contains(q.Body, "A code was sent a moment ago") {
		t.Fatalf("resend within the cooldown: %d\n%s", q.Status, q.Body)
	}
	p = b.mfaPost(p, "verify", url.Values{"code": {smsCode}})
	if n := len(backupCodes.FindAllString(p.Body, -1)); p.Status != http.StatusOK || n != mapi.BackupCodeCount {
		t.Fatalf("after the SMS code: %d, %d backup codes\n%s", p.Status, n, p.Body)
	}
	tok := c.exchange(t, h, env, b.mfaPost(p, "continue", nil), ar)
	if amr, _ := c.amrACR(t, tok); !slices.Equal(amr, []string{"pwd", "mfa", "sms"}) {
		t.Fatalf("amr %v", amr)
	}
	// The code was used: it does not work again.
	b2 := newBrowser(t)
	p = b2.get(b2.submit(b2.openSignIn(c.authRequest().url), "texted@example.com", password).Location)
	if !strings.Contains(p.Body, "Text message to") {
		t.Fatalf("challenge choice:\n%s", p.Body)
	}

	// Email: the code goes to the account's address.
	b = newBrowser(t)
	ar = c.authRequest()
	p = b.get(b.submit(b.openSignIn(ar.url), "mailed@example.com", password).Location)
	p = b.mfaPost(p, "enroll", url.Values{"type": {"email"}})
	if p.Status != http.StatusOK {
		t.Fatalf("email enroll: %d\n%s", p.Status, p.Body)
	}
	p = b.mfaPost(p, "verify", url.Values{"code": {h.lastCode(t, "mailed@example.com")}})
	tok = c.exchange(t, h, env, b.mfaPost(p, "continue", nil), ar)
	if amr, _ := c.amrACR(t, tok); !slices.Equal(amr, []string{"pwd", "mfa", "email"}) {
		t.Fatalf("amr %v", amr)
	}
}
