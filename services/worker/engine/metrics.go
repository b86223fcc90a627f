package engine

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Discard reasons (label "reason" of gatehouse_worker_instance_discards_total).
const (
	discardTimeout = "timeout"
	discardTrap    = "trap"
	discardMemory  = "memory"
	// discardMemoryHigh: the instance's memory grew past half the limit; a
	// fresh one starts small again and holds no large leftovers.
	discardMemoryHigh = "memory_high"
	discardExit       = "exit"
	discardRecycled   = "recycled"
	discardPoolFull   = "pool_full"
	discardDropped    = "dropped"
)

// metrics holds the engine's collectors; a nil *metrics records nothing.
type metrics struct {
	pool           prometheus.Gauge
	instantiations prometheus.Counter
	discards       *prometheus.CounterVec
	compile        prometheus.Histogram
	fetches        *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		pool: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gatehouse_worker_pool_instances",
			Help: "Idle warm workflow instances held in the pools.",
		}),
		instantiations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_worker_instantiations_total",
			Help: "Workflow module instances created.",
		}),
		discards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_worker_instance_discards_total",
			Help: "Workflow instances closed instead of returned to the pool, by reason.",
		}, []string{"reason"}),
		compile: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gatehouse_worker_compile_seconds",
			Help:    "Time to compile and validate a workflow module.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_worker_fetch_calls_total",
			Help: "Workflow fetch and secureFetch calls, by outcome.",
		}, []string{"outcome"}),
	}
	for _, c := range []prometheus.Collector{m.pool, m.instantiations, m.discards, m.compile, m.fetches} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("engine metrics: %w (one Engine per registry)", err)
			}
			return nil, fmt.Errorf("engine metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) poolAdd(n int) {
	if m != nil {
		m.pool.Add(float64(n))
	}
}

func (m *metrics) instantiated() {
	if m != nil {
		m.instantiations.Inc()
	}
}

func (m *metrics) discarded(reason string) {
	if m != nil {
		m.discards.WithLabelValues(reason).Inc()
	}
}

func (m *metrics) compiled(seconds float64) {
	if m != nil {
		m.compile.Observe(seconds)
	}
}

func (m *metrics) fetched(outcome string) {
	if m != nil {
		m.fetches.WithLabelValues(outcome).Inc()
	}
}
