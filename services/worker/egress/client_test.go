package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testConfig allows http and nothing else.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.AllowHTTP = true
	cfg.ConnectTimeout = time.Second
	cfg.Timeout = 2 * time.Second
	return cfg
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// loopbackServer starts an httptest server and returns it with the
// allow-list entry ("127.0.0.1:port") that permits it.
func loopbackServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return srv, u.Host
}

func wantErr(t *testing.T, err error, sentinel error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q", msg)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("error %v does not wrap %v", err, sentinel)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q does not contain %q", err.Error(), msg)
	}
}

func TestRefusesSpecialAddresses(t *testing.T) {
	var hits atomic.Int32
	srv, _ := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	c := newClient(t, testConfig())
	cases := []struct{ url, msg string }{
		{fmt.Sprintf("http://127.0.0.1:%d/", port), "fetch to 127.0.0.1: loopback address refused"},
		{"http://169.254.169.254/latest/meta-data/", "fetch to 169.254.169.254: link-local address refused"},
		{"http://10.0.0.1/", "fetch to 10.0.0.1: private address refused"},
		{"http://172.16.4.4/", "fetch to 172.16.4.4: private address refused"},
		{"http://192.168.0.1/", "fetch to 192.168.0.1: private address refused"},
		{"http://100.64.1.1/", "fetch to 100.64.1.1: shared (CGNAT) address refused"},
		{"http://0.0.0.0/", "fetch to 0.0.0.0: unspecified address refused"},
		{"http://[::1]/", "fetch to ::1: loopback address refused"},
		{"http://[fe80::1]/", "fetch to fe80::1: link-local address refused"},
		{"http://[fd00::1]/", "fetch to fd00::1: private address refused"},
		{"http://239.0.0.1/", "fetch to 239.0.0.1: multicast address refused"},
		{"http://255.255.255.255/", "fetch to 255.255.255.255: broadcast address refused"},
	}
	for _, tc := range cases {
		_, err := c.Do(context.Background(), Request{URL: tc.url})
		wantErr(t, err, ErrRefused, tc.msg)
	}
	if hits.Load() != 0 {
		t.Fatalf("a refused request reached the server %d times", hits.Load())
	}
}

func TestRefusesHostnameResolvingToLoopback(t *testing.T) {
	var hits atomic.Int32
	srv, _ := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	c := newClient(t, testConfig())
	_, err := c.Do(context.Background(), Request{URL: fmt.Sprintf("http://localhost:%d/", port)})
	wantErr(t, err, ErrRefused, "fetch to localhost: loopback address")
	if !strings.Contains(err.Error(), "after DNS resolution") {
		t.Errorf("error %q does not say the check happened after resolution", err)
	}
	if hits.Load() != 0 {
		t.Fatal("the request reached the loopback server")
	}
}

// flipResolver answers a public address first, then loopback: a DNS
// rebinding attack.
type flipResolver struct{ calls atomic.Int32 }

