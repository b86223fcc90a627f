package mfa_test

import (
	"context"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// TestNoCodeOrSecretInLogsOrTables runs every kind of factor and checks
// that no code, TOTP secret or backup code is in the service's log output
// or, in plaintext, in any table of the mfa schema.
func TestNoCodeOrSecretInLogsOrTables(t *testing.T) {
	h := newHarness(t)
	const user = "user_secrets"
	var secrets []string

	e := h.enrollTOTP(user)
	secrets = append(secrets, e.TOTP.Secret)
	c := h.mustChallenge(user, e.Factor.ID)
	code := oathtool(t, e.TOTP.Secret, h.clock.Now())
	secrets = append(secrets, code)
	h.mustVerify(user, c.ID, code)

	sms := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+15551234567"})
	h.sms.failNext(1) // a failed attempt is logged: without the code
	c = h.mustChallenge(user, sms.Factor.ID)
	reqs := h.sms.requests()
	smsCode := regexp.MustCompile(`[0-9]{6}`).FindString(reqs[len(reqs)-1].body)
	secrets = append(secrets, smsCode)
	h.mustVerify(user, c.ID, wrongCode(smsCode))
	h.mustVerify(user, c.ID, smsCode)

	em := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorEmail, Email: "ada@example.com"})
	c = h.mustChallenge(user, em.Factor.ID)
	msgs := h.smtp.Messages()
	emailCode := regexp.MustCompile(`code is ([0-9]{6})`).FindStringSubmatch(msgs[len(msgs)-1].Data)[1]
	secrets = append(secrets, emailCode)
	h.mustVerify(user, c.ID, emailCode)

	set := h.backupCodes(user)
	secrets = append(secrets, set.Codes...)
	for _, bc := range set.Codes {
		secrets = append(secrets, strings.ReplaceAll(bc, "-", ""))
	}
	if r, err := h.useBackupCode(user, set.Codes[0]); err != nil || !r.Valid {
		t.Fatalf("backup code: %+v %v", r, err)
	}

	// Errors do not echo what was sent as a code.
	for _, bad := range []string{"12345a", "9876543"} {
		if _, err := h.verify(user, c.ID, bad); err == nil || strings.Contains(err.Error(), bad) {
			t.Errorf("a malformed code: %v", err)
		}
	}
	if _, err := h.useBackupCode(user, "qqqqq-qqqq!"); err == nil || strings.Contains(err.Error(), "qqqq") {
		t.Errorf("a malformed backup code: %v", err)
	}

	// Metrics: every label value of the service's metrics is one of a
	// closed set, so none can carry a code, a user or a destination.
	closed := map[string][]string{
		"factor":  {"totp", "sms", "email", "backup_code"},
		"outcome": {"valid", "invalid", "sent", "retried", "failed"},
		"kind":    {"challenge", "user"},
		"channel": {"sms", "email"},
	}
	for _, r := range []string{api.ReasonPreviouslyVerified, api.ReasonExpired, api.ReasonTooManyAttempts, api.ReasonInvalidCodeFormat,
		api.ReasonFactorLocked, api.ReasonFactorNotAllowed} {
		closed["outcome"] = append(closed["outcome"], r)
	}
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := 0
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "gatehouse_mfa_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			series++
			for _, l := range m.GetLabel() {
				if !slices.Contains(closed[l.GetName()], l.GetValue()) {
					t.Errorf("%s has label %s=%q, outside its closed set", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
	if series < 6 {
		t.Fatalf("only %d series of the service's metrics", series)
	}

	logs := h.logs.String()
	if !strings.Contains(logs, "code sent") || !strings.Contains(logs, "code delivery failed") {
		t.Fatalf("the log output was not captured:\n%s", logs)
	}
	for _, s := range secrets {
		if containsSecret(logs, s) {
			t.Errorf("the log output contains %q:\n%s", s, logs)
		}
	}

	ctx := context.Background()
	rows, err := h.pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'mfa' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 5 {
		t.Fatalf("mfa tables: %v", tables)
	}
	dumped := 0
	for _, table := range tables {
		rows, err := h.pool.Query(ctx, `SELECT t::text FROM mfa.`+table+` t`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var text string
			if err := rows.Scan(&text); err != nil {
				t.Fatal(err)
			}
			dumped++
			for _, s := range secrets {
				// bytea columns print as hex: look for both forms.
				if containsSecret(text, s) || strings.Contains(text, hex.EncodeToString([]byte(s))) {
					t.Errorf("table mfa.%s holds %q in plaintext: %s", table, s, text)
				}
			}
		}
		rows.Close()
	}
	if dumped < 15 {
		t.Fatalf("only %d rows read from the mfa tables", dumped)
	}
}

// containsSecret reports whether text holds secret. A six-digit code is
// looked for as a whole token: six digits in a row also occur by chance
// inside hex ids and hashes, which would make the test fail at random.
func containsSecret(text, secret string) bool {
	if !sixDigitCode.MatchString(secret) {
		return strings.Contains(text, secret)
	}
	return regexp.MustCompile(`(^|[^0-9A-Za-z])` + secret + `([^0-9A-Za-z]|$)`).MatchString(text)
}

var sixDigitCode = regexp.MustCompile(`^[0-9]{6}$`)
