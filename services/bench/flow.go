package bench

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// The flow rows' environment, application and user. The environment has
// no workflow: the steps measure the frontdoor, the tokens service and
// PostgreSQL.
const (
	flowEnv         = "bench-flow"
	flowRedirectURI = "https://app.bench.example/callback"
	flowEmail       = "flow@bench.example"
	// flowPassword passes the password policy; it is a benchmark fixture.
	flowPassword = "bench flow pass phrase 7"
)

// Step is the latency of one step of a flow over the timed runs.
type Step struct {
	N    int
	P50  time.Duration
	P95  time.Duration
	Mean time.Duration
}

func newStep(samples []time.Duration) Step {
	if len(samples) == 0 {
		return Step{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Step{N: len(s), P50: percentile(s, 0.50), P95: percentile(s, 0.95), Mean: sum / time.Duration(len(s))}
}

// Flow is an authorization-code flow with PKCE over HTTP, step by step,
// each flow from a fresh browser (no session), and argon2id alone.
type Flow struct {
	Authorize  Step // GET /oauth2/auth → 303 to the sign-in page
	SignInPage Step // GET /sign-in → the form
	SignIn     Step // POST /sign-in → 303 to the client with a code
	Exchange   Step // POST /oauth2/token, authorization_code with PKCE
	Refresh    Step // POST /oauth2/token, refresh_token
	Total      Step // the five steps
	// Argon2 is one argon2id verification with the default parameters
	// (PasswordHasher.Verify), the bulk of POST /sign-in.
	Argon2 Step
	// Params are the argon2id parameters the user's password is hashed
	// with.
	Params identity.Argon2Params
}

// flowClient runs flows against one web application.
type flowClient struct {
	fd               *frontdoor
	clientID, secret string
}

// measureFlow creates the application and the user (password hashed with
// the default argon2id parameters) and times the flow's steps.
func (s *stack) measureFlow(ctx context.Context, cfg Config, fd *frontdoor) (Flow, error) {
	var f Flow
	if _, err := fd.ids.EnsureEnvironment(ctx, flowEnv, ""); err != nil {
		return f, fmt.Errorf("create environment %s: %w", flowEnv, err)
	}
	app, secret, err := fd.ids.CreateApplication(ctx, identity.NewApplication{Env: flowEnv, Name: "Bench Web",
		Type: identity.AppRegular, RedirectURIs: []string{flowRedirectURI}})
	if err != nil {
		return f, fmt.Errorf("create the flow's application: %w", err)
	}
	u, err := fd.ids.CreateUser(ctx, identity.NewUser{Env: flowEnv, Email: flowEmail, EmailVerified: true,
		GivenName: "Bench", FamilyName: "User"})
	if err != nil {
		return f, fmt.Errorf("create the flow's user: %w", err)
	}
	if err := fd.ids.SetPassword(ctx, flowEnv, u.ID, flowPassword); err != nil {
		return f, fmt.Errorf("set the flow's user's password: %w", err)
	}
	c := &flowClient{fd: fd, clientID: app.ClientID, secret: secret}

	// argon2id alone, as the frontdoor runs it, once before each flow so
	// that both see the same machine. Each computation allocates 64 MiB:
	// one that closely follows another pays for the heap growth and the
	// garbage collection of the first, so the two alternate.
	f.Params = identity.DefaultArgon2Params
	h, err := identity.NewPasswordHasher(f.Params, 0)
	if err != nil {
		return f, fmt.Errorf("argon2id: %w", err)
	}
	hash, err := h.Hash(ctx, flowPassword)
	if err != nil {
		return f, fmt.Errorf("argon2id: %w", err)
	}
	verify := func() (time.Duration, error) {
		start := time.Now()
		ok, err := h.Verify(ctx, hash, flowPassword)
		d := time.Since(start)
		if err != nil {
			return d, fmt.Errorf("argon2id: verify: %w", err)
		}
		if !ok {
			return d, fmt.Errorf("argon2id: the password does not verify against its own hash")
		}
		return d, nil
	}

	for i := range cfg.FlowWarmup {
		if _, err := c.run(ctx); err != nil {
			return f, fmt.Errorf("flow: warm-up flow %d: %w", i, err)
		}
	}
	var steps [5][]time.Duration
	var total, a []time.Duration
	begin := time.Now()
	for i := range cfg.FlowRequests {
		d, err := verify()
		if err != nil {
			return f, err
		}
		a = append(a, d)
		t, err := c.run(ctx)
		if err != nil {
			return f, fmt.Errorf("flow %d: %w", i, err)
		}
		var sum time.Duration
		for j, d := range t {
			steps[j] = append(steps[j], d)
			sum += d
		}
		total = append(total, sum)
		if time.Since(begin) > cfg.FlowMaxTime {
			break
		}
	}
	f.Authorize, f.SignInPage, f.SignIn = newStep(steps[0]), newStep(steps[1]), newStep(steps[2])
	f.Exchange, f.Refresh, f.Total = newStep(steps[3]), newStep(steps[4]), newStep(total)
	f.Argon2 = newStep(a)
	return f, nil
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	csrfInput  = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)
)

// run is one flow from a browser without a session; it returns the time
// of each step.
func (c *flowClient) run(ctx context.Context) ([5]time.Duration, error) {
	var t [5]time.Duration
	jar, err := cookiejar.New(nil)
	if err != nil {
		return t, fmt.Errorf("cookie jar: %w", err)
	}
	hc := c.fd.client(jar)
	state, nonce, verifier := randomToken(), randomToken(), randomToken()+randomToken()
	challenge := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {c.clientID}, "redirect_uri": {flowRedirectURI},
		"scope": {"openid profile email offline_access"}, "state": {state}, "nonce": {nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(challenge[:])}, "code_challenge_method": {"S256"}}
	authURL := c.fd.issuer(flowEnv) + "/oauth2/auth?" + q.Encode()

	// 1. The authorization request sends the browser to the sign-in page.
	start := time.Now()
	p, err := do(ctx, hc, http.MethodGet, authURL, nil)
	t[0] = time.Since(start)
	if err != nil {
		return t, fmt.Errorf("authorization request: %w", err)
	}
	if p.status != http.StatusSeeOther && p.status != http.StatusFound || !strings.Contains(p.location.Path, "/sign-in") {
		return t, fmt.Errorf("authorization request: %d to %q, want a redirect to the sign-in page: %s", p.status, p.location, p.body)
	}
	// 2. The sign-in page.
	start = time.Now()
	p, err = do(ctx, hc, http.MethodGet, p.location.String(), nil)
	t[1] = time.Since(start)
	if err != nil {
		return t, fmt.Errorf("sign-in page: %w", err)
	}
	a, cs := formAction.FindStringSubmatch(p.body), csrfInput.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || a == nil || cs == nil {
		return t, fmt.Errorf("sign-in page: %d without a form and a CSRF token: %s", p.status, p.body)
	}
	action, err := p.url.Parse(html.UnescapeString(a[1]))
	if err != nil {
		return t, fmt.Errorf("sign-in form action %q: %w", a[1], err)
	}
	// 3. The password: attempt limits, argon2id, session, code.
	form := url.Values{"csrf_token": {html.UnescapeString(cs[1])}, "email": {flowEmail}, "p_password": {flowPassword}}
	start = time.Now()
	p, err = do(ctx, hc, http.MethodPost, action.String(), form)
	t[2] = time.Since(start)
	if err != nil {
		return t, fmt.Errorf("sign-in: %w", err)
	}
	back := p.location.Query()
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location.String(), flowRedirectURI+"?") ||
		back.Get("state") != state || back.Get("code") == "" {
		return t, fmt.Errorf("sign-in: %d to %q, want a redirect to the client with a code: %s", p.status, p.location, p.body)
	}
	// 4. The code exchange with the PKCE verifier.
	start = time.Now()
	tr, err := c.fd.postToken(ctx, hc, flowEnv, url.Values{"grant_type": {"authorization_code"}, "code": {back.Get("code")},
		"redirect_uri": {flowRedirectURI}, "code_verifier": {verifier}}, c.clientID, c.secret)
	t[3] = time.Since(start)
	if err != nil {
		return t, fmt.Errorf("code exchange: %w", err)
	}
	if tr.RefreshToken == "" || tr.IDToken == "" {
		return t, fmt.Errorf("code exchange: no refresh token or ID token")
	}
	// 5. The refresh, with rotation.
	start = time.Now()
	rt, err := c.fd.postToken(ctx, hc, flowEnv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}},
		c.clientID, c.secret)
	t[4] = time.Since(start)
	if err != nil {
		return t, fmt.Errorf("refresh: %w", err)
	}
	if rt.RefreshToken == "" || rt.RefreshToken == tr.RefreshToken {
		return t, fmt.Errorf("refresh: the refresh token was not rotated")
	}
	return t, nil
}

// page is one HTTP answer with its body read.
type page struct {
	url      *url.URL // the request's
	status   int
	location *url.URL // resolved against url; empty when none
	body     string
}

// do sends a request (a form when form is not nil) and reads the answer.
func do(ctx context.Context, hc *http.Client, method, u string, form url.Values) (page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return page{}, fmt.Errorf("%s %s: %w", method, u, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return page{}, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return page{}, fmt.Errorf("%s %s: read the answer: %w", method, u, err)
	}
	p := page{url: req.URL, status: resp.StatusCode, location: &url.URL{}, body: string(b)}
	if loc := resp.Header.Get("Location"); loc != "" {
		if p.location, err = req.URL.Parse(loc); err != nil {
			return p, fmt.Errorf("%s %s: Location %q: %w", method, u, loc, err)
		}
	}
	return p, nil
}

// randomToken is 128 random bits, base64url.
func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
