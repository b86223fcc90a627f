package tokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// refreshBytes is the entropy of a refresh token: 256 bits.
const refreshBytes = 32

// newRefreshToken returns a fresh refresh token and its hash.
func newRefreshToken() (string, []byte, error) {
	b := make([]byte, refreshBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("generate refresh token: %w", err)
	}
	token := api.RefreshTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// parseRefresh returns the hash of a well-formed refresh token.
func parseRefresh(token string) ([]byte, bool) {
	body, ok := strings.CutPrefix(token, api.RefreshTokenPrefix)
	if !ok || len(body) != base64.RawURLEncoding.EncodedLen(refreshBytes) {
		return nil, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(body); err != nil {
		return nil, false
	}
	return hashToken(token), true
}

// reuseError reports a refresh token presented after its rotation.
type reuseError struct {
	familyID      string
	newlyRevoked  bool // the family was revoked by this presentation
	accessRevoked int  // access tokens newly revoked with it
}

func (e *reuseError) Error() string {
	return "refresh token of family " + e.familyID + " was already used"
}

func invalidRefresh(why string) error {
	return api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonInvalidRefreshToken, "the refresh token %s", why)
}

// checkRefresh decides whether a refresh token may be used by clientID now.
// A used token is a *reuseError.
func checkRefresh(r *refreshRow, f *familyRow, env, clientID string, now time.Time) error {
	switch {
	case r == nil || r.env != env || f.env != env:
		return invalidRefresh("is unknown")
	case f.clientID != clientID:
		return api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonClientMismatch,
			"the refresh token was issued to another client")
	case r.usedAt != nil:
		return &reuseError{familyID: f.id}
	case f.revokedAt != nil:
		return invalidRefresh("was revoked")
	case !now.Before(r.expiresAt):
		return invalidRefresh("has expired")
	}
	return nil
}

// reuseFailure counts and logs a reuse and returns the error for the caller.
func (s *Service) reuseFailure(reuse *reuseError, clientID string) error {
	s.metrics.reused()
	if reuse.newlyRevoked {
		s.metrics.revoked("refresh_family", "reuse", 1)
		s.metrics.revoked("access_token", "reuse", reuse.accessRevoked)
	}
	s.log.Warn("refresh token reuse: family revoked", "family", reuse.familyID, "client", clientID,
		"accessTokensRevoked", reuse.accessRevoked)
	return api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonRefreshTokenReused,
		"the refresh token was already used; every token of its family %s is revoked", reuse.familyID)
}

func validateRefreshRequest(env, token, clientID string) ([]byte, error) {
	if err := validateEnv(env); err != nil {
		return nil, err
	}
	if err := validateText("clientId", clientID, api.MaxIDLen, true); err != nil {
		return nil, err
	}
	if err := validateToken("refresh token", token); err != nil {
		return nil, err
	}
	hash, ok := parseRefresh(token)
	if !ok {
		return nil, invalidRefresh("is malformed")
	}
	return hash, nil
}

// refreshBegin serves api.SubjectRefreshBegin.
func (s *Service) refreshBegin(ctx context.Context, req api.RefreshBeginRequest) (api.RefreshGrant, error) {
	hash, err := validateRefreshRequest(req.Env, req.RefreshToken, req.ClientID)
	if err != nil {
		return api.RefreshGrant{}, err
	}
	r, f, err := s.store.lookupRefresh(ctx, hash)
	if err != nil {
		return api.RefreshGrant{}, err
	}
	now := s.now()
	if err := checkRefresh(r, f, req.Env, req.ClientID, now); err != nil {
		var reuse *reuseError
		if !errors.As(err, &reuse) {
			return api.RefreshGrant{}, err
		}
		n, revoked, err := s.store.revokeFamily(ctx, f.id, "refresh_token_reused", now)
		if err != nil {
			return api.RefreshGrant{}, err
		}
		reuse.newlyRevoked, reuse.accessRevoked = revoked, n
		return api.RefreshGrant{}, s.reuseFailure(reuse, req.ClientID)
	}
	g := api.RefreshGrant{FamilyID: f.id, GrantID: f.grantID, ClientID: f.clientID, Subject: f.subject,
		OrgCode: f.orgCode, Scope: f.scope, Audience: f.audience, AMR: f.amr, ACR: f.acr,
		SessionID: f.sessionID, IssuedAt: r.issuedAt, ExpiresAt: r.expiresAt}
	if f.authTime != nil {
		g.AuthTime = *f.authTime
	}
	return g, nil
}

