package frontdoor_test

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestMetrics drives real requests through the platform and reads its
// /metrics: counts per route pattern, method and status class, token
// outcomes per grant and OAuth error, and no label value taken from what
// a client sent (paths, environment names, methods, grant types).
func TestMetrics(t *testing.T) {
	h := startPlatform(t)
	const env = "metrics"
	h.env(env)
	// Strings only a client could have put in a label.
	nonce := strings.ToLower(randomString())
	noSuchEnv := "zz" + strings.Map(alnum, nonce)
	noSuchPath := "/no-such-page-" + nonce

	// Discovery: twice in the default environment, once in another, once
	// in an environment that does not exist.
	for _, u := range []string{h.base, h.base, h.issuer(env)} {
		var doc map[string]any
		getJSON(t, u+"/.well-known/openid-configuration", &doc)
	}
	wantStatus(t, http.MethodGet, h.base+"/e/"+noSuchEnv+"/.well-known/openid-configuration", http.StatusNotFound)
	// Paths no route matches, at the root (answered by the platform's
	// router, not the frontdoor's) and inside an environment; a method the
	// route does not serve, and one nothing serves.
	wantStatus(t, http.MethodGet, h.base+noSuchPath, http.StatusNotFound)
	wantStatus(t, http.MethodGet, h.base+"/e/"+noSuchEnv+noSuchPath, http.StatusNotFound)
	wantStatus(t, http.MethodDelete, h.issuer(env)+"/oauth2/token", http.StatusMethodNotAllowed)
	wantStatus(t, "BREW"+strings.ToUpper(strings.Map(alnum, nonce)), h.issuer(env)+"/oauth2/token", http.StatusMethodNotAllowed)

	// Token endpoint: two client credentials grants, three refusals.
	m2m, m2mSecret := m2mApp(t, h, defaultEnv)
	cc := url.Values{"grant_type": {"client_credentials"}, "audience": {"https://api.example"}}
	for range 2 {
		if e := postForm(t, h.base+"/oauth2/token", cc, m2m.ClientID, m2mSecret, nil); e != nil {
			t.Fatalf("client credentials: %+v", e)
		}
	}
	wantOAuthError(t, postForm(t, h.base+"/oauth2/token", cc, m2m.ClientID, "not-the-secret", nil), http.StatusUnauthorized, "invalid_client")
	wantOAuthError(t, postForm(t, h.base+"/oauth2/token", url.Values{}, m2m.ClientID, m2mSecret, nil), http.StatusBadRequest, "invalid_request")
	wantOAuthError(t, postForm(t, h.base+"/oauth2/token", url.Values{"grant_type": {"urn:x:" + nonce}}, m2m.ClientID, m2mSecret, nil),
		http.StatusBadRequest, "unsupported_grant_type")

	// A whole code flow and a refresh.
	h.user(t, defaultEnv, "metrics@example.com", password)
	app, secret := webApp(t, h, defaultEnv)
	c := newClient(t, h, defaultEnv, app, secret)
	tok, _ := c.login(t, h, defaultEnv, newBrowser(t), "metrics@example.com")
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
	if e := postForm(t, h.base+"/oauth2/token", refresh, app.ClientID, secret, nil); e != nil {
		t.Fatalf("refresh: %+v", e)
	}

	m := scrape(t, h.base+"/metrics")
	const reqs = "gatehouse_frontdoor_http_requests_total"
	for _, w := range []struct {
		name   string
		labels string
		want   float64
	}{
		// Two here and one when the client read the discovery document.
		{reqs, `route="/.well-known/openid-configuration",method="GET",status="2xx"`, 3},
		{reqs, `route="/e/{env}/.well-known/openid-configuration",method="GET",status="2xx"`, 1},
		// An environment that does not exist is refused before routing:
		// like a path of no route, it matched nothing.
		{reqs, `route="unmatched",method="GET",status="4xx"`, 2},
		{reqs, `route="unmatched",method="DELETE",status="4xx"`, 1},
		// 2 client credentials, the code exchange and the refresh.
		{reqs, `route="/oauth2/token",method="POST",status="2xx"`, 4},
		{reqs, `route="/oauth2/token",method="POST",status="4xx"`, 3},
		{reqs, `route="/oauth2/auth",method="GET",status="3xx"`, 1},
		{reqs, `route="/sign-in",method="GET",status="2xx"`, 1},
		{reqs, `route="/sign-in",method="POST",status="3xx"`, 1},
		{"gatehouse_frontdoor_http_request_duration_seconds_count", `route="/oauth2/token"`, 7},
		{"gatehouse_frontdoor_http_request_duration_seconds_count", `route="unmatched"`, 3},
		{"gatehouse_frontdoor_http_requests_in_flight", ``, 0},
		{"gatehouse_frontdoor_token_requests_total", `grant_type="client_credentials",outcome="issued",error=""`, 2},
		{"gatehouse_frontdoor_token_requests_total", `grant_type="client_credentials",outcome="refused",error="invalid_client"`, 1},
		{"gatehouse_frontdoor_token_requests_total", `grant_type="none",outcome="refused",error="invalid_request"`, 1},
		{"gatehouse_frontdoor_token_requests_total", `grant_type="unsupported",outcome="refused",error="unsupported_grant_type"`, 1},
		{"gatehouse_frontdoor_token_requests_total", `grant_type="authorization_code",outcome="issued",error=""`, 1},
		{"gatehouse_frontdoor_token_requests_total", `grant_type="refresh_token",outcome="issued",error=""`, 1},
	} {
		got, ok := m.value(w.name, w.labels)
		if !ok || got != w.want {
			t.Errorf("%s{%s} = %v (present %v), want %v", w.name, w.labels, got, ok, w.want)
		}
	}
	if t.Failed() {
		for _, s := range m {
			if s.name == reqs {
				t.Logf("%s%v %v", s.name, s.labels, s.value)
			}
		}
	}
	// The histogram's +Inf bucket holds every observation.
	if inf, _ := m.value("gatehouse_frontdoor_http_request_duration_seconds_bucket", `route="/oauth2/token",le="+Inf"`); inf != 7 {
		t.Errorf("token endpoint +Inf bucket = %v, want 7", inf)
	}

	// Nothing a client sent became a label value: no path, environment
	// name, method or grant type of those requests.
	routes := map[string]bool{}
	for _, s := range m {
		if !strings.HasPrefix(s.name, "gatehouse_frontdoor_") {
			continue
		}
		for k, v := range s.labels {
			if strings.Contains(v, nonce) || strings.Contains(strings.ToLower(v), noSuchEnv) || strings.Contains(v, "BREW") {
				t.Errorf("%s has label %s=%q from the request", s.name, k, v)
			}
			if k == "route" {
				routes[v] = true
			}
		}
	}
	for r := range routes {
		if r != "unmatched" && !strings.HasPrefix(r, "/") {
			t.Errorf("route label %q is neither a route pattern nor unmatched", r)
		}
	}
	if routes["/e/"+env+"/.well-known/openid-configuration"] {
		t.Error("an environment name is part of a route label")
	}
}

