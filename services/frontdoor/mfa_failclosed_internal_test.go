package frontdoor

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/gatehouse-id/gatehouse/pkg/embednats"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	mapi "github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// TestMFAFailsClosed: with no MFA service answering (a real NATS server
// where it does not run), the frontdoor lets nobody through — not a
// session asking for a code, not a code typed on the MFA page — and
// leaves the sign-in where it was (ASVS 5.0 V6.3, fail securely).
func TestMFAFailsClosed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := pgtest.NewPool(t)
	if err := identity.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	ns, err := embednats.Start(ctx, embednats.Options{Port: -1, StoreDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	nc, err := ns.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	s, err := Start(ctx, nc, pool, Config{Issuer: func(string) string { return base }, PruneInterval: -1,
		Identity: identity.Config{Argon2: identity.Argon2Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
		Logger:   slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	router := chi.NewRouter()
	s.Routes(router)
	srv.Config.Handler = router
	srv.Start()
	t.Cleanup(srv.Close)

	const env = "production"
	const redirect = "https://app.example/callback"
	user, err := s.ids.CreateUser(ctx, identity.NewUser{Env: env, Email: "closed@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	app, _, err := s.ids.CreateApplication(ctx, identity.NewApplication{Env: env, Name: "App", Type: identity.AppRegular,
		RedirectURIs: []string{redirect}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sess, sessToken, err := s.auth.CreateSession(ctx, authstore.Session{Env: env, UserID: user.ID, AuthTime: now, AMR: []string{"pwd"}}, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("a-verifier-of-enough-length-for-pkce-0123456789"))
	q := url.Values{"client_id": {app.ClientID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"s"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(base)
	jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie + env, Value: sessToken, Path: "/"}})
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, target string, form url.Values) (int, string, http.Header) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, target, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header
	}

	// A session asking for a code: whatever the policy, it is unknown.
	status, body, h := do(http.MethodGet, base+"/oauth2/auth?"+q.Encode(), nil)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "multi-factor authentication check could not run") ||
		h.Get("Location") != "" {
		t.Fatalf("authorization with the MFA service down: %d %q\n%s", status, h.Get("Location"), body)
	}

	// A code typed on the MFA page: not checked, so not accepted, and the
	// step stays open for when the service is back.
	mfa, _ := json.Marshal(mfaState{Step: mfaStepCode, FactorID: "auth_factor_1", FactorType: mapi.FactorTOTP,
		Factors: []mapi.Factor{{ID: "auth_factor_1", Type: mapi.FactorTOTP, Verified: true}}})
	flowToken, err := s.auth.CreateFlow(ctx, authstore.Flow{Env: env, UserID: user.ID, Params: q.Encode(), AuthTime: now,
		AMR: []string{"pwd"}, SessionID: sess.ID, Stage: authstore.StageMFA, MFA: mfa}, now, flowTTL)
	if err != nil {
		t.Fatal(err)
	}
	const csrf = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	jar.SetCookies(u, []*http.Cookie{{Name: flowCookie + env, Value: flowToken, Path: "/"}, {Name: csrfCookie, Value: csrf, Path: "/"}})
	status, body, h = do(http.MethodPost, base+pathMFA, url.Values{csrfField: {csrf}, "action": {"verify"}, "code": {"123456"}})
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "could not be checked") || h.Get("Location") != "" {
		t.Fatalf("verify with the MFA service down: %d %q\n%s", status, h.Get("Location"), body)
	}
	if _, err := s.auth.FlowByToken(ctx, env, flowToken, authstore.StageMFA, time.Now()); err != nil {
		t.Fatalf("the MFA step was not left open: %v", err)
	}
	got, err := s.auth.SessionByToken(ctx, env, sessToken, time.Now())
	if err != nil || got.MFAAt != nil || got.ACR != "" {
		t.Fatalf("session after the failed check: %+v %v", got, err)
	}

	// The security page shows and changes nothing.
	status, body, _ = do(http.MethodGet, base+pathAccountSecurity, nil)
	if status != http.StatusServiceUnavailable || strings.Contains(body, "closed@example.com") {
		t.Fatalf("security page with the MFA service down: %d\n%s", status, body)
	}
}
