package tokens

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// Defaults of Config.
const (
	DefaultAccessTTL     = time.Hour
	DefaultIDTTL         = time.Hour
	DefaultRefreshTTL    = 30 * 24 * time.Hour
	DefaultKeyOverlap    = 24 * time.Hour
	DefaultKeyCacheTTL   = time.Minute
	DefaultPruneInterval = time.Hour
)

// Config wires the service.
type Config struct {
	Logger     *slog.Logger
	Metrics    *natsrpc.Metrics
	Registerer prometheus.Registerer // nil: no service metrics

	// Issuer returns the issuer URL (the iss claim) of an environment; it is
	// required and must not return "".
	Issuer func(env string) string
	// ManagementAudience, if set, returns the audience of the management API
	// in an environment: M2M tokens for it never take workflow claims
	// (DESIGN §3); the claims are dropped and reported.
	ManagementAudience func(env string) string

	AccessTTL  time.Duration // access and M2M tokens; default 1h
	IDTTL      time.Duration // ID tokens; default 1h
	RefreshTTL time.Duration // each refresh token, from its issue; default 30 days
	// KeyOverlap is how long a superseded signing key stays published and
	// verifying; default 24h. It must be at least AccessTTL and IDTTL.
	KeyOverlap time.Duration
	// DefaultAlg is api.AlgES256 (the default) or api.AlgRS256.
	DefaultAlg string
	// KeyCacheTTL bounds how long a replica signs with a key it believes
	// active without asking the database again; default 1 minute.
	KeyCacheTTL time.Duration
	// PruneInterval is how often expired records are deleted; default 1h,
	// negative: never.
	PruneInterval time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// withDefaults fills the zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.AccessTTL == 0 {
		c.AccessTTL = DefaultAccessTTL
	}
	if c.IDTTL == 0 {
		c.IDTTL = DefaultIDTTL
	}
	if c.RefreshTTL == 0 {
		c.RefreshTTL = DefaultRefreshTTL
	}
	if c.KeyOverlap == 0 {
		c.KeyOverlap = DefaultKeyOverlap
	}
	if c.KeyCacheTTL == 0 {
		c.KeyCacheTTL = DefaultKeyCacheTTL
	}
	if c.PruneInterval == 0 {
		c.PruneInterval = DefaultPruneInterval
	}
	if c.DefaultAlg == "" {
		c.DefaultAlg = api.AlgES256
	}
	var errs []error
	if c.Issuer == nil {
		errs = append(errs, errors.New("Issuer is required"))
	}
	if c.DefaultAlg != api.AlgES256 && c.DefaultAlg != api.AlgRS256 {
		errs = append(errs, fmt.Errorf("DefaultAlg %q is not supported: use %s or %s", c.DefaultAlg, api.AlgES256, api.AlgRS256))
	}
	for name, d := range map[string]time.Duration{"AccessTTL": c.AccessTTL, "IDTTL": c.IDTTL,
		"RefreshTTL": c.RefreshTTL, "KeyOverlap": c.KeyOverlap, "KeyCacheTTL": c.KeyCacheTTL} {
		if d < time.Second {
			errs = append(errs, fmt.Errorf("%s is %v; it must be at least 1s", name, d))
		}
	}
	if c.KeyOverlap < c.AccessTTL || c.KeyOverlap < c.IDTTL {
		errs = append(errs, fmt.Errorf("KeyOverlap (%v) is shorter than the longest access or ID token lifetime (%v, %v): tokens would outlive their key",
			c.KeyOverlap, c.AccessTTL, c.IDTTL))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("tokens: invalid config: %w", err)
	}
	return c, nil
}
