package tokens

import (
	"context"
	"errors"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// verifyFailures maps verification failures to the result label
// introspection counts them under.
var verifyFailures = []struct {
	err    error
	result string
}{
	{api.ErrMalformed, "malformed"}, {api.ErrAlgorithm, "algorithm"}, {api.ErrUnknownKey, "unknown_key"},
	{api.ErrSignature, "bad_signature"}, {api.ErrType, "wrong_type"}, {api.ErrIssuer, "wrong_issuer"},
	{api.ErrAudience, "wrong_audience"}, {api.ErrExpired, "expired"}, {api.ErrNotYetValid, "not_yet_valid"},
}

// verifyResult names why a token failed verification; ok is false when err
// is not about the token (a database failure) and must be returned.
func verifyResult(err error) (result string, ok bool) {
	for _, f := range verifyFailures {
		if errors.Is(err, f.err) {
			return f.result, true
		}
	}
	return "", false
}

// verifyAccess verifies an access token of env against the env's keys.
func (s *Service) verifyAccess(ctx context.Context, env, token string) (*api.Token, error) {
	return api.VerifyWith(token, s.keys.keySource(ctx, env), api.VerifyOptions{
		Issuer: s.cfg.Issuer(env), Type: api.TypeAccessToken, Now: s.now()})
}

func clientMismatch() error {
	return api.Errorf(natsrpc.CodePermissionDenied, api.ReasonClientMismatch, "the token was issued to another client")
}

// revoke serves api.SubjectRevoke.
func (s *Service) revoke(ctx context.Context, req api.RevokeRequest) (api.RevokeResponse, error) {
	if err := validateEnv(req.Env); err != nil {
		return api.RevokeResponse{}, err
	}
	if err := validateToken("token", req.Token); err != nil {
		return api.RevokeResponse{}, err
	}
	if err := validateText("clientId", req.ClientID, api.MaxIDLen, false); err != nil {
		return api.RevokeResponse{}, err
	}
	now := s.now()
	if hash, ok := parseRefresh(req.Token); ok {
		r, f, err := s.store.lookupRefresh(ctx, hash)
		if err != nil {
			return api.RevokeResponse{}, err
		}
		if r == nil || r.env != req.Env {
			return api.RevokeResponse{}, nil
		}
		if req.ClientID != "" && f.clientID != req.ClientID {
			return api.RevokeResponse{}, clientMismatch()
		}
		n, revoked, err := s.store.revokeFamily(ctx, f.id, "revoked", now)
		if err != nil {
			return api.RevokeResponse{}, err
		}
		if revoked {
			s.metrics.revoked("refresh_family", "request", 1)
			s.metrics.revoked("access_token", "request", n)
		}
		return api.RevokeResponse{Revoked: revoked, TokenType: api.TokenTypeRefresh}, nil
	}
	tok, err := s.verifyAccess(ctx, req.Env, req.Token)
	if err != nil {
		if _, ok := verifyResult(err); ok {
			return api.RevokeResponse{}, nil
		}
		return api.RevokeResponse{}, err
	}
	rec, err := s.store.accessRecord(ctx, req.Env, tok.ID)
	if err != nil || rec == nil {
		return api.RevokeResponse{}, err
	}
	if req.ClientID != "" && rec.clientID != req.ClientID {
		return api.RevokeResponse{}, clientMismatch()
	}
	revoked, err := s.store.revokeAccess(ctx, req.Env, tok.ID, now)
	if err != nil {
		return api.RevokeResponse{}, err
	}
	if revoked {
		s.metrics.revoked("access_token", "request", 1)
	}
	return api.RevokeResponse{Revoked: revoked, TokenType: api.TokenTypeAccess}, nil
}

// revokeSubject serves api.SubjectRevokeSubject.
func (s *Service) revokeSubject(ctx context.Context, req api.RevokeSubjectRequest) (api.RevokeGrantResponse, error) {
	if err := validateEnv(req.Env); err != nil {
		return api.RevokeGrantResponse{}, err
	}
	if err := validateText("subject", req.Subject, api.MaxIDLen, true); err != nil {
		return api.RevokeGrantResponse{}, err
	}
	if err := validateText("reason", req.Reason, maxReasonLen, false); err != nil {
		return api.RevokeGrantResponse{}, err
	}
	reason := req.Reason
	if reason == "" {
		reason = "subject_revoked"
	}
	fams, access, err := s.store.revokeSubject(ctx, req.Env, req.Subject, reason, s.now())
	if err != nil {
		return api.RevokeGrantResponse{}, err
	}
	s.metrics.revoked("refresh_family", "subject", fams)
	s.metrics.revoked("access_token", "subject", access)
	if fams+access > 0 {
		s.log.Info("tokens of a subject revoked", "env", req.Env, "subject", req.Subject, "reason", reason,
			"families", fams, "accessTokens", access)
	}
	return api.RevokeGrantResponse{Families: fams, AccessTokens: access}, nil
}

// revokeGrant serves api.SubjectRevokeGrant.
func (s *Service) revokeGrant(ctx context.Context, req api.RevokeGrantRequest) (api.RevokeGrantResponse, error) {
	if err := validateEnv(req.Env); err != nil {
		return api.RevokeGrantResponse{}, err
	}
	if err := validateText("grantId", req.GrantID, api.MaxIDLen, true); err != nil {
		return api.RevokeGrantResponse{}, err
	}
	if err := validateText("reason", req.Reason, maxReasonLen, false); err != nil {
		return api.RevokeGrantResponse{}, err
	}
	reason := req.Reason
	if reason == "" {
		reason = "grant_revoked"
	}
	fams, access, err := s.store.revokeGrant(ctx, req.Env, req.GrantID, reason, s.now())
	if err != nil {
		return api.RevokeGrantResponse{}, err
	}
	s.metrics.revoked("refresh_family", "grant", fams)
	s.metrics.revoked("access_token", "grant", access)
	if fams+access > 0 {
		s.log.Info("grant revoked", "env", req.Env, "grant", req.GrantID, "reason", reason,
			"families", fams, "accessTokens", access)
	}
	return api.RevokeGrantResponse{Families: fams, AccessTokens: access}, nil
}