// alnum keeps letters and digits.
func alnum(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
		return r
	}
	return -1
}

// wantStatus sends a bodyless request and fails unless it is answered
// with status.
func wantStatus(t *testing.T, method, u string, status int) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d, want %d", method, u, resp.StatusCode, status)
	}
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

type samples []sample

// value returns the sample of name whose labels are exactly labels,
// written as in the text format (k="v",…) in any order.
func (m samples) value(name, labels string) (float64, bool) {
	want, err := parseSample(name + "{" + labels + "} 0")
	if err != nil {
		panic(err)
	}
	for _, s := range m {
		if s.name == name && maps.Equal(s.labels, want.labels) {
			return s.value, true
		}
	}
	return 0, false
}

// scrape reads the Prometheus text exposition at u.
func scrape(t *testing.T, u string) samples {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	var out samples
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return out
}

// parseSample parses `name{k="v",…} value` or `name value`.
func parseSample(line string) (sample, error) {
	s := sample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return s, fmt.Errorf("metrics line %q has no value", line)
	}
	s.name = line[:i]
	rest := line[i:]
	if strings.HasPrefix(rest, "{") {
		rest = rest[1:]
		for !strings.HasPrefix(rest, "}") {
			k, after, ok := strings.Cut(rest, `="`)
			if !ok {
				return s, fmt.Errorf("metrics line %q: bad labels", line)
			}
			var v strings.Builder
			i := 0
			for ; i < len(after) && after[i] != '"'; i++ {
				if after[i] == '\\' && i+1 < len(after) {
					i++
					switch after[i] {
					case 'n':
						v.WriteByte('\n')
					default:
						v.WriteByte(after[i])
					}
					continue
				}
				v.WriteByte(after[i])
			}
			if i == len(after) {
				return s, fmt.Errorf("metrics line %q: unterminated label value", line)
			}
			s.labels[k] = v.String()
			rest = strings.TrimPrefix(after[i+1:], ",")
		}
		rest = rest[1:]
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return s, fmt.Errorf("metrics line %q has no value", line)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("metrics line %q: %w", line, err)
	}
	s.value = v
	return s, nil
}
