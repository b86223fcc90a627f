package frontdoor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
)

// Server is a running frontdoor. Its routes are added to a router with
// [Server.Routes].
type Server struct {
	cfg      Config
	log      *slog.Logger
	nc       *nats.Conn
	ids      *identity.Store
	auth     *authstore.Store
	triggers *wapi.Client
	jwks     *jwksCache
	envs     *envCache
	mgmt     *mgmt.API
	metrics  *metrics
	now      func() time.Time

	// background counts work that outlives its request (reset emails);
	// Stop waits for it.
	background sync.WaitGroup

	stopOnce sync.Once
	stopping chan struct{}
	done     chan struct{}
}

// Start opens the stores on pool (whose schema [Schema] must be migrated),
// makes sure the default environment exists, and starts listening for
// deployment and signing-key changes. The tokens service and the workers
// are reached over nc when requests come.
func Start(ctx context.Context, nc *nats.Conn, pool *pgxpool.Pool, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger.With("service", "frontdoor")
	if cfg.Identity.Logger == nil {
		cfg.Identity.Logger = log
	}
	ids, err := identity.NewStore(pool, cfg.Identity)
	if err != nil {
		return nil, fmt.Errorf("frontdoor: %w", err)
	}
	if _, err := ids.EnsureDefaultEnvironment(ctx); err != nil {
		return nil, fmt.Errorf("frontdoor: %w", err)
	}
	triggers, err := wapi.NewClient(nc)
	if err != nil {
		return nil, fmt.Errorf("frontdoor: %w", err)
	}
	jwks, err := newJWKSCache(nc)
	if err != nil {
		_ = triggers.Close()
		return nil, fmt.Errorf("frontdoor: %w", err)
	}
	s := &Server{cfg: cfg, log: log, nc: nc, ids: ids, auth: authstore.New(pool), triggers: triggers,
		jwks: jwks, envs: newEnvCache(ids), metrics: newMetrics(cfg.Registerer), now: cfg.Now,
		stopping: make(chan struct{}), done: make(chan struct{})}
	s.mgmt, err = mgmt.New(mgmt.Config{Logger: log, NATS: nc, Identity: ids, Env: envOf,
		Audience: cfg.managementAudience, Plans: s})
	if err != nil {
		_ = triggers.Close()
		_ = jwks.close()
		return nil, fmt.Errorf("frontdoor: %w", err)
	}
	go s.pruneLoop()
	return s, nil
}

// Stop stops the background work and the change subscriptions. Requests
// arriving afterwards are answered 503.
func (s *Server) Stop(ctx context.Context) error {
	var err error
	s.stopOnce.Do(func() {
		close(s.stopping)
		bg := make(chan struct{})
		go func() {
			s.background.Wait()
			close(bg)
		}()
		for _, ch := range []chan struct{}{s.done, bg} {
			select {
			case <-ch:
			case <-ctx.Done():
				err = errors.Join(err, ctx.Err())
			}
		}
		err = errors.Join(err, s.triggers.Close(), s.jwks.close())
	})
	return err
}

// Identity returns the identity store the frontdoor uses.
func (s *Server) Identity() *identity.Store { return s.ids }

// Routes adds the frontdoor's routes to r: the default environment's at
// the root, the others' under /e/{env} (see the package documentation).
func (s *Server) Routes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.metrics.instrument, s.guard, s.defaultEnv)
		s.envRoutes(r)
	})
	r.Route("/e/{env}", func(r chi.Router) {
		r.Use(s.metrics.instrument, s.guard, s.namedEnv)
		s.envRoutes(r)
	})
}

// envRoutes are the routes of one environment.
func (s *Server) envRoutes(r chi.Router) {
	r.Get(pathDiscovery, s.discovery)
	r.Get(pathJWKS, s.serveJWKS)
	r.Get(pathAuthorize, s.authorize)
	r.Post(pathIntrospect, s.introspect)
	// Browser applications (public clients) call these from their own
	// origin. They take no cookies, so any origin may.
	r.Group(func(r chi.Router) {
		r.Use(corsAnyOrigin)
		r.Post(pathToken, s.token)
		r.Post(pathRevoke, s.revoke)
		r.Get(pathUserinfo, s.userinfo)
		r.Post(pathUserinfo, s.userinfo)
		for _, p := range []string{pathToken, pathRevoke, pathUserinfo} {
			r.Options(p, preflight)
		}
	})
	r.Get(pathLogout, s.logout)
	r.Post(pathLogout, s.logout)
	r.Get(pathSignIn, s.signInPage)
	r.Post(pathSignIn, s.signIn)
	r.Get(pathResetPassword, s.resetRequestPage)
	r.Post(pathResetPassword, s.resetRequest)
	r.Get(pathNewPassword, s.newPasswordPage)
	r.Post(pathNewPassword, s.newPassword)
	r.Get(pathPreview, s.previewPage)
	r.Post(pathPreview, s.preview)
	r.Get(pathVerifyEmail, s.verifyEmail)
	r.Get(pathMFA, s.mfaPage)
	r.Post(pathMFA, s.mfa)
	r.Get(pathChooseOrganization, s.chooseOrganizationPage)
	r.Post(pathChooseOrganization, s.chooseOrganization)
	r.Get(pathSignUp, s.signUpPage)
	r.Post(pathSignUp, s.signUp)
	r.Get(pathAccountSecurity, s.accountSecurityPage)
	r.Post(pathAccountSecurity, s.accountSecurity)
	r.Get(pathAccountPlan, s.accountPlanPage)
	r.Post(pathAccountPlan, s.accountPlan)
	r.Route(pathAPI, s.mgmt.Routes)
}

// Paths relative to an environment's base URL (its issuer).
const (
	pathDiscovery  = "/.well-known/openid-configuration"
	pathJWKS       = "/.well-known/jwks.json"
	pathAuthorize  = "/oauth2/auth"
	pathToken      = "/oauth2/token"
	pathRevoke     = "/oauth2/revoke"
	pathIntrospect = "/oauth2/introspect"
	pathUserinfo   = "/oauth2/userinfo"
	pathLogout     = "/oauth2/logout"
	pathSignIn     = "/sign-in"
	pathSignUp     = "/sign-up"
	// pathAccountPlan is the self-serve page where a signed-in user
	// changes or cancels their plan.
	pathAccountPlan = "/account/plan"
	// pathAPI is the management API (package mgmt).
	pathAPI = "/api/v1"
)

// guard gives every request its deadline and refuses requests once the
// server is stopping.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.stopping:
			http.Error(w, "the frontdoor is shutting down", http.StatusServiceUnavailable)
			return
		default:
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// corsAnyOrigin lets scripts of any origin read the response. It never
// allows credentials: these endpoints authenticate clients and users by
// what the request carries, not by cookies.
func corsAnyOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		next.ServeHTTP(w, r)
	})
}

// preflight answers a CORS preflight request.
func preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// pruneLoop deletes expired sessions, codes and attempts every
// PruneInterval.
func (s *Server) pruneLoop() {
	defer close(s.done)
	if s.cfg.PruneInterval < 0 {
		<-s.stopping
		return
	}
	t := time.NewTicker(s.cfg.PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopping:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		n, err := s.auth.Prune(ctx, s.now(), authstore.Retention{Codes: s.cfg.CodeRetention,
			Attempts: max(s.cfg.AccountLimit.Window, s.cfg.IPLimit.Window)})
		cancel()
		if err != nil {
			s.log.Warn("pruning expired sign-in state failed; will retry", "error", err)
		} else if n > 0 {
			s.log.Debug("pruned expired sign-in state", "rows", n)
		}
	}
}
