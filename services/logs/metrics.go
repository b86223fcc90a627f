package logs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a message is rejected (gatehouse_logs_rejected_total{reason}).
const (
	rejectInvalidJSON     = "invalid_json"
	rejectUnknownKind     = "unknown_kind"
	rejectSubjectMismatch = "subject_mismatch"
	rejectMissingID       = "missing_id"
	rejectInvalidID       = "invalid_id"
	rejectInvalidEnv      = "invalid_env"
	rejectInvalidOutcome  = "invalid_outcome"
	rejectDatabase        = "rejected_by_database"
)

// pendingTimeout bounds the consumer lookup behind the pending gauge.
const pendingTimeout = time.Second

type metrics struct {
	reg              prometheus.Registerer
	ingested         *prometheus.CounterVec
	duplicates       prometheus.Counter
	rejected         *prometheus.CounterVec
	writeSeconds     prometheus.Histogram
	writeErrors      prometheus.Counter
	retentionDeleted prometheus.Counter
	pending          prometheus.Collector

	lastPending atomic.Uint64 // math.Float64bits of the last known value
}

// newMetrics creates the service's metrics and registers them on reg (nil:
// not registered). Counters already registered by an earlier Start on the
// same registry are reused, so they keep counting across a restart.
// pending is called on each scrape.
func newMetrics(reg prometheus.Registerer, pending func(context.Context) (float64, error)) (*metrics, error) {
	m := &metrics{reg: reg}
	m.ingested = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_logs_ingested_total",
		Help: "Log records stored, by kind."}, []string{"kind"})
	m.duplicates = prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_logs_duplicates_total",
		Help: "Log records received again after they were stored (redeliveries and republished records), skipped."})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_logs_rejected_total",
		Help: "Log messages terminated because they can never be stored, by reason."}, []string{"reason"})
	m.writeSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gatehouse_logs_write_seconds",
		Help:    "Time to write one batch of log records to PostgreSQL, including retries.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)})
	m.writeErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_logs_write_errors_total",
		Help: "Failed attempts to write a batch of log records (the batch is retried)."})
	m.retentionDeleted = prometheus.NewCounter(prometheus.CounterOpts{Name: "gatehouse_logs_retention_deleted_total",
		Help: "Log records deleted because they were older than the retention."})
	m.pending = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gatehouse_logs_consumer_pending",
		Help: "Log records in the stream not yet stored: the consumer's pending plus unacknowledged messages (the last known value when the lookup fails)."},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), pendingTimeout)
			defer cancel()
			if v, err := pending(ctx); err == nil {
				m.lastPending.Store(math.Float64bits(v))
			}
			return math.Float64frombits(m.lastPending.Load())
		})
	if reg == nil {
		return m, nil
	}
	var errs []error
	m.ingested = register(reg, m.ingested, &errs)
	m.duplicates = register(reg, m.duplicates, &errs)
	m.rejected = register(reg, m.rejected, &errs)
	m.writeSeconds = register(reg, m.writeSeconds, &errs)
	m.writeErrors = register(reg, m.writeErrors, &errs)
	m.retentionDeleted = register(reg, m.retentionDeleted, &errs)
	if err := reg.Register(m.pending); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		m.unregister()
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// its name. Other failures are appended to errs.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, errs *[]error) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	*errs = append(*errs, err)
	return c
}

// unregister removes what only this service instance can report.
func (m *metrics) unregister() {
	if m.reg != nil {
		m.reg.Unregister(m.pending)
	}
}
