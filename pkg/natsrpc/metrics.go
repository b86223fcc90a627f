package natsrpc

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the request counters and latencies of every endpoint in a
// process. Make one per registry and share it between services.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	shedding *prometheus.CounterVec
}

// NewMetrics registers the natsrpc metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_rpc_requests_total",
			Help: "NATS requests served, by service, endpoint and reply code.",
		}, []string{"service", "endpoint", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_rpc_duration_seconds",
			Help:    "Time from a request's arrival to its reply.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .05, .25, 1, 5},
		}, []string{"service", "endpoint"}),
		shedding: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_rpc_shed_total",
			Help: "Requests refused at once because the endpoint's pool and queue were full.",
		}, []string{"service", "endpoint"}),
	}
	reg.MustRegister(m.requests, m.latency, m.shedding)
	return m
}

func (m *Metrics) observe(svc, ep, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(svc, ep, code).Inc()
	m.latency.WithLabelValues(svc, ep).Observe(d.Seconds())
}

func (m *Metrics) shed(svc, ep string) {
	if m == nil {
		return
	}
	m.shedding.WithLabelValues(svc, ep).Inc()
}
