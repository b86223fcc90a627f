package frontdoor

import (
	"context"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/oauth"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// Grant types of the token endpoint.
const (
	grantAuthorizationCode = identity.GrantAuthorizationCode
	grantRefreshToken      = identity.GrantRefreshToken
	grantClientCredentials = identity.GrantClientCredentials
)

// tokenResponse is the successful token response (RFC 6749 §5.1, OIDC
// Core §3.1.3.3).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

func newTokenResponse(resp tapi.IssueResponse) tokenResponse {
	return tokenResponse{AccessToken: resp.AccessToken, TokenType: resp.TokenType, ExpiresIn: resp.ExpiresIn,
		RefreshToken: resp.RefreshToken, IDToken: resp.IDToken, Scope: strings.Join(resp.Scope, " ")}
}

// token serves POST /oauth2/token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	form, e := parsePost(w, r)
	if e != nil {
		e.Write(w)
		return
	}
	grant := form.Get("grant_type")
	var (
		resp tokenResponse
		app  *identity.Application
	)
	switch grant {
	case grantAuthorizationCode, grantRefreshToken:
		if app, e = s.authenticateClient(ctx, r, form, env, true); e == nil {
			if grant == grantAuthorizationCode {
				resp, e = s.exchangeCode(ctx, r, form, app)
			} else {
				resp, e = s.refresh(ctx, r, form, app)
			}
		}
	case grantClientCredentials:
		if app, e = s.authenticateClient(ctx, r, form, env, false); e == nil {
			resp, e = s.clientCredentials(ctx, r, form, app)
		}
	case "":
		e = oauth.Errorf(oauth.CodeInvalidRequest, "grant_type is required")
	default:
		e = oauth.Errorf(oauth.CodeUnsupportedGrantType, "grant_type %q is not supported: use authorization_code, refresh_token or client_credentials", paramName(grant))
	}
	if e != nil {
		if e.Code == oauth.CodeAccessDenied {
			// Token endpoint errors are 400s (RFC 6749 §5.2).
			e.Status = http.StatusBadRequest
		}
		s.metrics.tokenRefused(grant, e.Code)
		e.Write(w)
		return
	}
	s.metrics.tokenIssued(grant)
	writeJSON(w, http.StatusOK, resp)
}

// allowGrant refuses a grant the application is not allowed.
func allowGrant(app *identity.Application, grant string) *oauth.Error {
	if !app.AllowsGrant(grant) {
		return oauth.Errorf(oauth.CodeUnauthorizedClient, "this application may not use the %s grant", grant)
	}
	return nil
}

// stopError is the OAuth error for a workflow that stopped a token request.
func stopError(stop *workflowStop) *oauth.Error {
	if stop.Failure != "" {
		return oauth.Errorf(oauth.CodeServerError, "%s", stop.Description())
	}
	return oauth.Errorf(oauth.CodeAccessDenied, "%s", stop.Description())
}

// tokensError maps an error of the tokens service to an OAuth error: the
// reasons a client caused to their OAuth codes, an unreachable service to
// temporarily_unavailable, anything else to server_error (logged).
func (s *Server) tokensError(ctx context.Context, what string, err error) *oauth.Error {
	switch tapi.ReasonOf(err) {
	case tapi.ReasonRefreshTokenReused:
		return oauth.Errorf(oauth.CodeInvalidGrant, "the refresh token was already used; every token of its grant is now revoked")
	case tapi.ReasonInvalidRefreshToken:
		return oauth.Errorf(oauth.CodeInvalidGrant, "the refresh token is invalid, expired or revoked")
	case tapi.ReasonClientMismatch:
		return oauth.Errorf(oauth.CodeInvalidGrant, "the refresh token was issued to another client")
	case tapi.ReasonScopeExceeded:
		return oauth.Errorf(oauth.CodeInvalidScope, "the requested scope exceeds the scope originally granted")
	}
	switch natsrpc.CodeOf(err) {
	case natsrpc.CodeUnavailable, natsrpc.CodeDeadlineExceeded, natsrpc.CodeOverloaded:
		s.log.WarnContext(ctx, what+": tokens service unavailable", "error", err)
		return oauth.Errorf(oauth.CodeTemporarilyUnavailable, "the token service is unavailable; try again")
	}
	s.log.ErrorContext(ctx, what, "error", err)
	return oauth.Errorf(oauth.CodeServerError, "tokens could not be issued; try again later")
}
