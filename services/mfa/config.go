package mfa

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/delivery"
)

// Defaults of Config.
const (
	DefaultDeliveryAttempts    = 3
	DefaultDeliveryBackoff     = 500 * time.Millisecond
	DefaultDestinationLimit    = 10
	DefaultDestinationWindow   = time.Hour
	DefaultUserSendLimit       = 10
	DefaultUserSendWindow      = time.Hour
	DefaultUnverifiedFactorTTL = 24 * time.Hour
	DefaultPruneInterval       = time.Hour
)

// Config wires the service.
type Config struct {
	Logger     *slog.Logger
	Metrics    *natsrpc.Metrics
	Registerer prometheus.Registerer // nil: no service metrics

	// Mailer sends email codes and SMS sends SMS codes; when one is nil,
	// factors of its kind cannot be enrolled or challenged
	// (factor_not_allowed).
	Mailer delivery.Mailer
	SMS    delivery.SMSSender

	// DeliveryAttempts is how many times a code is offered to the provider
	// before delivery_failed; default 3.
	DeliveryAttempts int
	// DeliveryBackoff is the wait before the first retry, doubled for each
	// next one; default 500ms.
	DeliveryBackoff time.Duration
	// DestinationLimit codes may go to one phone number or email address
	// per DestinationWindow (rate_limited beyond); defaults 10 and 1h.
	DestinationLimit  int
	DestinationWindow time.Duration
	// UserSendLimit codes may go to one user, across all their SMS and
	// email factors, per UserSendWindow (rate_limited beyond); defaults 10
	// and 1h. It stops one user from enrolling many numbers, or deleting
	// and enrolling one again, to send codes without end.
	UserSendLimit  int
	UserSendWindow time.Duration
	// UnverifiedFactorTTL is how long a factor whose first code was never
	// verified is kept: an older one is deleted (with its secret and
	// challenges) by the prune loop; default 24h, at least 1h. Verified
	// factors are never pruned.
	UnverifiedFactorTTL time.Duration
	// PruneInterval is how often old challenges, send records and
	// abandoned unverified factors are deleted; default 1h, negative:
	// never.
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
	if c.DeliveryAttempts == 0 {
		c.DeliveryAttempts = DefaultDeliveryAttempts
	}
	if c.DeliveryBackoff == 0 {
		c.DeliveryBackoff = DefaultDeliveryBackoff
	}
	if c.DestinationLimit == 0 {
		c.DestinationLimit = DefaultDestinationLimit
	}
	if c.DestinationWindow == 0 {
		c.DestinationWindow = DefaultDestinationWindow
	}
	if c.UserSendLimit == 0 {
		c.UserSendLimit = DefaultUserSendLimit
	}
	if c.UserSendWindow == 0 {
		c.UserSendWindow = DefaultUserSendWindow
	}
	if c.UnverifiedFactorTTL == 0 {
		c.UnverifiedFactorTTL = DefaultUnverifiedFactorTTL
	}
	if c.PruneInterval == 0 {
		c.PruneInterval = DefaultPruneInterval
	}
	var errs []error
	if c.DeliveryAttempts < 1 || c.DeliveryAttempts > 10 {
		errs = append(errs, fmt.Errorf("DeliveryAttempts is %d; it must be 1 to 10", c.DeliveryAttempts))
	}
	if c.DeliveryBackoff < 0 || c.DeliveryBackoff > 10*time.Second {
		errs = append(errs, fmt.Errorf("DeliveryBackoff is %v; it must be 0 to 10s", c.DeliveryBackoff))
	}
	if c.DestinationLimit < 1 {
		errs = append(errs, fmt.Errorf("DestinationLimit is %d; it must be at least 1", c.DestinationLimit))
	}
	if c.DestinationWindow < time.Minute {
		errs = append(errs, fmt.Errorf("DestinationWindow is %v; it must be at least 1m", c.DestinationWindow))
	}
	if c.UserSendLimit < 1 {
		errs = append(errs, fmt.Errorf("UserSendLimit is %d; it must be at least 1", c.UserSendLimit))
	}
	if c.UserSendWindow < time.Minute {
		errs = append(errs, fmt.Errorf("UserSendWindow is %v; it must be at least 1m", c.UserSendWindow))
	}
	if c.UnverifiedFactorTTL < time.Hour {
		errs = append(errs, fmt.Errorf("UnverifiedFactorTTL is %v; it must be at least 1h (time to receive and type a first code)", c.UnverifiedFactorTTL))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("mfa: invalid config: %w", err)
	}
	return c, nil
}
