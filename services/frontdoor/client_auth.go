package frontdoor

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/oauth"
)

// errClientAuth is the one answer to every failed client authentication:
// unknown client, wrong secret, public client posing as confidential…
func errClientAuth() *oauth.Error {
	return oauth.Errorf(oauth.CodeInvalidClient, "client authentication failed")
}

// authenticateClient identifies the client of a token, revocation or
// introspection request in env: client_secret_basic (RFC 6749 §2.3.1:
// the id and secret are form-urlencoded inside the Basic credentials),
// client_secret_post, or — when allowPublic — a public client sending only
// client_id. A confidential client must authenticate; using two methods at
// once is an invalid_request.
func (s *Server) authenticateClient(ctx context.Context, r *http.Request, form url.Values, env string, allowPublic bool) (*identity.Application, *oauth.Error) {
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return nil, errClientAuth()
		}
		if form.Has("client_secret") {
			return nil, oauth.Errorf(oauth.CodeInvalidRequest, "use one client authentication method: HTTP Basic or client_secret in the body, not both")
		}
		if form.Has("client_id") && form.Get("client_id") != id {
			return nil, oauth.Errorf(oauth.CodeInvalidRequest, "client_id in the body differs from the HTTP Basic credentials")
		}
	} else if r.Header.Get("Authorization") != "" {
		return nil, errClientAuth()
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" {
		return nil, oauth.Errorf(oauth.CodeInvalidClient, "client authentication is required: send client_id (and client_secret for a confidential client)")
	}
	if secret != "" {
		app, err := s.ids.VerifyClientSecret(ctx, env, id, secret)
		switch {
		case errors.Is(err, identity.ErrInvalidCredentials):
			return nil, errClientAuth()
		case err != nil:
			s.log.ErrorContext(ctx, "verify client secret", "client_id", id, "error", err)
			return nil, oauth.Errorf(oauth.CodeServerError, "client authentication could not be checked; try again")
		}
		return app, nil
	}
	if !allowPublic {
		return nil, errClientAuth()
	}
	app, err := s.ids.GetApplication(ctx, env, id)
	switch {
	case errors.Is(err, identity.ErrNotFound):
		return nil, errClientAuth()
	case err != nil:
		s.log.ErrorContext(ctx, "look up client", "client_id", id, "error", err)
		return nil, oauth.Errorf(oauth.CodeServerError, "client authentication could not be checked; try again")
	case app.Type.Confidential():
		return nil, errClientAuth()
	}
	return app, nil
}
