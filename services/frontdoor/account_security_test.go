package frontdoor_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
)

var (
	removeForm       = regexp.MustCompile(`name="factor_id" value="(auth_factor_[^"]+)"><button type="submit" class="link">Remove`)
	enrollTokenInput = regexp.MustCompile(`name="enroll_token" value="([^"]+)"`)
)

func testAccountSecurity(t *testing.T, h *harness) {
	const env = "mfasec"
	h.env(env)
	app, secret := webApp(t, h, env)
	c := newClient(t, h, env, app, secret)
	user := h.user(t, env, "careful@example.com", password)
	secURL := h.issuer(env) + "/account/security"
	factors := func() []mapi.Factor {
		fs, err := natsrpc.Call[mapi.UserRequest, mapi.FactorsResponse](testContext(t), h.p.NATS(), mapi.SubjectFactors,
			mapi.UserRequest{Env: env, UserID: user.ID})
		if err != nil {
			t.Fatal(err)
		}
		var out []mapi.Factor
		for _, f := range fs.Factors {
			if f.Verified && f.Type != mapi.FactorBackupCode {
				out = append(out, f)
			}
		}
		return out
	}

	if p := newBrowser(t).get(secURL); p.Status != http.StatusForbidden || strings.Contains(p.Body, "careful@") {
		t.Fatalf("without a session: %d\n%s", p.Status, p.Body)
	}
	b := newBrowser(t)
	c.login(t, h, env, b, "careful@example.com")
	p := b.get(secURL)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "careful@example.com") || !strings.Contains(p.Body, "None yet.") {
		t.Fatalf("security page %d:\n%s", p.Status, p.Body)
	}
	post := func(p page, action string, fields url.Values) page {
		return b.mfaPost(p, action, fields)
	}

	// Add an authenticator app: the secret, then its first code.
	q := post(p, "add_totp", nil)
	m := totpSecret.FindStringSubmatch(q.Body)
	if q.Status != http.StatusOK || m == nil {
		t.Fatalf("add: %d\n%s", q.Status, q.Body)
	}
	factorID := regexp.MustCompile(`name="factor_id" value="([^"]+)"`).FindStringSubmatch(q.Body)[1]
	enrollToken := enrollTokenInput.FindStringSubmatch(q.Body)[1]
	if r := post(q, "confirm_totp", url.Values{"factor_id": {factorID}, "enroll_token": {enrollToken}, "code": {"000000"}}); r.Status == http.StatusSeeOther {
		t.Fatal("a wrong first code confirmed the factor")
	}
	if r := post(q, "confirm_totp", url.Values{"factor_id": {factorID}, "enroll_token": {enrollToken}, "code": {code(t, m[1], time.Now())}}); r.Status != http.StatusSeeOther {
		t.Fatalf("confirm: %d\n%s", r.Status, r.Body)
	}
	if fs := factors(); len(fs) != 1 || fs[0].ID != factorID {
		t.Fatalf("factors after adding: %+v", fs)
	}
	p = b.get(secURL)
	if !strings.Contains(p.Body, "Authenticator app") {
		t.Fatalf("page after adding:\n%s", p.Body)
	}
	// New backup codes, shown once.
	q = post(p, "backup_codes", nil)
	if n := len(backupCodes.FindAllString(q.Body, -1)); q.Status != http.StatusOK || n != mapi.BackupCodeCount {
		t.Fatalf("backup codes: %d, %d codes", q.Status, n)
	}
	// Without the anti-forgery token nothing changes.
	if r := b.post(secURL, url.Values{"action": {"remove"}, "factor_id": {factorID}}); r.Status != http.StatusForbidden || len(factors()) != 1 {
		t.Fatalf("no csrf: %d", r.Status)
	}

	// An old sign-in must confirm the password before removing a factor.
	if _, err := h.pool.Exec(testContext(t), `UPDATE frontdoor.sessions SET auth_time = now() - interval '1 hour'
		WHERE env = $1 AND user_id = $2`, env, user.ID); err != nil {
		t.Fatal(err)
	}
	p = b.get(secURL)
	if !strings.Contains(p.Body, "Confirm it's you") || removeForm.MatchString(p.Body) {
		t.Fatalf("stale session page:\n%s", p.Body)
	}
	if r := post(p, "remove", url.Values{"factor_id": {factorID}}); r.Status != http.StatusForbidden || len(factors()) != 1 {
		t.Fatalf("remove with a stale sign-in: %d, factors %d", r.Status, len(factors()))
	}
	if r := post(p, "reauth", url.Values{"p_password": {"wrong password"}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("reauth with a wrong password: %d", r.Status)
	}
	if r := post(p, "reauth", url.Values{"p_password": {password}}); r.Status != http.StatusSeeOther {
		t.Fatalf("reauth: %d\n%s", r.Status, r.Body)
	}
	p = b.get(secURL)
	if !removeForm.MatchString(p.Body) {
		t.Fatalf("page after reauth:\n%s", p.Body)
	}
	if r := post(p, "remove", url.Values{"factor_id": {"auth_factor_not_mine"}}); r.Status != http.StatusBadRequest || len(factors()) != 1 {
		t.Fatalf("remove another factor: %d", r.Status)
	}
	if r := post(p, "remove", url.Values{"factor_id": {factorID}}); r.Status != http.StatusSeeOther || len(factors()) != 0 {
		t.Fatalf("remove: %d, factors %d", r.Status, len(factors()))
	}
	// Every change was told to the user.
	for _, change := range []string{"A second factor was added to your account: an authenticator app.",
		"New backup codes were made", "A second factor was removed from your account."} {
		if !notified(h, "careful@example.com", change) {
			t.Errorf("no notice %q", change)
		}
	}
}
