package mgmt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// Config wires the management API.
type Config struct {
	Logger *slog.Logger
	// NATS reaches the deployments, keys, logs and tokens services.
	NATS *nats.Conn
	// Identity is the frontdoor's identity store (applications, users,
	// organizations).
	Identity *identity.Store
	// Env returns the environment of a request (set by the frontdoor's
	// routing).
	Env func(ctx context.Context) string
	// Audience returns the management API audience of an environment:
	// the aud a token must carry.
	Audience func(env string) string
	// Plans changes and cancels users' plans (see plans.go).
	Plans Plans
}

// API serves the management API.
type API struct {
	cfg Config
	log *slog.Logger
	js  jetstream.JetStream // uploads modules to the artifact bucket
}

// New checks cfg and returns the API.
func New(cfg Config) (*API, error) {
	if cfg.NATS == nil || cfg.Identity == nil || cfg.Env == nil || cfg.Audience == nil {
		return nil, errors.New("mgmt: NATS, Identity, Env and Audience are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	js, err := jetstream.New(cfg.NATS)
	if err != nil {
		return nil, fmt.Errorf("mgmt: JetStream: %w", err)
	}
	return &API{cfg: cfg, log: cfg.Logger.With("component", "mgmt"), js: js}, nil
}

// Routes adds the API's routes to r, which is mounted at /api/v1. Every
// route needs an access token (see authenticate) and the scope it names.
func (a *API) Routes(r chi.Router) {
	r.Use(a.authenticate)
	a.applicationRoutes(r)
	a.userRoutes(r)
	a.organizationRoutes(r)
	a.workflowRoutes(r)
	a.deploymentRoutes(r)
	a.environmentVariableRoutes(r)
	a.logRoutes(r)
	a.planRoutes(r)
	a.mfaRoutes(r)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, notFound("no such endpoint: %s %s (see docs/api/openapi.yaml)", r.Method, r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path))
	})
}

// route adds a handler for method and pattern that needs scope.
func (a *API) route(r chi.Router, method, pattern, scope string, h func(w http.ResponseWriter, r *http.Request) error) {
	r.With(a.need(scope)).Method(method, pattern, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err := h(w, req); err != nil {
			a.fail(w, req, err)
		}
	}))
}