func (r *flipResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if r.calls.Add(1) == 1 {
		return []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil // TEST-NET-1: public, unroutable
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

func TestNoDNSRebinding(t *testing.T) {
	var hits atomic.Int32
	srv, _ := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	cfg := testConfig()
	cfg.ConnectTimeout = 200 * time.Millisecond
	res := &flipResolver{}
	cfg.Resolver = res
	c := newClient(t, cfg)
	_, err := c.Do(context.Background(), Request{URL: fmt.Sprintf("http://rebind.test:%d/", port)})
	if err == nil {
		t.Fatal("request succeeded: the client dialed an address it had not checked")
	}
	if hits.Load() != 0 {
		t.Fatal("the request reached the loopback server through a rebinding name")
	}
	if n := res.calls.Load(); n != 1 {
		t.Fatalf("resolver called %d times, want exactly once (resolve, check, dial the checked address)", n)
	}
}

func TestAllowListedLoopbackWorks(t *testing.T) {
	srv, hostPort := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("X-Test"))
		fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
	})
	cfg := testConfig()
	cfg.Allow = []string{hostPort}
	c := newClient(t, cfg)
	resp, err := c.Do(context.Background(), Request{
		Method: "post", URL: srv.URL + "/hello",
		Header: http.Header{"X-Test": {"yes"}}, Body: []byte("x"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || string(resp.Body) != "POST /hello" || resp.Header.Get("X-Echo") != "yes" {
		t.Fatalf("response = %d %q %v", resp.Status, resp.Body, resp.Header)
	}

	// A CIDR entry works too.
	cfg.Allow = []string{"127.0.0.0/8"}
	c = newClient(t, cfg)
	if _, err := c.Do(context.Background(), Request{URL: srv.URL}); err != nil {
		t.Fatalf("CIDR allow-list: %v", err)
	}
	// Another port of the same address stays refused with a host:port entry.
	cfg.Allow = []string{"127.0.0.1:1"}
	c = newClient(t, cfg)
	_, err = c.Do(context.Background(), Request{URL: srv.URL})
	wantErr(t, err, ErrRefused, "loopback address refused")
}

func TestHTTPSOnlyByDefault(t *testing.T) {
	cfg := DefaultConfig()
	c := newClient(t, cfg)
	_, err := c.Do(context.Background(), Request{URL: "http://example.com/"})
	wantErr(t, err, ErrRefused, "fetch to example.com: plain http refused (https required)")
	_, err = c.Do(context.Background(), Request{URL: "file:///etc/passwd"})
	wantErr(t, err, ErrRefused, `scheme "file" refused`)
	_, err = c.Do(context.Background(), Request{URL: "https://user:pw@example.com/"})
	wantErr(t, err, ErrBadRequest, "credentials in the URL")
}

func TestResponseSizeCap(t *testing.T) {
	srv, hostPort := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := 1024
		if r.URL.Path == "/big" {
			n = 1025
		}
		w.Write([]byte(strings.Repeat("a", n)))
	})
	cfg := testConfig()
	cfg.Allow = []string{hostPort}
	cfg.MaxResponseBytes = 1024
	c := newClient(t, cfg)
	resp, err := c.Do(context.Background(), Request{URL: srv.URL + "/exact"})
	if err != nil || len(resp.Body) != 1024 {
		t.Fatalf("body at the limit: err=%v", err)
	}
	_, err = c.Do(context.Background(), Request{URL: srv.URL + "/big"})
	wantErr(t, err, ErrResponseTooLarge, "fetch to 127.0.0.1: response body exceeds the 1024-byte limit")
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv, hostPort := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	cfg := testConfig()
	cfg.Allow = []string{hostPort}
	cfg.Timeout = 100 * time.Millisecond
	c := newClient(t, cfg)
	start := time.Now()
	_, err := c.Do(context.Background(), Request{URL: srv.URL})
	wantErr(t, err, ErrTimeout, "fetch to 127.0.0.1: timed out (limit 100ms)")
	if d := time.Since(start); d > time.Second {
		t.Fatalf("timeout took %s", d)
	}
}

func TestRedirectsAreLimitedAndRechecked(t *testing.T) {
	var srvURL string
	srv, hostPort := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/loop":
			http.Redirect(w, r, srvURL+"/loop", http.StatusFound)
		case "/metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/once":
			http.Redirect(w, r, srvURL+"/done", http.StatusFound)
		default:
			w.Write([]byte("done"))
		}
	})
	srvURL = srv.URL
	cfg := testConfig()
	cfg.Allow = []string{hostPort}
	cfg.MaxRedirects = 2
	c := newClient(t, cfg)

	resp, err := c.Do(context.Background(), Request{URL: srv.URL + "/once"})
	if err != nil || string(resp.Body) != "done" {
		t.Fatalf("one redirect: %v", err)
	}
	_, err = c.Do(context.Background(), Request{URL: srv.URL + "/loop"})
	wantErr(t, err, ErrTooManyRedirects, "fetch to 127.0.0.1: too many redirects (at most 2)")
	_, err = c.Do(context.Background(), Request{URL: srv.URL + "/metadata"})
	wantErr(t, err, ErrRefused, "fetch to 169.254.169.254: link-local address refused")
}

func TestConfigValidate(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.Timeout = 0 },
		func(c *Config) { c.ConnectTimeout = -1 },
		func(c *Config) { c.MaxResponseBytes = 0 },
		func(c *Config) { c.MaxRedirects = -1 },
		func(c *Config) { c.Allow = []string{"not an entry"} },
	}
	for i, mutate := range bad {
		cfg := DefaultConfig()
		mutate(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("case %d: New accepted an invalid config", i)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig is invalid: %v", err)
	}
}
