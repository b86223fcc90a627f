package platform

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

func TestMFATargetSendsCodesToTheDevelopmentOutbox(t *testing.T) {
	p := startPlatform(t)
	const user = "user_platform_mfa"
	e, err := call[api.EnrollRequest, api.EnrollResponse](t, p, api.SubjectEnroll,
		api.EnrollRequest{Env: env, UserID: user, Type: api.FactorSMS, PhoneNumber: "+15551234567"})
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	c, err := call[api.ChallengeRequest, api.Challenge](t, p, api.SubjectChallenge,
		api.ChallengeRequest{Env: env, UserID: user, FactorID: e.Factor.ID})
	if err != nil {
		t.Fatalf("challenge: %v", err)
	}
	out := p.Outbox()
	if out == nil {
		t.Fatal("no development outbox")
	}
	msgs := out.Messages()
	if len(msgs) == 0 || msgs[0].Channel != "sms" || msgs[0].To != "+15551234567" {
		t.Fatalf("outbox %+v", msgs)
	}
	code := regexp.MustCompile(`[0-9]{6}`).FindString(msgs[0].Text)
	r, err := call[api.VerifyRequest, api.VerifyResponse](t, p, api.SubjectVerify,
		api.VerifyRequest{Env: env, UserID: user, ChallengeID: c.ID, Code: code})
	if err != nil || !r.Valid {
		t.Fatalf("verify: %+v %v", r, err)
	}
}

func TestMFAProviderFlagsAreChecked(t *testing.T) {
	t.Setenv(EnvSMSAuthToken, "")
	cfg := DefaultConfig()
	cfg.Mode, cfg.DatabaseURL, cfg.MasterKey, cfg.IssuerURL = ModeProduction, "postgres://db/gatehouse", "k", "https://id.example.test"
	cfg.Targets, cfg.NATSURL = "mfa", "nats://nats:4222"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("mfa without providers: %v", err)
	}
	cfg.SMTPHost = "smtp.example.test" // no -smtp-from
	cfg.SMSAccountSID, cfg.SMSFrom = "AC1", "+15550000000"
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "-smtp-") || !strings.Contains(err.Error(), EnvSMSAuthToken) {
		t.Fatalf("incomplete providers: %v", err)
	}
	t.Setenv(EnvSMSAuthToken, "token-from-the-environment")
	cfg.SMTPFrom = "no-reply@example.test"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("complete providers: %v", err)
	}
	mailer, sms, err := cfg.providers()
	if err != nil || mailer == nil || sms == nil {
		t.Fatalf("providers: %v %v %v", mailer, sms, err)
	}
}
