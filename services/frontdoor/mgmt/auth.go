package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// caller is the application a request's access token was issued to.
type caller struct {
	clientID string
	scopes   []string
}

type callerKey struct{}

func callerOf(ctx context.Context) *caller {
	c, _ := ctx.Value(callerKey{}).(*caller)
	return c
}

// authenticate admits requests that carry a valid access token for the
// environment's management API: active according to the tokens service,
// issued in this environment, with the API's audience, to a
// machine-to-machine application that still exists (its client id is the
// token's subject: no user). Everything else is answered 401.
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		env := a.cfg.Env(ctx)
		c, err := a.checkToken(ctx, env, r.Header.Values("Authorization"))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, callerKey{}, c)))
	})
}

// unauthorized is a 401 with a Bearer challenge (RFC 6750 §3); reason is
// empty when the request carried no token at all.
func (a *API) unauthorized(env, reason string) *apiError {
	challenge := fmt.Sprintf("Bearer realm=%q", a.cfg.Audience(env))
	msg := "this endpoint needs a Bearer access token for audience " + a.cfg.Audience(env) +
		" (client credentials grant of a machine-to-machine application)"
	if reason != "" {
		challenge += fmt.Sprintf(", error=\"invalid_token\", error_description=%q", reason)
		msg = reason
	}
	e := errorf(http.StatusUnauthorized, CodeUnauthorized, "%s", msg)
	e.header = http.Header{"Www-Authenticate": {challenge}}
	return e
}

func (a *API) checkToken(ctx context.Context, env string, authz []string) (*caller, error) {
	if len(authz) == 0 {
		return nil, a.unauthorized(env, "")
	}
	if len(authz) > 1 {
		return nil, a.unauthorized(env, "the request has more than one Authorization header")
	}
	scheme, token, ok := strings.Cut(authz[0], " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, a.unauthorized(env, "the Authorization header must be \"Bearer <access token>\"")
	}
	if len(token) > tapi.MaxTokenBytes {
		return nil, a.unauthorized(env, "the access token is too long")
	}
	info, err := natsrpc.Call[tapi.IntrospectRequest, tapi.IntrospectResponse](ctx, a.cfg.NATS, tapi.SubjectIntrospect,
		tapi.IntrospectRequest{Env: env, Token: token, TokenTypeHint: tapi.TokenTypeAccess})
	if natsrpc.IsCode(err, natsrpc.CodeInvalidArgument) {
		return nil, a.unauthorized(env, "the access token is malformed")
	}
	if err != nil {
		return nil, fmt.Errorf("introspect the access token: %w", err)
	}
	aud := a.cfg.Audience(env)
	switch {
	case !info.Active || info.TokenType != "Bearer":
		return nil, a.unauthorized(env, "the access token is invalid, expired or revoked, or was issued in another environment")
	case !slices.Contains(info.Aud, aud):
		return nil, a.unauthorized(env, "the access token is not for this API: its audience must include "+aud)
	case info.Sub == "" || info.Sub != info.ClientID:
		return nil, a.unauthorized(env, "the access token was issued to a user; the management API takes machine-to-machine tokens only")
	}
	app, err := a.cfg.Identity.GetApplication(ctx, env, info.ClientID)
	if errors.Is(err, identity.ErrNotFound) {
		return nil, a.unauthorized(env, "the application the access token was issued to no longer exists")
	}
	if err != nil {
		return nil, fmt.Errorf("look up the token's application: %w", err)
	}
	if app.Type != identity.AppM2M {
		return nil, a.unauthorized(env, "the access token's application is not a machine-to-machine application")
	}
	return &caller{clientID: info.ClientID, scopes: strings.Fields(info.Scope)}, nil
}

// need admits only requests whose token has scope; others get 403
// insufficient_scope naming it.
func (a *API) need(scope string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := callerOf(r.Context())
			if c == nil || !slices.Contains(c.scopes, scope) {
				has := "no scopes"
				if c != nil && len(c.scopes) > 0 {
					has = strings.Join(c.scopes, " ")
				}
				e := errorf(http.StatusForbidden, CodeInsufficientScope,
					"this request needs scope %s; the access token has %s", scope, has)
				e.header = http.Header{"Www-Authenticate": {fmt.Sprintf("Bearer error=\"insufficient_scope\", scope=%q", scope)}}
				a.fail(w, r, e)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
