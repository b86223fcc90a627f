package mfa

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// totpSkew is how many time steps either side of now a TOTP code may be
// from (RFC 6238 §5.2 allows one for network delay and clock drift).
const totpSkew = 1

// verify serves api.SubjectVerify.
func (s *Service) verify(ctx context.Context, req api.VerifyRequest) (api.VerifyResponse, error) {
	if err := validateUser(req.Env, req.UserID); err != nil {
		return api.VerifyResponse{}, err
	}
	if err := validateText("challengeId", req.ChallengeID, maxIDLen, true); err != nil {
		return api.VerifyResponse{}, err
	}
	c, f, err := s.store.challenge(ctx, req.Env, req.UserID, req.ChallengeID)
	if err != nil {
		return api.VerifyResponse{}, err
	}
	if c == nil {
		return api.VerifyResponse{}, notFound("challenge %s of user %s does not exist", req.ChallengeID, req.UserID)
	}
	factor := string(c.typ)
	if err := validateCodeFormat(req.Code); err != nil {
		s.metrics.verified(factor, api.ReasonInvalidCodeFormat)
		return api.VerifyResponse{}, err
	}
	// A policy that stopped allowing the type since the challenge was made
	// stops its use too.
	if err := s.allowedByPolicy(ctx, c.env, c.typ); err != nil {
		s.metrics.verified(factor, api.ReasonFactorNotAllowed)
		return api.VerifyResponse{}, err
	}
	var check checkFunc
	switch c.typ {
	case api.FactorTOTP:
		plain, err := s.data.Decrypt(ctx, f.env, kapi.PurposeTOTPSecret, f.id, f.secret)
		if err != nil {
			return api.VerifyResponse{}, fmt.Errorf("decrypt the TOTP secret of %s: %w", f.id, err)
		}
		secret := string(plain)
		check = func(_ *challengeRow, f *factorRow) (bool, *int64) {
			return totpMatch(secret, req.Code, s.now().Unix(), f.lastStep)
		}
	default:
		key, err := s.codes.key(ctx, c.env)
		if err != nil {
			return api.VerifyResponse{}, err
		}
		check = func(c *challengeRow, _ *factorRow) (bool, *int64) {
			return subtle.ConstantTimeCompare(keyedHash(key, "challenge", c.id, req.Code), c.codeHash) == 1, nil
		}
	}
	res, err := s.store.verify(ctx, req.Env, req.UserID, req.ChallengeID, s.now(), check)
	if err != nil {
		if reason := api.ReasonOf(err); reason != "" {
			s.metrics.verified(factor, reason)
		}
		return api.VerifyResponse{}, err
	}
	out := api.VerifyResponse{Valid: res.valid, Challenge: res.challenge.public()}
	log := s.log.With("env", req.Env, "user", req.UserID, "factor", res.factor.id, "challenge", c.id)
	if !res.valid {
		s.metrics.verified(factor, "invalid")
		out.AttemptsLeft = res.attemptsLeft
		if res.lockedNow {
			s.metrics.lockout("challenge")
			log.WarnContext(ctx, "challenge locked after too many wrong codes", "attempts", api.MaxChallengeAttempts)
		}
		if res.userLocked {
			s.metrics.lockout("user")
			log.WarnContext(ctx, "user's factors locked after too many wrong codes in a row", "failures", api.MaxConsecutiveFailures)
		}
		return out, nil
	}
	s.metrics.verified(factor, "valid")
	if res.firstUse {
		s.metrics.enrolled(factor)
		log.InfoContext(ctx, "factor verified: enrollment complete", "type", factor)
	}
	pub := res.factor.public()
	out.Factor, out.Method = &pub, c.typ.AMR()
	return out, nil
}

// totpMatch reports whether code is the TOTP code of secret for a time step
// within totpSkew of unix's and later than lastStep, and which step. Every
// candidate is compared, in constant time.
func totpMatch(secret, code string, unix int64, lastStep *int64) (bool, *int64) {
	now := unix / totpPeriod
	var matched *int64
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := now + d
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return false, nil
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && (lastStep == nil || step > *lastStep) {
			matched = &step
		}
	}
	return matched != nil, matched
}
