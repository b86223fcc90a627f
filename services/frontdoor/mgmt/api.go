package mgmt

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/nats-io/nats.go"

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
}

// New checks cfg and returns the API.
func New(cfg Config) (*API, error) {
	if cfg.NATS == nil || cfg.Identity == nil || cfg.Env == nil || cfg.Audience == nil {
		return nil, errors.New("mgmt: NATS, Identity, Env and Audience are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &API{cfg: cfg, log: cfg.Logger.With("component", "mgmt")}, nil
}

// Routes adds the API's routes to r, which is mounted at /api/v1.
func (a *API) Routes(r chi.Router) {
	a.planRoutes(r)
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not implemented", http.StatusNotImplemented)
	})
}
