package frontdoor

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/oauth"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// userinfo serves GET and POST /oauth2/userinfo (OIDC Core §5.3): the
// claims of the user an access token with scope openid was issued for.
// The token comes in the Authorization header (RFC 6750 §2.1) and is
// checked by the tokens service, so a revoked token, a token signed by an
// unknown key or with alg none, an ID token or an M2M token is refused.
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	env := envOf(ctx)
	token, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "an access token is required in the Authorization header (Bearer)", http.StatusUnauthorized)
		return
	}
	invalid := oauth.Errorf(oauth.CodeInvalidToken, "the access token is invalid, expired or revoked")
	if len(token) > tapi.MaxTokenBytes {
		invalid.Write(w)
		return
	}
	resp, err := natsrpc.Call[tapi.IntrospectRequest, tapi.IntrospectResponse](ctx, s.nc, tapi.SubjectIntrospect,
		tapi.IntrospectRequest{Env: env, Token: token, TokenTypeHint: tapi.TokenTypeAccess})
	if err != nil {
		s.tokensError(ctx, "check userinfo token", err).Write(w)
		return
	}
	if !resp.Active || resp.TokenType != "Bearer" || resp.Sub == "" {
		invalid.Write(w)
		return
	}
	user, err := s.ids.GetUser(ctx, env, resp.Sub)
	if errors.Is(err, identity.ErrNotFound) {
		invalid.Write(w) // an M2M token, or a deleted user
		return
	}
	if err != nil {
		s.log.ErrorContext(ctx, "userinfo: look up user", "error", err)
		oauth.Errorf(oauth.CodeServerError, "the user could not be looked up; try again").Write(w)
		return
	}
	scope := splitScope(resp.Scope)
	if !contains(scope, scopeOpenID) {
		e := oauth.Errorf(oauth.CodeInsufficientScope, "the access token was not granted the openid scope")
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="openid"`)
		e.Write(w)
		return
	}
	claims := profileClaims(user, scope)
	claims["sub"] = json.RawMessage(mustJSON(user.ID))
	writeJSON(w, http.StatusOK, claims)
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// profileClaims are the user's standard claims the scope grants: email
// and email_verified for email; name, given_name, family_name and
// updated_at for profile. They go into the ID token and userinfo.
func profileClaims(u *identity.User, scope []string) map[string]json.RawMessage {
	c := map[string]json.RawMessage{}
	set := func(name string, v any) { c[name] = json.RawMessage(mustJSON(v)) }
	if contains(scope, scopeEmail) {
		set("email", u.Email)
		set("email_verified", u.EmailVerified)
	}
	if contains(scope, scopeProfile) {
		if name := strings.TrimSpace(u.GivenName + " " + u.FamilyName); name != "" {
			set("name", name)
		}
		if u.GivenName != "" {
			set("given_name", u.GivenName)
		}
		if u.FamilyName != "" {
			set("family_name", u.FamilyName)
		}
		set("updated_at", u.UpdatedAt.Unix())
	}
	return c
}

// mustJSON encodes a value that always encodes (strings, bools, numbers).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
