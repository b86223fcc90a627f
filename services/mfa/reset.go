package mfa

import (
	"context"

	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// reset serves api.SubjectReset.
func (s *Service) reset(ctx context.Context, req api.ResetRequest) (api.ResetResponse, error) {
	if err := validateUser(req.Env, req.UserID); err != nil {
		return api.ResetResponse{}, err
	}
	if err := validateText("actor", req.Actor, maxIDLen, true); err != nil {
		return api.ResetResponse{}, err
	}
	if err := validateText("reason", req.Reason, maxReasonLen, false); err != nil {
		return api.ResetResponse{}, err
	}
	n, err := s.store.reset(ctx, req.Env, req.UserID)
	if err != nil {
		return api.ResetResponse{}, err
	}
	s.log.WarnContext(ctx, "MFA reset: every factor and backup code removed, lock cleared", "env", req.Env, "user", req.UserID,
		"actor", req.Actor, "reason", req.Reason, "factors", n)
	return api.ResetResponse{Factors: n}, nil
}
