package frontdoor

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/oauth"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// exchangeCode serves grant_type=authorization_code. The code is consumed
// by the first redemption whatever its outcome; a second one fails and
// revokes every token issued from the code (RFC 6749 §4.1.2, RFC 9700
// §4.5).
func (s *Server) exchangeCode(ctx context.Context, r *http.Request, form url.Values, app *identity.Application) (tokenResponse, *oauth.Error) {
	if e := allowGrant(app, grantAuthorizationCode); e != nil {
		return tokenResponse{}, e
	}
	code, redirectURI, verifier := form.Get("code"), form.Get("redirect_uri"), form.Get("code_verifier")
	switch {
	case code == "":
		return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidRequest, "code is required")
	case redirectURI == "":
		return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidRequest, "redirect_uri is required")
	case verifier == "":
		return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidRequest, "code_verifier is required (PKCE)")
	}
	env := app.Env
	c, err := s.auth.RedeemCode(ctx, env, code, s.now())
	switch {
	case errors.Is(err, authstore.ErrNotFound):
		return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidGrant, "the authorization code is invalid")
	case errors.Is(err, authstore.ErrCodeReused):
		s.log.WarnContext(ctx, "authorization code presented again; revoking its grant", "env", env,
			"client_id", app.ClientID, "grant_id", c.GrantID)
		s.revokeGrant(ctx, env, c.GrantID)
		return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidGrant, "the authorization code was already used; the tokens issued from it are revoked")
	case errors.Is(err, authstore.ErrCodeExpired):
		return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidGrant, "the authorization code has expired")
	case err != nil:
		s.log.ErrorContext(ctx, "redeem authorization code", "error", err)
		return tokenResponse{}, oauth.Errorf(oauth.CodeServerError, "the authorization code could not be checked; try again")
	}
	switch {
	case c.ClientID != app.ClientID:
		return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidGrant, "the authorization code was issued to another client")
	case c.RedirectURI != redirectURI:
		return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidGrant, "redirect_uri differs from the one of the authorization request")
	}
	if e := oauth.CheckVerifier(verifier, c.CodeChallenge); e != nil {
		return tokenResponse{}, e
	}
	// A code is worth no more than the sign-in behind it: signed out,
	// reset or expired since, the code is refused.
	switch alive, err := s.auth.SessionAlive(ctx, env, c.SessionID, s.now()); {
	case err != nil:
		s.log.ErrorContext(ctx, "code exchange: look up session", "error", err)
		return tokenResponse{}, oauth.Errorf(oauth.CodeServerError, "the authorization code could not be checked; try again")
	case !alive:
		return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidGrant, "the sign-in that issued the authorization code has ended")
	}
	user, e := s.grantUser(ctx, env, c.UserID)
	if e != nil {
		return tokenResponse{}, e
	}

	var ev tokensGenerationEvent
	s.fillTokensEvent(&ev, r, env, app.ClientID, user.ID, c.OrgCode, nil, c.Scope)
	ev.Context.Auth.Origin = originAuthorization
	ev.Context.Auth.IsExistingSession = c.ExistingSession
	ev.Context.Auth.ConnectionID = c.ConnectionID
	d, stop := s.fire(withPreview(ctx, c.DeployID), env, abi.TriggerTokensGeneration, ev)
	if stop != nil {
		return tokenResponse{}, stopError(stop)
	}
	req := tapi.IssueRequest{Env: env, Grant: tapi.GrantAuthorizationCode, ClientID: app.ClientID, GrantID: c.GrantID,
		Subject: user.ID, Scope: c.Scope, OrgCode: c.OrgCode, AMR: c.AMR, ACR: c.ACR, AuthTime: c.AuthTime, SessionID: c.SessionID,
		Nonce: c.Nonce, RefreshToken: contains(c.Scope, scopeOfflineAccess) && app.AllowsGrant(grantRefreshToken),
		Workflow: tapi.WorkflowClaims{AccessTokenClaims: d.AccessTokenClaims, IDTokenClaims: d.IDTokenClaims}}
	if contains(c.Scope, scopeOpenID) {
		req.Profile = profileClaims(user, c.Scope)
	}
	resp, err := natsrpc.Call[tapi.IssueRequest, tapi.IssueResponse](ctx, s.nc, tapi.SubjectIssue, req)
	if err != nil {
		return tokenResponse{}, s.tokensError(ctx, "issue tokens for an authorization code", err)
	}
	s.logDropped(ctx, env, app.ClientID, resp.DroppedClaims)
	// A replay that raced this redemption found no tokens to revoke yet:
	// look again now that they exist.
	replayed, err := s.auth.CodeReplayed(ctx, c.GrantID)
	if err != nil {
		s.log.ErrorContext(ctx, "check authorization code replay", "error", err)
	}
	if replayed || err != nil {
		s.revokeGrant(ctx, env, c.GrantID)
		return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidGrant, "the authorization code was already used; the tokens issued from it are revoked")
	}
	return newTokenResponse(resp), nil
}

// grantUser returns the user tokens are issued for, refusing a user who no
// longer exists.
func (s *Server) grantUser(ctx context.Context, env, userID string) (*identity.User, *oauth.Error) {
	user, err := s.ids.GetUser(ctx, env, userID)
	if errors.Is(err, identity.ErrNotFound) {
		return nil, oauth.Errorf(oauth.CodeInvalidGrant, "the user of this grant no longer exists")
	}
	if err != nil {
		s.log.ErrorContext(ctx, "look up the user of a grant", "error", err)
		return nil, oauth.Errorf(oauth.CodeServerError, "the user could not be looked up; try again")
	}
	return user, nil
}

// fillTokensEvent fills the parts of a user:tokens_generation event that
// do not depend on the origin. audience nil means the client id (the
// tokens' default audience).
func (s *Server) fillTokensEvent(ev *tokensGenerationEvent, r *http.Request, env, clientID, userID, orgCode string, audience, scope []string) {
	if len(audience) == 0 {
		audience = []string{clientID}
	}
	ev.Request.Auth = eventTokenAuth{Audience: audience, Scope: orEmpty(scope)}
	ev.Request.IP, ev.Request.UserAgent = clientIP(r), userAgent(r)
	ev.Context.Domains.KindeDomain = s.issuer(env)
	ev.Context.Application.ClientID = clientID
	ev.Context.User.ID = userID
	ev.Context.Organization.Code = orgCode
	ev.Context.Workflow.Trigger = abi.TriggerTokensGeneration
}

// revokeGrant revokes every token issued from an authorization code. The
// request has failed already; a failure here is logged (the tokens expire
// on their own) and must be looked into.
func (s *Server) revokeGrant(ctx context.Context, env, grantID string) {
	resp, err := natsrpc.Call[tapi.RevokeGrantRequest, tapi.RevokeGrantResponse](context.WithoutCancel(ctx), s.nc,
		tapi.SubjectRevokeGrant, tapi.RevokeGrantRequest{Env: env, GrantID: grantID, Reason: "code_reused"})
	if err != nil {
		s.log.ErrorContext(ctx, "could not revoke the tokens of a replayed authorization code", "env", env, "grant_id", grantID, "error", err)
		return
	}
	s.log.WarnContext(ctx, "revoked the tokens of a replayed authorization code", "env", env, "grant_id", grantID,
		"families", resp.Families, "access_tokens", resp.AccessTokens)
}
