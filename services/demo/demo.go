package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// Names and values the seed uses.
const (
	AppName    = "Gatehouse demo"
	Email      = "demo@gatehouse.test"
	OrgName    = "Demo Org"
	OrgRole    = "admin"
	Path       = "/demo"
	WorkflowID = "gatehouseDemo"
	// MFAWorkflowID is the pre-MFA workflow the seed deploys (the SDK's
	// mfagraceperiod example): MFA is required unless the user's last MFA
	// is under 24 hours old.
	MFAWorkflowID = "mfaGracePeriod"
	// AccessTokenClaim is the access-token claim the demo workflow sets.
	AccessTokenClaim = "gatehouse_demo"
	// IDTokenClaim is the ID-token claim the demo workflow sets.
	IDTokenClaim = "gatehouse_demo_greeting"
	// env is the environment the demo lives in.
	env = envname.Default
)

// Config wires the demo.
type Config struct {
	Logger *slog.Logger
	// Identity is the frontdoor's identity store (required).
	Identity *identity.Store
	// NATS reaches the deployments service to deploy the demo workflows
	// (required).
	NATS *nats.Conn
	// DataDir keeps demo.json (required).
	DataDir string
	// IssuerURL is the issuer of the default environment, the public base
	// URL of the HTTP listener (required): the demo lives at
	// IssuerURL + "/demo".
	IssuerURL string
	// WorkflowDir is the Go module directory of the demo workflow; empty
	// looks for wasm-sdk/examples/demoflair above the working directory and
	// the executable.
	WorkflowDir string
	// MFAWorkflowDir is the Go module directory of the pre-MFA workflow;
	// empty looks for wasm-sdk/examples/mfagraceperiod the same way.
	MFAWorkflowDir string
	// Build compiles a workflow directory to WebAssembly; nil uses
	// wasmbuild.Build.
	Build func(ctx context.Context, dir string) ([]byte, error)
}

// Demo is a seeded demo: its credentials and its relying party.
type Demo struct {
	cfg   Config
	base  string // IssuerURL + Path
	state state
	rp    *relyingParty
}

// Start seeds the demo (see the package documentation) and returns it. A
// workflow that cannot be built or deployed is logged as a warning and
// skipped; every other failure is an error.
func Start(ctx context.Context, cfg Config) (*Demo, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var errs []error
	if cfg.Identity == nil {
		errs = append(errs, errors.New("Identity is required"))
	}
	if cfg.NATS == nil {
		errs = append(errs, errors.New("NATS is required"))
	}
	if cfg.DataDir == "" {
		errs = append(errs, errors.New("DataDir is required"))
	}
	if u, err := url.Parse(cfg.IssuerURL); err != nil || u.Host == "" || strings.HasSuffix(cfg.IssuerURL, "/") {
		errs = append(errs, fmt.Errorf("IssuerURL %q must be an absolute URL without a trailing slash", cfg.IssuerURL))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("demo: invalid config: %w", err)
	}
	d := &Demo{cfg: cfg, base: cfg.IssuerURL + Path}
	if err := d.seed(ctx); err != nil {
		return nil, fmt.Errorf("demo seed: %w", err)
	}
	d.deployWorkflows(ctx)
	d.rp = newRelyingParty(cfg.IssuerURL, d.base, d.state.ClientID, d.state.ClientSecret, cfg.Logger)
	return d, nil
}

// URL is the address of the demo page.
func (d *Demo) URL() string { return d.base }

// Email is the demo user's email address.
func (d *Demo) Email() string { return d.state.Email }

// Password is the demo user's password, generated on the first seed.
func (d *Demo) Password() string { return d.state.Password }

// ClientID is the client ID of the demo application.
func (d *Demo) ClientID() string { return d.state.ClientID }

// UserID is the demo user's ID.
func (d *Demo) UserID() string { return d.state.UserID }

// CLIClient returns the management API client of the CLI: its id and
// secret.
func (d *Demo) CLIClient() (id, secret string) { return d.state.CLIClientID, d.state.CLIClientSecret }

// StateFile is the file that keeps the demo's client secret and password.
func (d *Demo) StateFile() string { return filepath.Join(d.cfg.DataDir, stateFile) }
