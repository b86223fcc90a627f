package tokens

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the service's own counters; a nil *metrics counts nothing.
type metrics struct {
	issued         *prometheus.CounterVec
	reuse          prometheus.Counter
	revocations    *prometheus.CounterVec
	introspections *prometheus.CounterVec
	dropped        *prometheus.CounterVec
	keysCreated    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_tokens_issued_total",
			Help: "Tokens issued, by type (access, id, refresh, m2m) and grant.",
		}, []string{"type", "grant"}),
		reuse: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_tokens_refresh_reuse_total",
			Help: "Refresh tokens presented again after rotation (each revokes its family).",
		}),
		revocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_tokens_revocations_total",
			Help: "Revocations, by what was revoked (access_token, refresh_family, grant) and why (request, reuse, grant, subject).",
		}, []string{"kind", "cause"}),
		introspections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_tokens_introspections_total",
			Help: "Introspections, by result: active, or why the token is inactive.",
		}, []string{"result"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_tokens_dropped_claims_total",
			Help: "Workflow claims not applied because the token type reserves them, by token kind.",
		}, []string{"token"}),
		keysCreated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_tokens_signing_keys_created_total",
			Help: "Signing keys made, by algorithm and cause (first_use, rotation).",
		}, []string{"alg", "cause"}),
	}
	var errs []error
	m.issued = register(reg, m.issued, &errs)
	m.reuse = register(reg, m.reuse, &errs)
	m.revocations = register(reg, m.revocations, &errs)
	m.introspections = register(reg, m.introspections, &errs)
	m.dropped = register(reg, m.dropped, &errs)
	m.keysCreated = register(reg, m.keysCreated, &errs)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("tokens: register metrics: %w", err)
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// its name (several services may share one registry in tests).
func register[C prometheus.Collector](reg prometheus.Registerer, c C, errs *[]error) C {
	if err := reg.Register(c); err != nil {
		var already prometheus.AlreadyRegisteredError
		if errors.As(err, &already) {
			if existing, ok := already.ExistingCollector.(C); ok {
				return existing
			}
		}
		*errs = append(*errs, err)
	}
	return c
}

func (m *metrics) issue(typ, grant string) {
	if m != nil {
		m.issued.WithLabelValues(typ, grant).Inc()
	}
}

func (m *metrics) reused() {
	if m != nil {
		m.reuse.Inc()
	}
}

func (m *metrics) revoked(kind, cause string, n int) {
	if m != nil && n > 0 {
		m.revocations.WithLabelValues(kind, cause).Add(float64(n))
	}
}

func (m *metrics) introspected(result string) {
	if m != nil {
		m.introspections.WithLabelValues(result).Inc()
	}
}

func (m *metrics) droppedClaims(token string, n int) {
	if m != nil && n > 0 {
		m.dropped.WithLabelValues(token).Add(float64(n))
	}
}

func (m *metrics) keyCreated(alg, cause string) {
	if m != nil {
		m.keysCreated.WithLabelValues(alg, cause).Inc()
	}
}
