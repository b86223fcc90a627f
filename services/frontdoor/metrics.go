package frontdoor

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Label values that stand for an open set of inputs: every label of the
// frontdoor's metrics comes from a closed set, whatever clients send.
const (
	// routeUnmatched is the route of a request no route pattern matched.
	routeUnmatched = "unmatched"
	// methodOther is every HTTP method the frontdoor does not serve.
	methodOther = "other"
	// grantMissing is a token request without grant_type.
	grantMissing = "none"
	// grantUnsupported is a grant_type the token endpoint does not know.
	grantUnsupported = "unsupported"
)

// Outcomes of a token request (label outcome of
// gatehouse_frontdoor_token_requests_total).
const (
	outcomeIssued  = "issued"
	outcomeRefused = "refused"
)

// Kinds of workflow stops (label kind of
// gatehouse_frontdoor_workflow_stops_total).
const (
	stopDenied = "denied"
	stopFailed = "failed"
)

// Results of a sign-in form submission up to the password check (label
// result of gatehouse_frontdoor_sign_ins_total). What happens after the
// password was accepted (user:post_authentication, MFA, the code) is
// counted by the workflow and HTTP metrics.
const (
	signInSucceeded          = "succeeded"           // the password was accepted
	signInInvalidCredentials = "invalid_credentials" // unknown email or wrong password
	signInRateLimited        = "rate_limited"        // the attempt limits refused it
	signInFormErrors         = "form_errors"         // a field missing, or formErrors from a workflow
	signInCSRFRejected       = "csrf_rejected"       // the anti-forgery token did not match
	signInWorkflowStopped    = "workflow_stopped"    // user:existing_password_provided stopped it
	signInError              = "error"               // the frontdoor failed (server error page)
)

// latencyBuckets span a cached discovery document (well under a
// millisecond) to a sign-in waiting for argon2id under load, up to the
// default request deadline of 15 seconds.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15}

// metrics are the frontdoor's Prometheus metrics. They work whether or not
// they were registered anywhere.
type metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	inFlight      prometheus.Gauge
	tokens        *prometheus.CounterVec
	workflowStops *prometheus.CounterVec
	continued     *prometheus.CounterVec
	signIns       *prometheus.CounterVec
}

// newMetrics registers the frontdoor's metrics with reg (nowhere if nil).
// A metric already registered under the same name and labels (a second
// frontdoor on the same registry) is shared.
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_frontdoor_http_requests_total",
			Help: "HTTP requests answered by the frontdoor, by route pattern (environments are not labels), method and status class (2xx…5xx).",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_frontdoor_http_request_duration_seconds",
			Help:    "Time the frontdoor took to answer an HTTP request, by route pattern.",
			Buckets: latencyBuckets,
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gatehouse_frontdoor_http_requests_in_flight",
			Help: "HTTP requests the frontdoor is answering now.",
		}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_frontdoor_token_requests_total",
			Help: "Token endpoint requests, by grant type, outcome (issued, refused) and OAuth error code (empty when issued).",
		}, []string{"grant_type", "outcome", "error"}),
		workflowStops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_frontdoor_workflow_stops_total",
			Help: "Flows a workflow stopped, by trigger and kind: denied (the workflow denied access) or failed (it failed, or no worker answered, with failure policy stop).",
		}, []string{"trigger", "kind"}),
		continued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_frontdoor_workflow_failures_continued_total",
			Help: "Workflow failures the flow went past because the workflow's failure policy is continue, by trigger.",
		}, []string{"trigger"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_frontdoor_sign_ins_total",
			Help: "Sign-in form submissions up to the password check, by result: succeeded, invalid_credentials, rate_limited, form_errors, csrf_rejected, workflow_stopped, error.",
		}, []string{"result"}),
	}
	if reg != nil {
		m.requests = register(reg, m.requests)
		m.duration = register(reg, m.duration)
		m.inFlight = register(reg, m.inFlight)
		m.tokens = register(reg, m.tokens)
		m.workflowStops = register(reg, m.workflowStops)
		m.continued = register(reg, m.continued)
		m.signIns = register(reg, m.signIns)
	}
	return m
}

// register registers c with reg, or returns the collector already
// registered in its place. Any other failure is a programming error (two
// metrics of one name with different labels) and panics, as
// prometheus.MustRegister does.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic(fmt.Errorf("frontdoor: register metrics: %w", err))
}

// instrument measures every request: the route is the chi route pattern
// the request matched, read once routing is done, never the path.
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := routeOf(r)
		m.requests.WithLabelValues(route, methodLabel(r.Method), statusClass(ww.Status())).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// routeOf is the route pattern r matched. Requests that matched no route
// of an environment (chi's mount pattern /e/{env}/* and nothing after it)
// share one label value.
func routeOf(r *http.Request) string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil {
		return routeUnmatched
	}
	p := rctx.RoutePattern()
	if p == "" || strings.HasSuffix(p, "/*") {
		return routeUnmatched
	}
	return p
}

// methodLabel keeps the method label to the methods the frontdoor serves.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodOptions, http.MethodHead,
		http.MethodPut, http.MethodPatch, http.MethodDelete:
		return method
	}
	return methodOther
}

// statusClass is 2xx, 3xx, 4xx or 5xx. A handler that wrote nothing
// answered 200.
func statusClass(code int) string {
	switch {
	case code == 0:
		return "2xx"
	case code >= 100 && code < 600:
		return string(rune('0'+code/100)) + "xx"
	}
	return "other"
}

// grantLabel keeps the grant_type label to the grants the token endpoint
// knows.
func grantLabel(grant string) string {
	switch grant {
	case grantAuthorizationCode, grantRefreshToken, grantClientCredentials:
		return grant
	case "":
		return grantMissing
	}
	return grantUnsupported
}

// tokenIssued counts a token request answered with tokens.
func (m *metrics) tokenIssued(grant string) {
	m.tokens.WithLabelValues(grantLabel(grant), outcomeIssued, "").Inc()
}

// tokenRefused counts a token request answered with OAuth error code.
func (m *metrics) tokenRefused(grant, code string) {
	m.tokens.WithLabelValues(grantLabel(grant), outcomeRefused, code).Inc()
}

// workflowStopped counts a flow a workflow stopped.
func (m *metrics) workflowStopped(stop *workflowStop) {
	kind := stopDenied
	if stop.Failure != "" {
		kind = stopFailed
	}
	m.workflowStops.WithLabelValues(string(stop.Trigger), kind).Inc()
}

// workflowContinued counts a workflow failure that its failure policy
// continue let the flow go past.
func (m *metrics) workflowContinued(t abi.Trigger) {
	m.continued.WithLabelValues(string(t)).Inc()
}

// signIn counts a sign-in form submission with result, one of the signIn…
// constants.
func (m *metrics) signIn(result string) {
	m.signIns.WithLabelValues(result).Inc()
}
