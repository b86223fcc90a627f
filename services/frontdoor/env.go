package frontdoor

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

type envKey struct{}

// envOf returns the environment a request is for (set by defaultEnv or
// namedEnv).
func envOf(ctx context.Context) string {
	env, _ := ctx.Value(envKey{}).(string)
	return env
}

// defaultEnv serves the routes at the root for the default environment.
func (s *Server) defaultEnv(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), envKey{}, envname.Default)))
	})
}

// namedEnv serves /e/{env}/… for an existing environment other than the
// default one (whose routes are at the root only, so that each issuer has
// one URL).
func (s *Server) namedEnv(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env := chi.URLParam(r, "env")
		if env == envname.Default || envname.Validate(env) != nil {
			http.NotFound(w, r)
			return
		}
		ok, err := s.envs.exists(r.Context(), env)
		if err != nil {
			s.log.ErrorContext(r.Context(), "look up environment", "env", env, "error", err)
			http.Error(w, "the environment could not be looked up; try again", http.StatusServiceUnavailable)
			return
		}
		if !ok {
			http.Error(w, "no such environment", http.StatusNotFound)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), envKey{}, env)))
	})
}

// issuer returns the issuer URL of env.
func (s *Server) issuer(env string) string { return s.cfg.Issuer(env) }

// endpoint returns the absolute URL of path in env.
func (s *Server) endpoint(env, path string) string { return s.issuer(env) + path }

// secure reports whether env is served over https, so cookies must be
// Secure.
func (s *Server) secure(env string) bool { return strings.HasPrefix(s.issuer(env), "https://") }

// envCache remembers which environments exist for a minute, so that a
// request does not cost a query for it.
type envCache struct {
	ids *identity.Store
	mu  sync.Mutex
	m   map[string]time.Time // env → until when it is known to exist
}

const envCacheTTL = time.Minute

func newEnvCache(ids *identity.Store) *envCache {
	return &envCache{ids: ids, m: map[string]time.Time{}}
}

func (c *envCache) exists(ctx context.Context, env string) (bool, error) {
	c.mu.Lock()
	until, ok := c.m[env]
	c.mu.Unlock()
	if ok && time.Now().Before(until) {
		return true, nil
	}
	_, err := c.ids.GetEnvironment(ctx, env)
	if errors.Is(err, identity.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	if len(c.m) > 10_000 {
		clear(c.m)
	}
	c.m[env] = time.Now().Add(envCacheTTL)
	c.mu.Unlock()
	return true, nil
}
