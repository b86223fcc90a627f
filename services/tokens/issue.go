package tokens

import (
	"context"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// grant is the context tokens are issued for.
type grant struct {
	familyID  string // "" without refresh token
	grantID   string
	clientID  string
	subject   string
	orgCode   string
	scope     []string
	audience  []string
	amr       []string
	acr       string
	authTime  time.Time
	sessionID string
}

// built is what one issue signed, ready to store.
type built struct {
	resp    api.IssueResponse
	access  *accessRow
	refresh *refreshRow // nil without refresh token
	hasID   bool
}

// issue serves api.SubjectIssue.
func (s *Service) issue(ctx context.Context, req api.IssueRequest) (api.IssueResponse, error) {
	if err := validateIssue(&req); err != nil {
		return api.IssueResponse{}, err
	}
	lt, err := s.lifetimesFor(req.Lifetimes)
	if err != nil {
		return api.IssueResponse{}, err
	}
	alg := req.Alg
	if alg == "" {
		alg = s.cfg.DefaultAlg
	}
	key, err := s.keys.signer(ctx, req.Env, alg)
	if err != nil {
		return api.IssueResponse{}, err
	}
	switch req.Grant {
	case api.GrantRefreshToken:
		return s.issueRefresh(ctx, req, key, lt)
	case api.GrantClientCredentials:
		return s.issueM2M(ctx, req, key, lt)
	default:
		return s.issueCode(ctx, req, key, lt)
	}
}

// issueCode serves the authorization_code grant.
func (s *Service) issueCode(ctx context.Context, req api.IssueRequest, key *signingKey, lt lifetimes) (api.IssueResponse, error) {
	now := s.now().Truncate(time.Second)
	g := grant{grantID: req.GrantID, clientID: req.ClientID, subject: req.Subject, orgCode: req.OrgCode,
		scope: req.Scope, audience: req.Audience, amr: req.AMR, acr: req.ACR, authTime: req.AuthTime,
		sessionID: req.SessionID}
	if req.RefreshToken {
		g.familyID = ids.New("rtf")
	}
	b, err := s.buildUser(req, g, key, lt, now, req.RefreshToken)
	if err != nil {
		return api.IssueResponse{}, err
	}
	var fam *familyRow
	if b.refresh != nil {
		fam = &familyRow{id: g.familyID, env: req.Env, grantID: g.grantID, clientID: g.clientID, subject: g.subject,
			orgCode: g.orgCode, scope: g.scope, audience: g.audience, amr: g.amr, acr: g.acr, sessionID: g.sessionID,
			createdAt: now, expiresAt: b.refresh.expiresAt}
		if !g.authTime.IsZero() {
			at := g.authTime
			fam.authTime = &at
		}
	}
	if err := s.store.recordIssue(ctx, b.access, fam, b.refresh); err != nil {
		return api.IssueResponse{}, err
	}
	s.countIssued(req.Grant, b)
	return b.resp, nil
}

// accessClaims returns the standard claims of an access token and its jti:
// the audience defaults to the client.
func accessClaims(iss, subject, clientID string, aud, scope []string, now, exp time.Time) (claimSet, string) {
	jti := ids.New("at")
	c := claimSet{}
	c.set("iss", iss)
	c.set("sub", subject)
	c.audience(audienceOr(aud, clientID))
	c["exp"] = exp.Unix()
	c["iat"] = now.Unix()
	c.set("jti", jti)
	c.set("client_id", clientID)
	c.set("azp", clientID)
	c.set("scope", scopeString(scope))
	return c, jti
}

// audienceOr returns aud, or the client alone when it is empty.
func audienceOr(aud []string, clientID string) []string {
	if len(aud) == 0 {
		return []string{clientID}
	}
	return aud
}

// buildUser signs the access token, the ID token when the scope has openid,
// and makes a refresh token when withRefresh is set.
func (s *Service) buildUser(req api.IssueRequest, g grant, key *signingKey, lt lifetimes, now time.Time, withRefresh bool) (*built, error) {
	iss := s.cfg.Issuer(req.Env)
	if iss == "" {
		return nil, invalid("environment %s has no issuer URL", req.Env)
	}
	exp := now.Add(lt.access)
	at, jti := accessClaims(iss, g.subject, g.clientID, g.audience, g.scope, now, exp)
	at.set("org_code", g.orgCode)
	at.set("amr", g.amr)
	at.set("acr", g.acr)
	if !g.authTime.IsZero() {
		at["auth_time"] = g.authTime.Unix()
	}
	at.set("sid", g.sessionID)
	if err := at.addCaller("accessClaims", req.AccessClaims); err != nil {
		return nil, err
	}
	dropped, err := at.addWorkflow(api.KindAccessToken, req.Workflow.AccessTokenClaims)
	if err != nil {
		return nil, err
	}
	access, err := key.sign(api.TypeAccessToken, at)
	if err != nil {
		return nil, err
	}

	b := &built{
		resp: api.IssueResponse{TokenType: "Bearer", AccessToken: access, AccessTokenID: jti,
			ExpiresIn: int64(lt.access / time.Second), ExpiresAt: exp, Scope: g.scope, KeyID: key.id, Alg: key.alg},
		access: &accessRow{jti: jti, env: req.Env, clientID: g.clientID, subject: g.subject, familyID: g.familyID,
			grantID: g.grantID, issuedAt: now, expiresAt: exp},
	}

	if slices.Contains(g.scope, "openid") {
		it := claimSet{}
		it.set("iss", iss)
		it.set("sub", g.subject)
		it["aud"] = g.clientID
		it["exp"] = now.Add(lt.id).Unix()
		it["iat"] = now.Unix()
		if !g.authTime.IsZero() {
			it["auth_time"] = g.authTime.Unix()
		}
		it.set("nonce", req.Nonce)
		it.set("azp", g.clientID)
		it.set("amr", g.amr)
		it.set("acr", g.acr)
		it.set("org_code", g.orgCode)
		it.set("sid", g.sessionID)
		it["at_hash"] = atHash(access)
		if err := it.addCaller("profile", req.Profile); err != nil {
			return nil, err
		}
		idDropped, err := it.addWorkflow(api.KindIDToken, req.Workflow.IDTokenClaims)
		if err != nil {
			return nil, err
		}
		dropped = append(dropped, idDropped...)
		if b.resp.IDToken, err = key.sign(api.TypeIDToken, it); err != nil {
			return nil, err
		}
		b.hasID = true
	} else {
		// No ID token without openid: its workflow claims are reported as
		// dropped, not silently lost.
		dropped = append(dropped, dropAll(api.KindIDToken, req.Workflow.IDTokenClaims)...)
	}

	if withRefresh {
		token, hash, err := newRefreshToken()
		if err != nil {
			return nil, err
		}
		rexp := now.Add(lt.refresh)
		b.refresh = &refreshRow{hash: hash, familyID: g.familyID, env: req.Env, issuedAt: now, expiresAt: rexp}
		b.resp.RefreshToken, b.resp.RefreshExpiresAt, b.resp.FamilyID = token, rexp, g.familyID
	}
	b.resp.DroppedClaims = dropped
	return b, nil
}

// issueM2M serves the client_credentials grant.
func (s *Service) issueM2M(ctx context.Context, req api.IssueRequest, key *signingKey, lt lifetimes) (api.IssueResponse, error) {
	iss := s.cfg.Issuer(req.Env)
	if iss == "" {
		return api.IssueResponse{}, invalid("environment %s has no issuer URL", req.Env)
	}
	now := s.now().Truncate(time.Second)
	aud := audienceOr(req.Audience, req.ClientID)
	exp := now.Add(lt.access)
	c, jti := accessClaims(iss, req.ClientID, req.ClientID, aud, req.Scope, now, exp)
	c.set("gty", api.GrantTypeClientCredentials)
	c.set("org_code", req.OrgCode)
	if err := c.addCaller("accessClaims", req.AccessClaims); err != nil {
		return api.IssueResponse{}, err
	}
	var dropped []string
	if s.forManagementAPI(req.Env, aud) {
		dropped = dropAll(api.KindM2MToken, req.Workflow.M2MTokenClaims)
	} else {
		var err error
		if dropped, err = c.addWorkflow(api.KindM2MToken, req.Workflow.M2MTokenClaims); err != nil {
			return api.IssueResponse{}, err
		}
	}
	token, err := key.sign(api.TypeAccessToken, c)
	if err != nil {
		return api.IssueResponse{}, err
	}
	a := &accessRow{jti: jti, env: req.Env, clientID: req.ClientID, subject: req.ClientID, issuedAt: now, expiresAt: exp}
	if err := s.store.recordIssue(ctx, a, nil, nil); err != nil {
		return api.IssueResponse{}, err
	}
	b := &built{resp: api.IssueResponse{TokenType: "Bearer", AccessToken: token, AccessTokenID: jti,
		ExpiresIn: int64(lt.access / time.Second), ExpiresAt: exp, Scope: req.Scope, KeyID: key.id, Alg: key.alg,
		DroppedClaims: dropped}}
	s.countIssued(req.Grant, b)
	return b.resp, nil
}

// countIssued counts the tokens of one issue and the claims it dropped.
func (s *Service) countIssued(grantType string, b *built) {
	if grantType == api.GrantClientCredentials {
		s.metrics.issue("m2m", grantType)
		s.metrics.droppedClaims(api.KindM2MToken, len(b.resp.DroppedClaims))
		return
	}
	s.metrics.issue("access", grantType)
	if b.hasID {
		s.metrics.issue("id", grantType)
	}
	if b.refresh != nil {
		s.metrics.issue("refresh", grantType)
	}
	for _, kind := range []string{api.KindAccessToken, api.KindIDToken} {
		n := 0
		for _, d := range b.resp.DroppedClaims {
			if len(d) > len(kind) && d[:len(kind)+1] == kind+":" {
				n++
			}
		}
		s.metrics.droppedClaims(kind, n)
	}
	if len(b.resp.DroppedClaims) > 0 {
		s.log.Debug("workflow claims dropped", "grant", grantType, "claims", b.resp.DroppedClaims)
	}
}

// forManagementAPI reports whether aud names the management API, whose M2M
// tokens workflows may not modify.
func (s *Service) forManagementAPI(env string, aud []string) bool {
	if s.cfg.ManagementAudience == nil {
		return false
	}
	ma := s.cfg.ManagementAudience(env)
	return ma != "" && slices.Contains(aud, ma)
}
