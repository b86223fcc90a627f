package worker

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

type metrics struct {
	executions *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	redactions prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_trigger_executions_total",
			Help: "Trigger requests served by this worker, by trigger and outcome (ok, denied, error, timeout, not_live, invalid).",
		}, []string{"trigger", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_trigger_execution_seconds",
			Help:    "Time a worker spent on a trigger request, from decode to decision.",
			Buckets: []float64{.00002, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .05, .25, 1, 5},
		}, []string{"trigger"}),
		redactions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_worker_redactions_total",
			Help: "Secret values and passwords replaced by [redacted] in decisions and runtime logs.",
		}),
	}
	reg.MustRegister(m.executions, m.duration, m.redactions)
	return m
}

func (m *metrics) executed(t abi.Trigger, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.executions.WithLabelValues(string(t), outcome).Inc()
	m.duration.WithLabelValues(string(t)).Observe(d.Seconds())
}

func (m *metrics) redacted(n int) {
	if m == nil {
		return
	}
	m.redactions.Add(float64(n))
}
