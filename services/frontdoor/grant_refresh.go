package frontdoor

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/oauth"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// refresh serves grant_type=refresh_token in the tokens service's two
// phases: check the token (refresh.begin), run user:tokens_generation,
// then issue with rotation. A workflow that stops the request leaves the
// refresh token unused and valid.
func (s *Server) refresh(ctx context.Context, r *http.Request, form url.Values, app *identity.Application) (tokenResponse, *oauth.Error) {
	if e := allowGrant(app, grantRefreshToken); e != nil {
		return tokenResponse{}, e
	}
	token := form.Get("refresh_token")
	if token == "" {
		return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidRequest, "refresh_token is required")
	}
	env := app.Env
	g, err := natsrpc.Call[tapi.RefreshBeginRequest, tapi.RefreshGrant](ctx, s.nc, tapi.SubjectRefreshBegin,
		tapi.RefreshBeginRequest{Env: env, RefreshToken: token, ClientID: app.ClientID})
	if err != nil {
		return tokenResponse{}, s.tokensError(ctx, "check refresh token", err)
	}
	scope := g.Scope
	if form.Has("scope") {
		scope = splitScope(form.Get("scope"))
		for _, sc := range scope {
			if !contains(g.Scope, sc) {
				return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidScope, "scope %q was not granted originally", sc)
			}
		}
	}
	user, e := s.grantUser(ctx, env, g.Subject)
	if e != nil {
		return tokenResponse{}, e
	}

	var ev tokensGenerationEvent
	s.fillTokensEvent(&ev, r, env, app.ClientID, user.ID, g.OrgCode, g.Audience, scope)
	ev.Context.Auth.Origin = originRefresh
	d, stop := s.fire(ctx, env, abi.TriggerTokensGeneration, ev)
	if stop != nil {
		return tokenResponse{}, stopError(stop)
	}
	req := tapi.IssueRequest{Env: env, Grant: tapi.GrantRefreshToken, ClientID: app.ClientID, Rotate: token,
		Workflow: tapi.WorkflowClaims{AccessTokenClaims: d.AccessTokenClaims, IDTokenClaims: d.IDTokenClaims}}
	if form.Has("scope") {
		req.Scope = scope
	}
	if contains(scope, scopeOpenID) {
		req.Profile = profileClaims(user, scope)
	}
	resp, err := natsrpc.Call[tapi.IssueRequest, tapi.IssueResponse](ctx, s.nc, tapi.SubjectIssue, req)
	if err != nil {
		return tokenResponse{}, s.tokensError(ctx, "rotate refresh token", err)
	}
	s.logDropped(ctx, env, app.ClientID, resp.DroppedClaims)
	return newTokenResponse(resp), nil
}
