package mfa

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the service's own counters; a nil *metrics counts nothing.
type metrics struct {
	verifications *prometheus.CounterVec
	enrollments   *prometheus.CounterVec
	lockouts      *prometheus.CounterVec
	deliveries    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_mfa_verifications_total",
			Help: "Codes checked, by factor type and outcome (valid, invalid, or the reason of a refusal).",
		}, []string{"factor", "outcome"}),
		enrollments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_mfa_enrollments_total",
			Help: "Factors whose enrollment completed (first valid code; backup codes when generated), by factor type.",
		}, []string{"factor"}),
		lockouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_mfa_lockouts_total",
			Help: "Lockouts: a challenge after too many wrong codes (challenge), a user after too many in a row (user).",
		}, []string{"kind"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_mfa_deliveries_total",
			Help: "Code deliveries, by channel (sms, email) and outcome (sent, retried, failed).",
		}, []string{"channel", "outcome"}),
	}
	var errs []error
	m.verifications = register(reg, m.verifications, &errs)
	m.enrollments = register(reg, m.enrollments, &errs)
	m.lockouts = register(reg, m.lockouts, &errs)
	m.deliveries = register(reg, m.deliveries, &errs)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("mfa: register metrics: %w", err)
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

func (m *metrics) verified(factor, outcome string) {
	if m != nil {
		m.verifications.WithLabelValues(factor, outcome).Inc()
	}
}

func (m *metrics) enrolled(factor string) {
	if m != nil {
		m.enrollments.WithLabelValues(factor).Inc()
	}
}

func (m *metrics) lockout(kind string) {
	if m != nil {
		m.lockouts.WithLabelValues(kind).Inc()
	}
}

func (m *metrics) delivery(channel, outcome string) {
	if m != nil {
		m.deliveries.WithLabelValues(channel, outcome).Inc()
	}
}
