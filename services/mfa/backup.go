package mfa

import (
	"context"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// generateBackupCodes serves api.SubjectGenerateBackupCodes.
func (s *Service) generateBackupCodes(ctx context.Context, req api.UserRequest) (api.BackupCodesResponse, error) {
	if err := validateUser(req.Env, req.UserID); err != nil {
		return api.BackupCodesResponse{}, err
	}
	if err := s.allowed(ctx, req.Env, api.FactorBackupCode); err != nil {
		return api.BackupCodesResponse{}, err
	}
	key, err := s.codes.key(ctx, req.Env)
	if err != nil {
		return api.BackupCodesResponse{}, err
	}
	codes := make([]string, 0, api.BackupCodeCount)
	stored := make([]storedBackupCode, 0, api.BackupCodeCount)
	seen := map[string]bool{}
	for len(codes) < api.BackupCodeCount {
		code, err := newBackupCode()
		if err != nil {
			return api.BackupCodesResponse{}, err
		}
		norm, _ := normalizeBackupCode(code)
		if seen[norm] {
			continue
		}
		seen[norm] = true
		c, err := newStoredBackupCode(backupPepper(key, req.UserID, norm))
		if err != nil {
			return api.BackupCodesResponse{}, err
		}
		codes = append(codes, code)
		stored = append(stored, c)
	}
	f, err := s.store.replaceBackupCodes(ctx, req.Env, req.UserID, ids.New(prefixFactor), stored, s.now())
	if err != nil {
		return api.BackupCodesResponse{}, err
	}
	s.metrics.enrolled(string(api.FactorBackupCode))
	s.log.InfoContext(ctx, "backup codes generated; any earlier set no longer works", "env", req.Env, "user", req.UserID, "factor", f.id)
	return api.BackupCodesResponse{Factor: f.public(), Codes: codes}, nil
}

// backupPepper is the keyed hash of a normalized backup code of a user,
// which its stored form hashes again with a salt (newStoredBackupCode).
func backupPepper(key []byte, userID, norm string) []byte {
	return keyedHash(key, "backup_code", userID, norm)
}

// verifyBackupCode serves api.SubjectVerifyBackupCode.
func (s *Service) verifyBackupCode(ctx context.Context, req api.BackupCodeRequest) (api.VerifyResponse, error) {
	factor := string(api.FactorBackupCode)
	if err := validateUser(req.Env, req.UserID); err != nil {
		return api.VerifyResponse{}, err
	}
	norm, err := normalizeBackupCode(req.Code)
	if err != nil {
		s.metrics.verified(factor, api.ReasonInvalidCodeFormat)
		return api.VerifyResponse{}, api.Errorf(natsrpc.CodeInvalidArgument, api.ReasonInvalidCodeFormat,
			"a backup code is %d letters and digits, like abcde-23456", backupCodeLen)
	}
	if err := s.allowedByPolicy(ctx, req.Env, api.FactorBackupCode); err != nil {
		s.metrics.verified(factor, api.ReasonFactorNotAllowed)
		return api.VerifyResponse{}, err
	}
	key, err := s.codes.key(ctx, req.Env)
	if err != nil {
		return api.VerifyResponse{}, err
	}
	valid, f, userLocked, err := s.store.useBackupCode(ctx, req.Env, req.UserID, backupPepper(key, req.UserID, norm), s.now())
	if err != nil {
		if reason := api.ReasonOf(err); reason != "" {
			s.metrics.verified(factor, reason)
		}
		return api.VerifyResponse{}, err
	}
	out := api.VerifyResponse{Valid: valid, Challenge: api.Challenge{Type: api.FactorBackupCode}}
	if f != nil {
		out.Challenge.FactorID = f.id
	}
	if !valid {
		s.metrics.verified(factor, "invalid")
		if userLocked {
			s.metrics.lockout("user")
			s.log.WarnContext(ctx, "user's factors locked after too many wrong codes in a row", "env", req.Env, "user", req.UserID,
				"failures", api.MaxConsecutiveFailures)
		}
		return out, nil
	}
	s.metrics.verified(factor, "valid")
	s.log.InfoContext(ctx, "backup code used", "env", req.Env, "user", req.UserID, "factor", f.id, "remaining", f.remaining)
	pub := f.public()
	out.Factor, out.Method = &pub, api.FactorBackupCode.AMR()
	return out, nil
}
