package frontdoor

import (
	"net/http"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/oauth"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// revoke serves POST /oauth2/revoke (RFC 7009). The client authenticates
// (a public client sends its client_id); a token it does not own is
// refused, and an unknown or already invalid token is answered 200 as
// §2.2 requires. Revoking a refresh token revokes its whole grant.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	form, e := parsePost(w, r)
	if e != nil {
		e.Write(w)
		return
	}
	app, e := s.authenticateClient(ctx, r, form, env, true)
	if e != nil {
		e.Write(w)
		return
	}
	token := form.Get("token")
	if token == "" {
		oauth.Errorf(oauth.CodeInvalidRequest, "token is required").Write(w)
		return
	}
	hint := form.Get("token_type_hint")
	if hint != tapi.TokenTypeAccess && hint != tapi.TokenTypeRefresh {
		hint = "" // unknown hints are ignored (§2.1): the service recognises the token
	}
	_, err := natsrpc.Call[tapi.RevokeRequest, tapi.RevokeResponse](ctx, s.nc, tapi.SubjectRevoke,
		tapi.RevokeRequest{Env: env, Token: token, TokenTypeHint: hint, ClientID: app.ClientID})
	if err != nil {
		if tapi.ReasonOf(err) == tapi.ReasonClientMismatch {
			oauth.Errorf(oauth.CodeUnauthorizedClient, "the token was not issued to this client").Write(w)
			return
		}
		e := s.tokensError(ctx, "revoke token", err)
		if e.Code == oauth.CodeServerError || e.Code == oauth.CodeTemporarilyUnavailable {
			// §2.2.1: 503 tells the client to retry later.
			e = oauth.Errorf(oauth.CodeTemporarilyUnavailable, "the token could not be revoked now; try again")
		}
		e.Write(w)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// introspect serves POST /oauth2/introspect (RFC 7662) for confidential
// clients of the environment. An inactive token is {"active":false} and
// nothing else.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	form, e := parsePost(w, r)
	if e != nil {
		e.Write(w)
		return
	}
	if _, e := s.authenticateClient(ctx, r, form, env, false); e != nil {
		e.Write(w)
		return
	}
	token := form.Get("token")
	if token == "" {
		oauth.Errorf(oauth.CodeInvalidRequest, "token is required").Write(w)
		return
	}
	hint := form.Get("token_type_hint")
	if hint != tapi.TokenTypeAccess && hint != tapi.TokenTypeRefresh {
		hint = ""
	}
	resp, err := natsrpc.Call[tapi.IntrospectRequest, tapi.IntrospectResponse](ctx, s.nc, tapi.SubjectIntrospect,
		tapi.IntrospectRequest{Env: env, Token: token, TokenTypeHint: hint})
	if err != nil {
		s.tokensError(ctx, "introspect token", err).Write(w)
		return
	}
	if !resp.Active {
		resp = tapi.IntrospectResponse{}
	}
	writeJSON(w, http.StatusOK, resp)
}
