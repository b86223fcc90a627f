package frontdoor_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/services/frontdoor"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// altFrontdoor is a second frontdoor on the platform's NATS and database,
// on its own listener, with a clock the test moves and small sign-in
// limits. Tokens it gets issued carry the platform's issuer.
type altFrontdoor struct {
	base   string
	offset atomic.Int64 // nanoseconds added to the real time
}

func (a *altFrontdoor) now() time.Time { return time.Now().Add(time.Duration(a.offset.Load())) }

// jump moves the clock to a time no other scenario uses, so that the
// limiter windows of scenarios do not overlap.
func (a *altFrontdoor) jump(d time.Duration) { a.offset.Store(int64(d)) }

func startAlt(t *testing.T, h *harness) *altFrontdoor {
	t.Helper()
	a := &altFrontdoor{}
	srv := httptest.NewUnstartedServer(nil)
	a.base = "http://" + srv.Listener.Addr().String()
	fd, err := frontdoor.Start(context.Background(), h.p.NATS(), h.pool, frontdoor.Config{
		Issuer: func(env string) string {
			if env == defaultEnv {
				return a.base
			}
			return a.base + "/e/" + env
		},
		Identity:      identity.Config{Argon2: cheapArgon2},
		AccountLimit:  frontdoor.Limit{Max: 3, Window: 15 * time.Minute},
		IPLimit:       frontdoor.Limit{Max: 6, Window: 15 * time.Minute},
		PruneInterval: -1,
		Now:           a.now,
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	fd.Routes(r)
	srv.Config.Handler = r
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := fd.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return a
}

// altClient is a client of the alternative frontdoor.
func altClient(a *altFrontdoor, app *identity.Application, secret string) *client {
	return &client{conf: oauth2.Config{ClientID: app.ClientID, ClientSecret: secret, RedirectURL: redirectURI,
		Endpoint: oauth2.Endpoint{AuthURL: a.base + "/oauth2/auth", TokenURL: a.base + "/oauth2/token"},
		Scopes:   []string{"openid"}}}
}

// testExpiredCode: a code is good for 60 seconds.
func testExpiredCode(t *testing.T, h *harness) {
	a := startAlt(t, h)
	a.jump(10 * time.Hour)
	h.user(t, defaultEnv, "slow@example.com", password)
	app, secret := webApp(t, h, defaultEnv)
	c := altClient(a, app, secret)
	b := newBrowser(t)
	exchange := func(code, verifier string) *oauthError {
		return postForm(t, c.conf.Endpoint.TokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"code_verifier": {verifier}, "redirect_uri": {redirectURI}}, app.ClientID, secret, nil)
	}

	ar := c.authRequest()
	u := b.signIn(ar.url, "slow@example.com", password)
	code := u.Query().Get("code")
	a.jump(10*time.Hour + 61*time.Second)
	e := exchange(code, ar.verifier)
	wantOAuthError(t, e, 400, "invalid_grant")
	if !strings.Contains(e.Description, "expired") {
		t.Fatalf("description %q", e.Description)
	}

	// 59 seconds is in time.
	ar = c.authRequest()
	code = mustRedirect(t, b.get(ar.url)).Query().Get("code")
	a.jump(10*time.Hour + 61*time.Second + 59*time.Second)
	if e := exchange(code, ar.verifier); e != nil {
		t.Fatalf("code 59 s old: %+v", e)
	}
}

// testBruteForce: failed sign-ins are limited per account and per IP
// address; a limited attempt is refused even with the right password.
func testBruteForce(t *testing.T, h *harness) {
	a := startAlt(t, h)
	h.user(t, defaultEnv, "target@example.com", password)
	h.user(t, defaultEnv, "bystander@example.com", password)
	app, secret := webApp(t, h, defaultEnv)
	c := altClient(a, app, secret)
	b := newBrowser(t)
	form := b.openSignIn(c.authRequest().url)
	try := func(email, pw string) page { return b.submit(form, email, pw) }

	t.Run("per account", func(t *testing.T) {
		a.jump(20 * time.Hour)
		for i := range 3 {
			if p := try("target@example.com", "guess"); p.Status != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d", i+1, p.Status)
			}
		}
		p := try("Target@Example.com", password)
		if p.Status != http.StatusTooManyRequests || !strings.Contains(p.Body, "Too many attempts") ||
			!strings.Contains(p.Body, "try again in 15 minutes") || p.Header.Get("Retry-After") == "" {
			t.Fatalf("4th attempt: %d %v\n%s", p.Status, p.Header, p.Body)
		}
		// Another account from the same address is not locked.
		if p := try("bystander@example.com", password); p.Status != http.StatusSeeOther {
			t.Fatalf("other account: %d\n%s", p.Status, p.Body)
		}
		// After the window the account signs in again, and success
		// forgets its failures.
		a.jump(20*time.Hour + 16*time.Minute)
		if p := try("target@example.com", password); p.Status != http.StatusSeeOther {
			t.Fatalf("after the window: %d\n%s", p.Status, p.Body)
		}
		for i := range 2 {
			if p := try("target@example.com", "guess"); p.Status != http.StatusUnauthorized {
				t.Fatalf("attempt %d after success: %d", i+1, p.Status)
			}
		}
	})
	t.Run("per IP address", func(t *testing.T) {
		a.jump(30 * time.Hour)
		for i := range 6 {
			// Unknown accounts count for the address all the same.
			if p := try("nobody"+string(rune('a'+i))+"@example.com", "guess"); p.Status != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d", i+1, p.Status)
			}
		}
		if p := try("bystander@example.com", password); p.Status != http.StatusTooManyRequests {
			t.Fatalf("7th attempt from the address: %d\n%s", p.Status, p.Body)
		}
	})
}
