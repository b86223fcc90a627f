package mfa_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/mfa"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// TestUserSendLimit: a user gets at most UserSendLimit codes per
// UserSendWindow across all their SMS and email factors, however many
// numbers they enroll and however often they delete and enroll one again;
// another user, and the same user in another environment, are counted
// apart.
func TestUserSendLimit(t *testing.T) {
	h := newHarness(t, func(c *mfa.Config) { c.UserSendLimit = 3 })
	const user, other = "user_pump", "user_neighbour"
	enrollIn := func(envName, user, phone string) string {
		t.Helper()
		return h.mustEnroll(api.EnrollRequest{Env: envName, UserID: user, Type: api.FactorSMS, PhoneNumber: phone}).Factor.ID
	}
	challengeIn := func(envName, user, factor string) error {
		t.Helper()
		_, err := call[api.ChallengeRequest, api.Challenge](t, h.nc, api.SubjectChallenge,
			api.ChallengeRequest{Env: envName, UserID: user, FactorID: factor})
		return err
	}
	lastSent := func(factor string) *time.Time {
		t.Helper()
		var at *time.Time
		if err := h.pool.QueryRow(context.Background(), `SELECT last_sent_at FROM mfa.factors WHERE id = $1`, factor).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	wantUserLimited := func(err error) {
		t.Helper()
		wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonRateLimited)
		if msg := err.Error(); !strings.Contains(msg, "3 codes were sent to user "+user) || !strings.Contains(msg, "across all their") {
			t.Fatalf("the refusal does not say the user had their limit: %v", err)
		}
	}

	// Three numbers, one code each: the user's limit.
	first := enrollIn(env, user, "+15550000001")
	second := enrollIn(env, user, "+15550000002")
	third := enrollIn(env, user, "+15550000003")
	for _, f := range []string{first, second, third} {
		h.mustChallenge(user, f)
	}
	// A fourth number, and the first one deleted and enrolled again, are
	// refused though each destination had at most one code.
	fourth := enrollIn(env, user, "+15550000004")
	wantUserLimited(challengeIn(env, user, fourth))
	if _, err := call[api.FactorRequest, api.Empty](t, h.nc, api.SubjectDeleteFactor,
		api.FactorRequest{Env: env, UserID: user, FactorID: first}); err != nil {
		t.Fatal(err)
	}
	again := enrollIn(env, user, "+15550000001")
	wantUserLimited(challengeIn(env, user, again))
	// Email codes count too.
	email := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorEmail, Email: "pump@example.com"}).Factor.ID
	wantUserLimited(challengeIn(env, user, email))
	if n := len(h.sms.requests()); n != 3 {
		t.Fatalf("%d SMS sent, want 3", n)
	}
	if n := len(h.smtp.Messages()); n != 0 {
		t.Fatalf("%d emails sent past the user's limit", n)
	}
	// A refused code leaves no cooldown behind.
	for _, f := range []string{fourth, again, email} {
		if at := lastSent(f); at != nil {
			t.Fatalf("factor %s refused a code but its cooldown started at %v", f, at)
		}
	}

	// Another user, even sending to a number the first one used, is not
	// affected.
	h.mustChallenge(other, enrollIn(env, other, "+15550000002"))
	// The same user id in another environment has a count of its own, and
	// a limit of its own.
	for _, phone := range []string{"+15550000011", "+15550000012", "+15550000013"} {
		if err := challengeIn("staging", user, enrollIn("staging", user, phone)); err != nil {
			t.Fatalf("a code to %s in staging: %v", user, err)
		}
	}
	wantUserLimited(challengeIn("staging", user, enrollIn("staging", user, "+15550000014")))
	// ... and did not use up the production count: still refused there,
	// no more, no less.
	wantUserLimited(challengeIn(env, user, fourth))
	if n := len(h.sms.requests()); n != 7 {
		t.Fatalf("%d SMS sent, want 7", n)
	}

	// The window slides: an hour after the first codes, the user gets
	// three more (the refused ones were not counted), then no more.
	h.clock.Advance(time.Hour + time.Second)
	for _, f := range []string{fourth, again, email} {
		h.mustChallenge(user, f)
	}
	h.clock.Advance(api.ResendCooldown)
	wantUserLimited(challengeIn(env, user, second))
	if n := len(h.smtp.Messages()); n != 1 {
		t.Fatalf("%d emails sent, want 1", n)
	}
}

// TestUserSendLimitLeavesTheDestinationLimit: with a user limit above it,
// the per-destination limit still answers first and as before.
func TestUserSendLimitLeavesTheDestinationLimit(t *testing.T) {
	h := newHarness(t, func(c *mfa.Config) { c.DestinationLimit, c.UserSendLimit = 1, 5 })
	const user = "user_dest"
	a := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+15550000021"}).Factor.ID
	b := h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorSMS, PhoneNumber: "+15550000021"}).Factor.ID
	h.mustChallenge(user, a)
	_, err := h.challenge(user, b)
	wantReason(t, err, natsrpc.CodeFailedPrecondition, api.ReasonRateLimited)
	if !strings.Contains(err.Error(), "sent to this phone number") {
		t.Fatalf("want the destination's limit, got %v", err)
	}
}

// TestConfigChecksTheNewLimits: the user limit and the age of unverified
// factors are checked before anything starts.
func TestConfigChecksTheNewLimits(t *testing.T) {
	for field, cfg := range map[string]mfa.Config{
		"UserSendLimit":       {UserSendLimit: -1},
		"UserSendWindow":      {UserSendWindow: time.Second},
		"UnverifiedFactorTTL": {UnverifiedFactorTTL: time.Minute},
	} {
		_, err := mfa.Start(context.Background(), nil, nil, cfg)
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s out of range: %v", field, err)
		}
	}
}
