package frontdoor

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/services/delivery"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// Schema is the PostgreSQL schema of the frontdoor (identity data and
// sign-in state); identity.Migrate applies its migrations.
const Schema = identity.Schema

// Defaults of Config.
const (
	DefaultCodeTTL        = 60 * time.Second
	DefaultSessionTTL     = 7 * 24 * time.Hour
	DefaultRequestTimeout = 15 * time.Second
	DefaultPruneInterval  = 10 * time.Minute
	// DefaultCodeRetention is how long a code is remembered after it
	// expires, so that a late replay still revokes its tokens.
	DefaultCodeRetention = 24 * time.Hour
)

// Limit allows Max failed sign-in attempts per Window.
type Limit struct {
	Max    int
	Window time.Duration
}

// Default sign-in limits.
var (
	// DefaultAccountLimit: 5 failed attempts per account in 15 minutes.
	DefaultAccountLimit = Limit{Max: 5, Window: 15 * time.Minute}
	// DefaultIPLimit: 20 failed attempts per client IP address in 15
	// minutes.
	DefaultIPLimit = Limit{Max: 20, Window: 15 * time.Minute}
)

// Config wires the frontdoor.
type Config struct {
	Logger *slog.Logger
	// Registerer receives the frontdoor's metrics; nil registers nowhere.
	Registerer prometheus.Registerer
	// Issuer returns the issuer URL of an environment (required): the
	// public URL under which that environment's routes are served — the
	// root of the HTTP listener for the default environment, /e/<env> for
	// the others — with no trailing slash. Cookies are Secure when it is
	// https.
	Issuer func(env string) string
	// ManagementAudience returns the audience of the management API in an
	// environment: tokens for it are the only ones the API accepts, and
	// client credentials requests for it skip m2m:token_generation.
	// Default: the issuer followed by /api.
	ManagementAudience func(env string) string
	// Mailer sends password reset links; without one, passwords cannot
	// be reset and the sign-in page offers no link.
	Mailer delivery.Mailer
	// Identity configures the identity store (argon2id parameters…).
	Identity identity.Config

	CodeTTL        time.Duration // authorization code lifetime; default 60s
	SessionTTL     time.Duration // browser session lifetime; default 7 days
	RequestTimeout time.Duration // deadline of every request; default 15s
	PruneInterval  time.Duration // expired sessions, codes, attempts; default 10m, negative: never
	CodeRetention  time.Duration // see DefaultCodeRetention
	AccountLimit   Limit         // default DefaultAccountLimit
	IPLimit        Limit         // default DefaultIPLimit
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
	if c.CodeTTL == 0 {
		c.CodeTTL = DefaultCodeTTL
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.PruneInterval == 0 {
		c.PruneInterval = DefaultPruneInterval
	}
	if c.CodeRetention == 0 {
		c.CodeRetention = DefaultCodeRetention
	}
	if c.AccountLimit == (Limit{}) {
		c.AccountLimit = DefaultAccountLimit
	}
	if c.IPLimit == (Limit{}) {
		c.IPLimit = DefaultIPLimit
	}
	var errs []error
	if c.Issuer == nil {
		errs = append(errs, errors.New("Issuer is required"))
	} else if c.ManagementAudience == nil {
		issuer := c.Issuer
		c.ManagementAudience = func(env string) string { return issuer(env) + "/api" }
	}
	for name, d := range map[string]time.Duration{"CodeTTL": c.CodeTTL, "SessionTTL": c.SessionTTL,
		"RequestTimeout": c.RequestTimeout, "CodeRetention": c.CodeRetention} {
		if d < time.Second {
			errs = append(errs, fmt.Errorf("%s is %v; it must be at least 1s", name, d))
		}
	}
	if c.CodeTTL > 10*time.Minute {
		errs = append(errs, fmt.Errorf("CodeTTL is %v; RFC 6749 §4.1.2 recommends at most 10 minutes", c.CodeTTL))
	}
	for name, l := range map[string]Limit{"AccountLimit": c.AccountLimit, "IPLimit": c.IPLimit} {
		if l.Max < 1 || l.Window < time.Second {
			errs = append(errs, fmt.Errorf("%s %+v needs Max >= 1 and a Window of at least 1s", name, l))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("frontdoor: invalid config: %w", err)
	}
	return c, nil
}

// managementAudience is the management API audience of env.
func (c Config) managementAudience(env string) string { return c.ManagementAudience(env) }
