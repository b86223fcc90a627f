package mfa_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/mfa"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

func TestSMSFactor(t *testing.T) {
	h := newHarness(t)
	const user = "user_sms"
	for _, bad := range []string{"1234567890", "+1 (555) 123-4567"} {
		_, err := h.enroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: bad})
		wantReason(t, err, natsrpc.CodeInvalidArgument, api.ReasonInvalidPhoneNumber)
		if !strings.Contains(err.Error(), "E.164") || !strings.Contains(err.Error(), "+15551234567") {
			t.Errorf("the error does not say what is expected: %v", err)
		}
	}
	if n := len(h.sms.requests()); n != 0 {
		t.Fatalf("%d SMS sent for invalid numbers", n)
	}
	e := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+15551234567"})
	if e.Factor.Verified || e.Factor.PhoneNumber != "+15551234567" || e.Factor.Masked != "+1 ••• ••• 4567" || e.TOTP != nil {
		t.Fatalf("SMS factor %+v", e)
	}

	// A template without {{code}} is refused before anything is sent.
	_, err := call[api.ChallengeRequest, api.Challenge](t, h.nc, api.SubjectChallenge,
		api.ChallengeRequest{Env: env, UserID: user, FactorID: e.Factor.ID, SMSTemplate: "Your code is ready"})
	if !natsrpc.IsCode(err, natsrpc.CodeInvalidArgument) || !strings.Contains(err.Error(), "{{code}}") {
		t.Fatalf("template without {{code}}: %v", err)
	}
	if n := len(h.sms.requests()); n != 0 {
		t.Fatalf("%d SMS sent for a refused template", n)
	}

	c := must[api.ChallengeRequest, api.Challenge](t, h.nc, api.SubjectChallenge,
		api.ChallengeRequest{Env: env, UserID: user, FactorID: e.Factor.ID, SMSTemplate: "Acme: {{code}} is your code"})
	if c.ExpiresAt == nil || !c.ExpiresAt.Equal(h.clock.Now().Add(10*time.Minute)) || c.Type != api.FactorSMS {
		t.Fatalf("SMS challenge %+v (now %v)", c, h.clock.Now())
	}
	reqs := h.sms.requests()
	if len(reqs) != 1 {
		t.Fatalf("provider received %d requests", len(reqs))
	}
	m := regexp.MustCompile(`^Acme: ([0-9]{6}) is your code$`).FindStringSubmatch(reqs[0].body)
	if reqs[0].to != "+15551234567" || reqs[0].from != "+15550000000" || m == nil ||
		reqs[0].path != "/2010-04-01/Accounts/AC_test/Messages.json" {
		t.Fatalf("provider received %+v", reqs[0])
	}
	code := m[1]
	if r := h.mustVerify(user, c.ID, wrongCode(code)); r.Valid || r.AttemptsLeft != 4 {
		t.Fatalf("wrong SMS code: %+v", r)
	}
	r := h.mustVerify(user, c.ID, code)
	if !r.Valid || r.Method != "sms" || r.Factor == nil || !r.Factor.Verified {
		t.Fatalf("SMS code: %+v", r)
	}

	// The resend cooldown, then the default template.
	h.clock.Advance(10 * time.Second)
	_, err = h.challenge(user, e.Factor.ID)
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonResendTooSoon)
	h.clock.Advance(api.ResendCooldown)
	c2 := h.mustChallenge(user, e.Factor.ID)
	reqs = h.sms.requests()
	m = regexp.MustCompile(`^Your verification code is ([0-9]{6})$`).FindStringSubmatch(reqs[len(reqs)-1].body)
	if m == nil {
		t.Fatalf("default template: %q", reqs[len(reqs)-1].body)
	}
	// Expiry after ten minutes, by the service's clock.
	h.clock.Advance(api.ChallengeTTL)
	_, err = h.verify(user, c2.ID, m[1])
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonExpired)

	// A provider failing is retried, then delivery_failed; the factor can
	// be challenged again at once.
	before := len(h.sms.requests())
	h.sms.failNext(3)
	_, err = h.challenge(user, e.Factor.ID)
	wantReason(t, err, natsrpc.CodeUnavailable, api.ReasonDeliveryFailed)
	if n := len(h.sms.requests()) - before; n != 3 {
		t.Fatalf("provider tried %d times, want 3", n)
	}
	if n := h.counter("gatehouse_mfa_deliveries_total", map[string]string{"channel": "sms", "outcome": "failed"}); n != 1 {
		t.Fatalf("failed deliveries counted %v", n)
	}
	if n := h.counter("gatehouse_mfa_deliveries_total", map[string]string{"channel": "sms", "outcome": "retried"}); n != 2 {
		t.Fatalf("retries counted %v", n)
	}
	h.sms.failNext(1)
	c3 := h.mustChallenge(user, e.Factor.ID) // one failure, then sent
	reqs = h.sms.requests()
	m = regexp.MustCompile(`([0-9]{6})$`).FindStringSubmatch(reqs[len(reqs)-1].body)
	if r := h.mustVerify(user, c3.ID, m[1]); !r.Valid {
		t.Fatalf("code after a retried delivery: %+v", r)
	}
}

