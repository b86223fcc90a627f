package mfa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/delivery"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// emailSubject is the subject of an email code.
const emailSubject = "Your verification code"

// challenge serves api.SubjectChallenge.
func (s *Service) challenge(ctx context.Context, req api.ChallengeRequest) (api.Challenge, error) {
	if err := validateUser(req.Env, req.UserID); err != nil {
		return api.Challenge{}, err
	}
	if err := validateText("factorId", req.FactorID, maxIDLen, true); err != nil {
		return api.Challenge{}, err
	}
	template := req.SMSTemplate
	if template == "" {
		template = defaultTemplate
	}
	if err := validateText("smsTemplate", template, maxTemplateLen, false); err != nil {
		return api.Challenge{}, err
	}
	if !strings.Contains(template, codePlaceholder) {
		return api.Challenge{}, invalid("smsTemplate must contain %s where the code goes", codePlaceholder)
	}
	f, err := s.store.factor(ctx, req.Env, req.UserID, req.FactorID)
	if err != nil {
		return api.Challenge{}, err
	}
	if f == nil {
		return api.Challenge{}, notFound("factor %s of user %s does not exist", req.FactorID, req.UserID)
	}
	if f.typ == api.FactorBackupCode {
		return api.Challenge{}, invalid("backup codes are not challenged: verify one with %s", api.SubjectVerifyBackupCode)
	}
	if err := s.allowed(ctx, f.env, f.typ); err != nil {
		return api.Challenge{}, err
	}
	locked, err := s.store.lockedAt(ctx, f.env, f.userID)
	if err != nil {
		return api.Challenge{}, err
	}
	if locked != nil {
		return api.Challenge{}, lockedError(f.userID)
	}
	now := s.now()
	c := &challengeRow{id: ids.New(prefixChallenge), env: f.env, userID: f.userID, factorID: f.id, typ: f.typ, createdAt: now}
	if f.typ == api.FactorTOTP {
		if err := s.store.insertChallenge(ctx, c); err != nil {
			return api.Challenge{}, err
		}
		return c.public(), nil
	}
	if err := s.sendCode(ctx, f, c, template, now); err != nil {
		return api.Challenge{}, err
	}
	return c.public(), nil
}

// sendCode makes c's code, stores c and delivers the code, within the
// factor's cooldown and the destination's and the user's rate limits.
func (s *Service) sendCode(ctx context.Context, f *factorRow, c *challengeRow, template string, now time.Time) error {
	key, err := s.codes.key(ctx, f.env)
	if err != nil {
		return err
	}
	destination := f.phone
	if f.typ == api.FactorEmail {
		destination = strings.ToLower(f.email)
	}
	ok, prev, err := s.store.reserveSend(ctx, f.id, now, api.ResendCooldown)
	if err != nil {
		return err
	}
	if !ok {
		wait := api.ResendCooldown
		if f.lastSentAt != nil {
			wait = f.lastSentAt.Add(api.ResendCooldown).Sub(now)
		}
		return api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonResendTooSoon,
			"a code was sent to factor %s less than %v ago: try again in %ds", f.id, api.ResendCooldown, max(1, int(wait.Seconds()+0.999)))
	}
	verdict, err := s.store.recordSend(ctx, f.env, f.userID, keyedHash(key, "destination", destination), now,
		sendLimit{since: now.Add(-s.cfg.DestinationWindow), limit: s.cfg.DestinationLimit},
		sendLimit{since: now.Add(-s.cfg.UserSendWindow), limit: s.cfg.UserSendLimit})
	if err != nil {
		return errors.Join(err, s.store.restoreSend(ctx, f.id, prev))
	}
	switch verdict {
	case sendDestinationLimited:
		return errors.Join(api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonRateLimited,
			"%d codes were sent to this %s in the last %v, the most allowed: try again later",
			s.cfg.DestinationLimit, channelNoun(f.typ), s.cfg.DestinationWindow), s.store.restoreSend(ctx, f.id, prev))
	case sendUserLimited:
		s.log.WarnContext(ctx, "code refused: the user reached the send limit", "env", f.env, "user", f.userID, "factor", f.id,
			"limit", s.cfg.UserSendLimit, "window", s.cfg.UserSendWindow.String())
		return errors.Join(api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonRateLimited,
			"%d codes were sent to user %s in the last %v, across all their SMS and email factors, the most allowed: try again later",
			s.cfg.UserSendLimit, f.userID, s.cfg.UserSendWindow), s.store.restoreSend(ctx, f.id, prev))
	}
	code, err := randomDigits(api.CodeDigits)
	if err != nil {
		return err
	}
	expires := now.Add(api.ChallengeTTL)
	c.expiresAt = &expires
	c.codeHash = keyedHash(key, "challenge", c.id, code)
	if err := s.store.insertChallenge(ctx, c); err != nil {
		return errors.Join(err, s.store.restoreSend(ctx, f.id, prev))
	}
	if err := s.deliver(ctx, f, template, code); err != nil {
		// Nothing was delivered: the factor may be challenged again at once.
		cleanup := context.WithoutCancel(ctx)
		return errors.Join(err, s.store.deleteChallenge(cleanup, c.id), s.store.restoreSend(cleanup, f.id, prev))
	}
	s.log.InfoContext(ctx, "code sent", "env", f.env, "user", f.userID, "factor", f.id, "challenge", c.id, "channel", string(f.typ))
	return nil
}

// deliver sends code through the factor's channel, retrying with backoff.
func (s *Service) deliver(ctx context.Context, f *factorRow, template, code string) error {
	channel := string(f.typ)
	send := func() error {
		if f.typ == api.FactorSMS {
			return s.cfg.SMS.SendSMS(ctx, f.env, delivery.SMS{To: f.phone, Body: strings.ReplaceAll(template, codePlaceholder, code)})
		}
		return s.cfg.Mailer.Send(ctx, f.env, delivery.Email{To: f.email, Subject: emailSubject,
			Text: fmt.Sprintf("Your verification code is %s.\n\nIt expires in %d minutes. If you did not ask for it, ignore this message.\n",
				code, int(api.ChallengeTTL/time.Minute))})
	}
	wait := s.cfg.DeliveryBackoff
	attempts := 0
	for ctx.Err() == nil {
		attempts++
		err := send()
		if err == nil {
			s.metrics.delivery(channel, "sent")
			return nil
		}
		// Providers' errors name the status, not the text; a code echoed
		// by one is masked all the same.
		s.log.WarnContext(ctx, "code delivery failed", "env", f.env, "factor", f.id, "channel", channel, "attempt", attempts,
			"err", strings.ReplaceAll(err.Error(), code, "••••••"))
		if attempts >= s.cfg.DeliveryAttempts || ctx.Err() != nil {
			break
		}
		s.metrics.delivery(channel, "retried")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			// The request's time is up: no attempt is made that could not
			// finish.
			t.Stop()
		case <-t.C:
		}
		wait *= 2
	}
	s.metrics.delivery(channel, "failed")
	if attempts == 0 {
		return api.Errorf(natsrpc.CodeUnavailable, api.ReasonDeliveryFailed,
			"the %s code was not sent: the request's deadline passed first", channelName(f.typ))
	}
	return api.Errorf(natsrpc.CodeUnavailable, api.ReasonDeliveryFailed,
		"the %s code could not be delivered after %d attempt%s: try again later", channelName(f.typ), attempts, plural(attempts))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func channelName(t api.FactorType) string {
	if t == api.FactorSMS {
		return "SMS"
	}
	return "email"
}

func channelNoun(t api.FactorType) string {
	if t == api.FactorSMS {
		return "phone number"
	}
	return "email address"
}
