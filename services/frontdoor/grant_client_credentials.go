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

// clientCredentials serves grant_type=client_credentials for an
// authenticated confidential client. The audience parameter (repeatable)
// names the APIs the token is for, each one the application is allowed;
// scope narrows the allowed scopes (all of them when absent).
// m2m:token_generation runs unless the audience is the management API.
func (s *Server) clientCredentials(ctx context.Context, r *http.Request, form url.Values, app *identity.Application) (tokenResponse, *oauth.Error) {
	if e := allowGrant(app, grantClientCredentials); e != nil {
		return tokenResponse{}, e
	}
	env := app.Env
	audience := form["audience"]
	for _, a := range audience {
		if !contains(app.Audiences, a) {
			return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidTarget, "audience %q is not one this application may request", a)
		}
	}
	scope := app.Scopes
	if form.Has("scope") {
		scope = splitScope(form.Get("scope"))
		for _, sc := range scope {
			if !contains(app.Scopes, sc) {
				return tokenResponse{}, oauth.Errorf(oauth.CodeInvalidScope, "scope %q is not one this application may request", sc)
			}
		}
	}

	req := tapi.IssueRequest{Env: env, Grant: tapi.GrantClientCredentials, ClientID: app.ClientID,
		Audience: audience, Scope: scope}
	if !s.forManagementAPI(env, audience) {
		var ev m2mTokenEvent
		ev.Request.Auth = eventTokenAuth{Audience: orEmpty(audience), Scope: orEmpty(scope)}
		ev.Request.IP, ev.Request.UserAgent = clientIP(r), userAgent(r)
		ev.Context.Domains.KindeDomain = s.issuer(env)
		ev.Context.Application.ClientID = app.ClientID
		ev.Context.Workflow.Trigger = abi.TriggerM2MTokenGeneration
		d, stop := s.fire(ctx, env, abi.TriggerM2MTokenGeneration, ev)
		if stop != nil {
			return tokenResponse{}, stopError(stop)
		}
		req.Workflow.M2MTokenClaims = d.M2MTokenClaims
	}
	resp, err := natsrpc.Call[tapi.IssueRequest, tapi.IssueResponse](ctx, s.nc, tapi.SubjectIssue, req)
	if err != nil {
		return tokenResponse{}, s.tokensError(ctx, "issue client credentials token", err)
	}
	s.logDropped(ctx, env, app.ClientID, resp.DroppedClaims)
	return newTokenResponse(resp), nil
}

// forManagementAPI reports whether audience names the management API of
// env: its tokens are never changed by workflows (DESIGN §3).
func (s *Server) forManagementAPI(env string, audience []string) bool {
	if s.cfg.ManagementAudience == nil {
		return false
	}
	mgmt := s.cfg.ManagementAudience(env)
	return mgmt != "" && contains(audience, mgmt)
}

// logDropped reports workflow claims the tokens service did not apply.
func (s *Server) logDropped(ctx context.Context, env, clientID string, dropped []string) {
	if len(dropped) > 0 {
		s.log.InfoContext(ctx, "workflow claims not applied: the token type reserves them", "env", env,
			"client_id", clientID, "claims", dropped)
	}
}

// orEmpty returns list, or an empty list instead of nil (JSON [] rather
// than null in events).
func orEmpty(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