func TestDestinationRateLimit(t *testing.T) {
	h := newHarness(t, func(c *mfa.Config) { c.DestinationLimit = 2 })
	const user = "user_rate"
	a := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+442071838750"})
	b := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+442071838750"})
	h.mustChallenge(user, a.Factor.ID)
	h.mustChallenge(user, b.Factor.ID)
	h.clock.Advance(time.Minute)
	_, err := h.challenge(user, a.Factor.ID)
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonRateLimited)
	if n := len(h.sms.requests()); n != 2 {
		t.Fatalf("%d SMS sent, want 2", n)
	}
	h.clock.Advance(time.Hour)
	h.mustChallenge(user, a.Factor.ID)
}

func TestEmailFactorThroughSMTP(t *testing.T) {
	h := newHarness(t)
	const user = "user_email"
	for _, bad := range []string{"not-an-address", "Ada <ada@example.com>", ""} {
		if _, err := h.enroll(api.EnrollRequest{UserID: user, Type: api.FactorEmail, Email: bad}); !natsrpc.IsCode(err, natsrpc.CodeInvalidArgument) {
			t.Errorf("email %q: %v", bad, err)
		}
	}
	e := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorEmail, Email: "ada@example.com"})
	if e.Factor.Masked != "a•••@example.com" {
		t.Errorf("masked %q", e.Factor.Masked)
	}
	c := h.mustChallenge(user, e.Factor.ID)
	if c.ExpiresAt == nil {
		t.Fatal("email challenge without expiry")
	}
	msgs := h.smtp.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "ada@example.com" ||
		!strings.Contains(msgs[0].Data, "Subject: Your verification code") {
		t.Fatalf("SMTP server received %+v", msgs)
	}
	m := regexp.MustCompile(`code is ([0-9]{6})\.`).FindStringSubmatch(msgs[0].Data)
	if m == nil {
		t.Fatalf("no code in the email:\n%s", msgs[0].Data)
	}
	r := h.mustVerify(user, c.ID, m[1])
	if !r.Valid || r.Method != "email" {
		t.Fatalf("email code: %+v", r)
	}
	if n := h.counter("gatehouse_mfa_deliveries_total", map[string]string{"channel": "email", "outcome": "sent"}); n != 1 {
		t.Fatalf("email deliveries counted %v", n)
	}
}

func TestNoProviderMeansNotAllowed(t *testing.T) {
	h := newHarness(t, func(c *mfa.Config) { c.SMS, c.Mailer = nil, nil })
	_, err := h.enroll(api.EnrollRequest{UserID: "u", Type: api.FactorSMS, PhoneNumber: "+15551234567"})
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonFactorNotAllowed)
	_, err = h.enroll(api.EnrollRequest{UserID: "u", Type: api.FactorEmail, Email: "a@example.com"})
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonFactorNotAllowed)
}

// TestDeliveryStopsAtTheRequestDeadline: retries are bounded by the
// caller's deadline: once it passes, no attempt is made, and the factor
// can be challenged again at once.
func TestDeliveryStopsAtTheRequestDeadline(t *testing.T) {
	h := newHarness(t, func(c *mfa.Config) { c.DeliveryBackoff = 5 * time.Second })
	const user = "user_deadline"
	e := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+15551234567"})
	h.sms.failNext(10)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := natsrpc.Call[api.ChallengeRequest, api.Challenge](ctx, h.nc, api.SubjectChallenge,
		api.ChallengeRequest{Env: env, UserID: user, FactorID: e.Factor.ID}); err == nil {
		t.Fatal("a challenge whose delivery kept failing succeeded")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the challenge took %v", took)
	}
	// The service ends its attempt when the deadline passes, and gives the
	// cooldown back.
	deadline := time.Now().Add(10 * time.Second)
	for h.counter("gatehouse_mfa_deliveries_total", map[string]string{"channel": "sms", "outcome": "failed"}) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the delivery never gave up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(h.sms.requests()); n != 1 {
		t.Fatalf("the provider received %d requests, want 1", n)
	}
	if logs := h.logs.String(); strings.Count(logs, "code delivery failed") != 1 {
		t.Fatalf("attempts after the deadline:\n%s", logs)
	}
	for {
		var open int
		var sent *time.Time
		if err := h.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM mfa.challenges WHERE factor_id = $1),
			(SELECT last_sent_at FROM mfa.factors WHERE id = $1)`, e.Factor.ID).Scan(&open, &sent); err != nil {
			t.Fatal(err)
		}
		if open == 0 && sent == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the failed delivery: %d challenges, last sent %v", open, sent)
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.sms.failNext(0)
	h.mustChallenge(user, e.Factor.ID)
}
