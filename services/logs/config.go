package logs

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
)

// Config wires the service. The zero value of every field is a sensible
// default.
type Config struct {
	Logger  *slog.Logger
	Metrics *natsrpc.Metrics // query endpoint metrics; nil: none
	// Registerer receives the ingestion and retention metrics; nil: none.
	Registerer prometheus.Registerer
	// Replicas of the log stream if the service has to create it (1 for a
	// single NATS server, 3 for a cluster).
	Replicas int
	// Retention is how long records are kept, by their time (default 30 days).
	Retention time.Duration
	// RetentionInterval is how often old records are deleted (default 1h).
	RetentionInterval time.Duration
	// BatchSize is the most records written in one transaction (default 500).
	BatchSize int
	// BatchWait is how long a batch waits to fill up (default 100ms).
	BatchWait time.Duration
}

// Defaults of Config.
const (
	defaultRetention         = 30 * 24 * time.Hour
	defaultRetentionInterval = time.Hour
	defaultBatchSize         = 500
	defaultBatchWait         = 100 * time.Millisecond
)

// maxBatchSize keeps one batch's parameters and memory bounded.
const maxBatchSize = 10_000

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Replicas < 1 {
		c.Replicas = 1
	}
	if c.Retention <= 0 {
		c.Retention = defaultRetention
	}
	if c.RetentionInterval <= 0 {
		c.RetentionInterval = defaultRetentionInterval
	}
	if c.BatchSize <= 0 {
		c.BatchSize = defaultBatchSize
	}
	c.BatchSize = min(c.BatchSize, maxBatchSize)
	if c.BatchWait <= 0 {
		c.BatchWait = defaultBatchWait
	}
	return c
}
