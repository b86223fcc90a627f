package frontdoor_test

import (
	"context"
	"encoding/json"

	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/platform"
	tapi "github.com/gatehouse-id/gatehouse/services/tokens/api"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const defaultEnv = "production"

// cheapArgon2 keeps seeding fast; hashes carry their parameters, so the
// frontdoor verifies them as they are.
var cheapArgon2 = identity.Argon2Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// harness is a whole platform (-target=all) with its HTTP listener, and an
// identity store on its database for seeding.
type harness struct {
	t    *testing.T
	p    *platform.Platform
	base string // issuer of the default environment
	ids  *identity.Store
	pool *pgxpool.Pool
}

// startPlatform starts every target against a fresh database and an
// embedded NATS server; the issuer is the listener's address.
func startPlatform(t *testing.T) *harness {
	t.Helper()
	addr := freeAddr(t)
	cfg := platform.DefaultConfig()
	cfg.DatabaseURL = pgtest.NewDatabase(t)
	cfg.NATSPort = -1
	cfg.HTTPAddr = addr
	cfg.IssuerURL = "http://" + addr
	cfg.DataDir = t.TempDir()
	// Every scenario signs in from 127.0.0.1: the per-address limit would
	// add up their deliberate failures. It has its own test (alt_test.go).
	cfg.SignInIPLimit = 1000
	var logw io.Writer = io.Discard
	if os.Getenv("FRONTDOOR_TEST_LOG") != "" {
		logw = os.Stderr
	}
	p, err := platform.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Errorf("stop platform: %v", err)
		}
	})
	pool, err := pgstore.Open(testContext(t), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ids, err := identity.NewStore(pool, identity.Config{Argon2: cheapArgon2})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, p: p, base: cfg.IssuerURL, ids: ids, pool: pool}
}

// freeAddr returns a loopback address with a port free a moment ago: the
// issuer URL must be known before the listener starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// issuer returns the issuer URL of env.
func (h *harness) issuer(env string) string {
	if env == defaultEnv {
		return h.base
	}
	return h.base + "/e/" + env
}

// env creates environment env (the default one exists).
func (h *harness) env(env string) {
	h.t.Helper()
	if _, err := h.ids.EnsureEnvironment(testContext(h.t), env, ""); err != nil {
		h.t.Fatal(err)
	}
}

// user creates a user with a password.
func (h *harness) user(t *testing.T, env, email, password string) *identity.User {
	t.Helper()
	ctx := testContext(t)
	u, err := h.ids.CreateUser(ctx, identity.NewUser{Env: env, Email: email, EmailVerified: true, GivenName: "Ann", FamilyName: "Lee"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.ids.SetPassword(ctx, env, u.ID, password); err != nil {
		t.Fatal(err)
	}
	return u
}

// app registers an application and returns it with its secret.
func (h *harness) app(t *testing.T, na identity.NewApplication) (*identity.Application, string) {
	t.Helper()
	if na.Name == "" {
		na.Name = "Test app"
	}
	a, secret, err := h.ids.CreateApplication(testContext(t), na)
	if err != nil {
		t.Fatal(err)
	}
	return a, secret
}

// upload stores a module in env and deploys it live.
func (h *harness) upload(t *testing.T, env string, wasm []byte) dapi.UploadResponse {
	t.Helper()
	ctx := testContext(t)
	js, err := jetstream.New(h.p.NATS())
	if err != nil {
		t.Fatal(err)
	}
	sha, err := dapi.PutArtifact(ctx, js, wasm)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := natsrpc.Call[dapi.UploadRequest, dapi.UploadResponse](ctx, h.p.NATS(), dapi.SubjectUpload,
		dapi.UploadRequest{Env: env, SHA256: sha, Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Deployment.Status != dapi.StatusLive {
		t.Fatalf("upload: %+v", resp)
	}
	return resp
}

// introspect asks the tokens service directly about a token.
func (h *harness) introspect(t *testing.T, env, token string) tapi.IntrospectResponse {
	t.Helper()
	resp, err := natsrpc.Call[tapi.IntrospectRequest, tapi.IntrospectResponse](testContext(t), h.p.NATS(),
		tapi.SubjectIntrospect, tapi.IntrospectRequest{Env: env, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// jwks fetches env's JWK Set over HTTP.
func (h *harness) jwks(t *testing.T, env string) tapi.JWKS {
	t.Helper()
	var set tapi.JWKS
	getJSON(t, h.issuer(env)+"/.well-known/jwks.json", &set)
	return set
}

// verifyAccess verifies an access token offline against env's JWKS.
func (h *harness) verifyAccess(t *testing.T, env, token string) *tapi.Token {
	t.Helper()
	tok, err := tapi.Verify(h.jwks(t, env), token, tapi.VerifyOptions{Issuer: h.issuer(env), Type: tapi.TypeAccessToken})
	if err != nil {
		t.Fatalf("verify access token: %v", err)
	}
	return tok
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// oauthError is an RFC 6749 §5.2 error response.
type oauthError struct {
	Status      int
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// postForm posts form to u with optional Basic credentials and decodes a
// JSON answer into out (when 200) or returns the error response.
func postForm(t *testing.T, u string, form url.Values, basicID, basicSecret string, out any) *oauthError {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if out != nil && len(body) > 0 {
			if err := json.Unmarshal(body, out); err != nil {
				t.Fatalf("POST %s: %v: %s", u, err, body)
			}
		}
		return nil
	}
	e := &oauthError{Status: resp.StatusCode}
	if err := json.Unmarshal(body, e); err != nil {
		t.Fatalf("POST %s: status %d, body %s is not an OAuth error", u, resp.StatusCode, body)
	}
	return e
}

// wantOAuthError fails unless e is the error code with the status.
func wantOAuthError(t *testing.T, e *oauthError, status int, code string) {
	t.Helper()
	if e == nil {
		t.Fatalf("request succeeded, want %d %s", status, code)
	}
	if e.Status != status || e.Error != code {
		t.Fatalf("got %d %s (%s), want %d %s", e.Status, e.Error, e.Description, status, code)
	}
}

// eventually retries check until it returns nil or the time is up: a
// deployment goes live on the frontdoor asynchronously.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
