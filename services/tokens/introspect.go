package tokens

import (
	"context"

	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// introspect serves api.SubjectIntrospect.
func (s *Service) introspect(ctx context.Context, req api.IntrospectRequest) (api.IntrospectResponse, error) {
	if err := validateEnv(req.Env); err != nil {
		return api.IntrospectResponse{}, err
	}
	if err := validateToken("token", req.Token); err != nil {
		return api.IntrospectResponse{}, err
	}
	resp, result, err := s.introspectToken(ctx, req.Env, req.Token)
	if err != nil {
		return api.IntrospectResponse{}, err
	}
	s.metrics.introspected(result)
	return resp, nil
}

// introspectToken returns the response and the result label it is counted
// under.
func (s *Service) introspectToken(ctx context.Context, env, token string) (api.IntrospectResponse, string, error) {
	inactive := api.IntrospectResponse{}
	if hash, ok := parseRefresh(token); ok {
		r, f, err := s.store.lookupRefresh(ctx, hash)
		switch {
		case err != nil:
			return inactive, "", err
		case r == nil || r.env != env:
			return inactive, "unknown", nil
		case r.usedAt != nil:
			return inactive, "rotated", nil
		case f.revokedAt != nil:
			return inactive, "revoked", nil
		case !s.now().Before(r.expiresAt):
			return inactive, "expired", nil
		}
		return api.IntrospectResponse{Active: true, Scope: scopeString(f.scope), ClientID: f.clientID,
			TokenType: api.TokenTypeRefresh, Exp: r.expiresAt.Unix(), Iat: r.issuedAt.Unix(), Sub: f.subject,
			Aud: f.audience, Iss: s.cfg.Issuer(env), OrgCode: f.orgCode}, "active", nil
	}
	tok, err := s.verifyAccess(ctx, env, token)
	if err != nil {
		result, ok := verifyResult(err)
		if !ok {
			return inactive, "", err
		}
		s.log.Debug("introspection: token inactive", "env", env, "result", result, "err", err)
		return inactive, result, nil
	}
	rec, err := s.store.accessRecord(ctx, env, tok.ID)
	switch {
	case err != nil:
		return inactive, "", err
	case rec == nil:
		return inactive, "unknown", nil
	case rec.revokedAt != nil:
		return inactive, "revoked", nil
	}
	resp := api.IntrospectResponse{Active: true, TokenType: "Bearer", Exp: tok.ExpiresAt.Unix(), Sub: tok.Subject,
		Aud: tok.Audience, Iss: tok.Issuer, Jti: tok.ID}
	if !tok.IssuedAt.IsZero() {
		resp.Iat = tok.IssuedAt.Unix()
	}
	// The claims were signed by this service; a claim of an unexpected type
	// is left out rather than failing the introspection.
	_, _ = tok.Claim("scope", &resp.Scope)
	_, _ = tok.Claim("client_id", &resp.ClientID)
	_, _ = tok.Claim("org_code", &resp.OrgCode)
	return resp, "active", nil
}