// issueRefresh serves the refresh_token grant: it rotates req.Rotate and
// issues the new tokens in one transaction.
func (s *Service) issueRefresh(ctx context.Context, req api.IssueRequest, key *signingKey, lt lifetimes) (api.IssueResponse, error) {
	hash, err := validateRefreshRequest(req.Env, req.Rotate, req.ClientID)
	if err != nil {
		return api.IssueResponse{}, err
	}
	now := s.now().Truncate(time.Second)
	var out *built
	err = s.store.rotateRefresh(ctx, hash, now, func(r *refreshRow, f *familyRow) (*rotation, error) {
		if err := checkRefresh(r, f, req.Env, req.ClientID, now); err != nil {
			return nil, err
		}
		g, err := grantForRefresh(req, f)
		if err != nil {
			return nil, err
		}
		if out, err = s.buildUser(req, g, key, lt, now, true); err != nil {
			return nil, err
		}
		return &rotation{next: out.refresh, access: out.access}, nil
	})
	var reuse *reuseError
	if errors.As(err, &reuse) {
		return api.IssueResponse{}, s.reuseFailure(reuse, req.ClientID)
	}
	if err != nil {
		return api.IssueResponse{}, err
	}
	s.countIssued(req.Grant, out)
	return out.resp, nil
}

// grantForRefresh is the grant of a refresh: the stored one, with the
// request's narrower scope if it asks for one. Fields the request sets must
// match what is stored.
func grantForRefresh(req api.IssueRequest, f *familyRow) (grant, error) {
	g := grant{familyID: f.id, grantID: f.grantID, clientID: f.clientID, subject: f.subject, orgCode: f.orgCode,
		scope: f.scope, audience: f.audience, amr: f.amr, acr: f.acr, sessionID: f.sessionID}
	if f.authTime != nil {
		g.authTime = *f.authTime
	}
	mismatch := func(field string) error {
		return api.Errorf(natsrpc.CodeInvalidArgument, api.ReasonGrantMismatch,
			"%s differs from the one stored with the refresh token; leave it empty on refresh", field)
	}
	for _, fld := range []struct{ name, got, want string }{
		{"subject", req.Subject, g.subject}, {"orgCode", req.OrgCode, g.orgCode}, {"acr", req.ACR, g.acr},
		{"sessionId", req.SessionID, g.sessionID}, {"grantId", req.GrantID, g.grantID},
	} {
		if fld.got != "" && fld.got != fld.want {
			return g, mismatch(fld.name)
		}
	}
	if len(req.AMR) > 0 && !slices.Equal(req.AMR, g.amr) {
		return g, mismatch("amr")
	}
	if len(req.Audience) > 0 && !slices.Equal(req.Audience, g.audience) {
		return g, mismatch("audience")
	}
	if !req.AuthTime.IsZero() && req.AuthTime.Unix() != g.authTime.Unix() {
		return g, mismatch("authTime")
	}
	if len(req.Scope) > 0 {
		for _, sc := range req.Scope {
			if !slices.Contains(g.scope, sc) {
				return g, api.Errorf(natsrpc.CodeInvalidArgument, api.ReasonScopeExceeded,
					"scope %q was not granted with the refresh token (RFC 6749 §6)", sc)
			}
		}
		g.scope = req.Scope
	}
	return g, nil
}
