package engine

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/services/worker/egress"
)

// tierServer is a loopback JSON API; allow is the allow-list entry for it.
func tierServer(t *testing.T) (srv *httptest.Server, allow string, hits *atomic.Int32) {
	t.Helper()
	hits = new(atomic.Int32)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/text":
			w.Write([]byte("plain words"))
		case "/big":
			w.Write([]byte(`{"pad":"` + strings.Repeat("x", 4096) + `"}`))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"tier":"gold"}`))
		}
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return srv, u.Host, hits
}

func TestFetchThroughAllowListedLoopback(t *testing.T) {
	srv, allow, hits := tierServer(t)
	reg := prometheus.NewRegistry()
	e := newEngine(t, func(c *Config) {
		c.Egress = egress.Config{AllowHTTP: true, Allow: []string{allow}}
		c.Registerer = reg
	})
	m := compile(t, e, guest(t, "sdktokens"))
	d := run(e, m, `{"test":{"fetch":"`+srv.URL+`/tier"}}`)
	wantOK(t, d)
	if string(d.AccessTokenClaims["tier"]) != `"gold"` {
		t.Fatalf("tier claim = %s", d.AccessTokenClaims["tier"])
	}
	if hits.Load() != 1 {
		t.Fatalf("server hits = %d", hits.Load())
	}

	// responseFormat json on a non-JSON body fails clearly.
	d = run(e, m, `{"test":{"fetch":"`+srv.URL+`/text"}}`)
	wantError(t, d, api.ErrCodeWorkflow, `fetch to 127.0.0.1: the response (status 200) is not valid JSON, but responseFormat is "json"`)

	if got := testutil.ToFloat64(e.metrics.fetches.WithLabelValues(fetchOK)); got != 1 {
		t.Fatalf("fetch ok counter = %v", got)
	}
}

func TestFetchRefusesInternalDestinations(t *testing.T) {
	srv, _, hits := tierServer(t)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	e := newEngine(t, func(c *Config) { c.Egress = egress.Config{AllowHTTP: true} })
	m := compile(t, e, guest(t, "hostile"))
	cases := []struct{ url, msg string }{
		{fmt.Sprintf("http://127.0.0.1:%d/", port), "fetch to 127.0.0.1: loopback address refused"},
		{"http://169.254.169.254/latest/meta-data/", "fetch to 169.254.169.254: link-local address refused"},
		{"http://10.0.0.1/", "fetch to 10.0.0.1: private address refused"},
		{fmt.Sprintf("http://localhost:%d/", port), "fetch to localhost: loopback address"},
	}
	for _, c := range cases {
		d := run(e, m, `{"op":"fetch","url":"`+c.url+`"}`)
		wantError(t, d, api.ErrCodeWorkflow, "fetch returned -6: "+c.msg)
	}
	if hits.Load() != 0 {
		t.Fatalf("a refused fetch reached the server %d times", hits.Load())
	}
	// https only unless configured.
	e2 := newEngine(t, nil)
	m2 := compile(t, e2, guest(t, "hostile"))
	wantError(t, run(e2, m2, `{"op":"fetch","url":"http://example.com/"}`), api.ErrCodeWorkflow,
		"fetch to example.com: plain http refused (https required)")
}

func TestFetchLimits(t *testing.T) {
	srv, allow, hits := tierServer(t)
	e := newEngine(t, func(c *Config) {
		c.Egress = egress.Config{AllowHTTP: true, Allow: []string{allow}}
		c.Limits.MaxFetchCalls = 2
		c.Limits.MaxFetchResponseBytes = 1024
	})
	m := compile(t, e, guest(t, "hostile"))
	d := run(e, m, `{"op":"fetchmany","n":3,"url":"`+srv.URL+`/tier"}`)
	wantError(t, d, api.ErrCodeWorkflow, "fetch 3 returned -5: kinde.fetch: at most 2 fetch calls per execution")
	if hits.Load() != 2 {
		t.Fatalf("server hits = %d, want 2", hits.Load())
	}
	// The count is per execution.
	wantOK(t, run(e, m, `{"op":"fetchmany","n":2,"url":"`+srv.URL+`/tier"}`))

	d = run(e, m, `{"op":"fetch","url":"`+srv.URL+`/big"}`)
	wantError(t, d, api.ErrCodeWorkflow, "fetch returned -5: fetch to 127.0.0.1: response body exceeds the 1024-byte limit")
}
