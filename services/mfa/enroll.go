package mfa

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image/png"
	"slices"
	"strings"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/delivery"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// Prefixes of the service's ids.
const (
	prefixFactor    = "auth_factor"
	prefixChallenge = "auth_challenge"
)

// TOTP parameters: what every authenticator app reads (RFC 6238 defaults).
const (
	totpPeriod     = 30
	totpSecretSize = 20 // bytes: 160 bits, as RFC 4226 recommends
	qrCodeSize     = 256
)

// enroll serves api.SubjectEnroll.
func (s *Service) enroll(ctx context.Context, req api.EnrollRequest) (api.EnrollResponse, error) {
	if err := validateUser(req.Env, req.UserID); err != nil {
		return api.EnrollResponse{}, err
	}
	switch req.Type {
	case api.FactorTOTP, api.FactorSMS, api.FactorEmail:
	case api.FactorBackupCode:
		return api.EnrollResponse{}, invalid("backup codes are not enrolled: generate them with %s", api.SubjectGenerateBackupCodes)
	default:
		return api.EnrollResponse{}, invalid("factor type %q is unknown: use %s, %s or %s", req.Type, api.FactorTOTP, api.FactorSMS, api.FactorEmail)
	}
	if err := s.allowed(ctx, req.Env, req.Type); err != nil {
		return api.EnrollResponse{}, err
	}
	now := s.now()
	f := &factorRow{id: ids.New(prefixFactor), env: req.Env, userID: req.UserID, typ: req.Type, createdAt: now, updatedAt: now}
	var enrollment *api.TOTPEnrollment
	switch req.Type {
	case api.FactorTOTP:
		var err error
		if enrollment, err = s.newTOTP(ctx, f, req); err != nil {
			return api.EnrollResponse{}, err
		}
	case api.FactorSMS:
		if !delivery.ValidPhoneNumber(req.PhoneNumber) {
			return api.EnrollResponse{}, api.Errorf(natsrpc.CodeInvalidArgument, api.ReasonInvalidPhoneNumber,
				"phone number %q is not in E.164 format: a \"+\", the country code and the number, digits only, like +15551234567",
				truncate(req.PhoneNumber, 40))
		}
		f.phone = req.PhoneNumber
	case api.FactorEmail:
		if err := validateText("email", req.Email, 254, true); err != nil {
			return api.EnrollResponse{}, err
		}
		if err := (delivery.Email{To: req.Email, Subject: "check"}).Check(); err != nil {
			return api.EnrollResponse{}, invalid("email %q is not a bare email address like name@example.com", req.Email)
		}
		f.email = req.Email
	}
	if err := s.store.insertFactor(ctx, f); err != nil {
		return api.EnrollResponse{}, err
	}
	s.log.InfoContext(ctx, "factor enrolled, awaiting its first code", "env", f.env, "user", f.userID, "factor", f.id, "type", f.typ)
	return api.EnrollResponse{Factor: f.public(), TOTP: enrollment}, nil
}

// newTOTP makes f's secret, encrypted through the keys service, and what to
// show the user once.
func (s *Service) newTOTP(ctx context.Context, f *factorRow, req api.EnrollRequest) (*api.TOTPEnrollment, error) {
	for field, v := range map[string]string{"issuer": req.Issuer, "user": req.User} {
		if err := validateText(field, v, 128, true); err != nil {
			return nil, err
		}
		if strings.Contains(v, ":") {
			return nil, invalid("%s %q must not contain ':' (it separates the issuer from the account in the otpauth URI)", field, v)
		}
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: req.Issuer, AccountName: req.User, Period: totpPeriod,
		SecretSize: totpSecretSize, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("make a TOTP secret: %w", err)
	}
	img, err := key.Image(qrCodeSize, qrCodeSize)
	if err != nil {
		return nil, fmt.Errorf("draw the TOTP QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode the TOTP QR code: %w", err)
	}
	if f.secret, err = s.data.Encrypt(ctx, f.env, kapi.PurposeTOTPSecret, f.id, []byte(key.Secret())); err != nil {
		return nil, fmt.Errorf("encrypt the TOTP secret of %s: %w", f.id, err)
	}
	return &api.TOTPEnrollment{Secret: key.Secret(), URI: key.URL(), Issuer: req.Issuer, User: req.User,
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// allowed refuses a factor type env's policy does not allow, or one no
// provider can deliver.
func (s *Service) allowed(ctx context.Context, env string, t api.FactorType) error {
	if err := s.allowedByPolicy(ctx, env, t); err != nil {
		return err
	}
	switch {
	case t == api.FactorSMS && s.cfg.SMS == nil:
		return api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonFactorNotAllowed, "no SMS provider is configured")
	case t == api.FactorEmail && s.cfg.Mailer == nil:
		return api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonFactorNotAllowed, "no mailer is configured")
	}
	return nil
}

// allowedByPolicy refuses a factor type env's policy does not allow: it
// can be neither enrolled nor used (api.Policy.AllowedFactors).
func (s *Service) allowedByPolicy(ctx context.Context, env string, t api.FactorType) error {
	p, err := s.store.policy(ctx, env)
	if err != nil {
		return err
	}
	if !slices.Contains(p.AllowedFactors, t) {
		return api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonFactorNotAllowed,
			"the MFA policy of environment %s does not allow %s factors", env, t)
	}
	return nil
}

// listFactors serves api.SubjectFactors.
func (s *Service) listFactors(ctx context.Context, req api.UserRequest) (api.FactorsResponse, error) {
	if err := validateUser(req.Env, req.UserID); err != nil {
		return api.FactorsResponse{}, err
	}
	rows, err := s.store.factors(ctx, req.Env, req.UserID)
	if err != nil {
		return api.FactorsResponse{}, err
	}
	out := api.FactorsResponse{Factors: make([]api.Factor, 0, len(rows))}
	for _, f := range rows {
		out.Factors = append(out.Factors, f.public())
	}
	return out, nil
}

// deleteFactor serves api.SubjectDeleteFactor.
func (s *Service) deleteFactor(ctx context.Context, req api.FactorRequest) (api.Empty, error) {
	if err := validateUser(req.Env, req.UserID); err != nil {
		return api.Empty{}, err
	}
	if err := validateText("factorId", req.FactorID, maxIDLen, true); err != nil {
		return api.Empty{}, err
	}
	ok, err := s.store.deleteFactor(ctx, req.Env, req.UserID, req.FactorID)
	if err != nil {
		return api.Empty{}, err
	}
	if !ok {
		return api.Empty{}, notFound("factor %s of user %s does not exist", req.FactorID, req.UserID)
	}
	s.log.InfoContext(ctx, "factor deleted", "env", req.Env, "user", req.UserID, "factor", req.FactorID)
	return api.Empty{}, nil
}

// truncate shortens v for an error message.
func truncate(v string, n int) string {
	if len(v) <= n {
		return v
	}
	return v[:n] + "…"
}
