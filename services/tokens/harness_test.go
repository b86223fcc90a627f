package tokens_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/migrations"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/pkg/natstest"
	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/keys"
	"github.com/gatehouse-id/gatehouse/services/tokens"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	env    = "production"
	client = "app_web"
)

func issuerOf(env string) string { return "https://" + env + ".auth.example.test" }

// clock is a controllable clock shared by the service and the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// harness is a tokens service with a real keys service, on a fresh database
// and NATS server.
type harness struct {
	t     *testing.T
	nc    *nats.Conn
	pool  *pgxpool.Pool
	reg   *prometheus.Registry
	clock *clock
	cfg   tokens.Config
	svc   *tokens.Service
	keys  *keys.Service
}

func newHarness(t *testing.T, configure ...func(*tokens.Config)) *harness {
	t.Helper()
	pool := pgtest.NewPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, schema := range []string{keys.Schema, tokens.Schema} {
		sub, err := fs.Sub(migrations.FS, schema)
		if err != nil {
			t.Fatal(err)
		}
		if err := pgstore.Migrate(ctx, pool, schema, sub); err != nil {
			t.Fatal(err)
		}
	}
	nc := natstest.Connect(t, natstest.Start(t))
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ks, err := keys.Start(ctx, nc, pool, keys.Config{Logger: quiet, MasterKey: kek})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ks.Stop(context.Background()) })

	h := &harness{t: t, nc: nc, pool: pool, reg: prometheus.NewRegistry(), keys: ks,
		clock: &clock{now: time.Now().Truncate(time.Second)}}
	h.cfg = tokens.Config{Logger: quiet, Registerer: h.reg, Issuer: issuerOf, Now: h.clock.Now}
	for _, c := range configure {
		c(&h.cfg)
	}
	h.svc = h.start()
	return h
}

// start starts a service instance (another replica after the first),
// stopped when the test ends.
func (h *harness) start() *tokens.Service {
	h.t.Helper()
	svc, err := tokens.Start(context.Background(), h.nc, h.pool, h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	return svc
}

func call[Req, Resp any](t *testing.T, nc *nats.Conn, subject string, req Req) (Resp, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return natsrpc.Call[Req, Resp](ctx, nc, subject, req)
}

func must[Req, Resp any](t *testing.T, nc *nats.Conn, subject string, req Req) Resp {
	t.Helper()
	resp, err := call[Req, Resp](t, nc, subject, req)
	if err != nil {
		t.Fatalf("%s: %v", subject, err)
	}
	return resp
}

// wantReason fails unless err has code and reason.
func wantReason(t *testing.T, err error, code natsrpc.Code, reason string) {
	t.Helper()
	if !natsrpc.IsCode(err, code) || api.ReasonOf(err) != reason {
		t.Fatalf("want %s with reason %q, got %v", code, reason, err)
	}
}

// wantCode fails unless err carries code and its message contains fragment.
func wantCode(t *testing.T, err error, code natsrpc.Code, fragment string) {
	t.Helper()
	if !natsrpc.IsCode(err, code) || !strings.Contains(err.Error(), fragment) {
		t.Fatalf("want %s containing %q, got %v", code, fragment, err)
	}
}

func (h *harness) issue(req api.IssueRequest) (api.IssueResponse, error) {
	h.t.Helper()
	if req.Env == "" {
		req.Env = env
	}
	if req.ClientID == "" {
		req.ClientID = client
	}
	return call[api.IssueRequest, api.IssueResponse](h.t, h.nc, api.SubjectIssue, req)
}

func (h *harness) mustIssue(req api.IssueRequest) api.IssueResponse {
	h.t.Helper()
	resp, err := h.issue(req)
	if err != nil {
		h.t.Fatalf("issue: %v", err)
	}
	return resp
}

// login issues tokens for a sign-in with a refresh token.
func (h *harness) login(subject string) api.IssueResponse {
	h.t.Helper()
	return h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, Subject: subject,
		GrantID: "code_" + subject, Scope: []string{"openid", "offline_access"}, RefreshToken: true,
		AMR: []string{"pwd"}, AuthTime: h.clock.Now()})
}

func (h *harness) begin(token string) (api.RefreshGrant, error) {
	h.t.Helper()
	return call[api.RefreshBeginRequest, api.RefreshGrant](h.t, h.nc, api.SubjectRefreshBegin,
		api.RefreshBeginRequest{Env: env, RefreshToken: token, ClientID: client})
}

func (h *harness) refresh(token string) (api.IssueResponse, error) {
	h.t.Helper()
	return h.issue(api.IssueRequest{Grant: api.GrantRefreshToken, Rotate: token})
}

func (h *harness) introspect(token string) api.IntrospectResponse {
	h.t.Helper()
	return must[api.IntrospectRequest, api.IntrospectResponse](h.t, h.nc, api.SubjectIntrospect,
		api.IntrospectRequest{Env: env, Token: token})
}

func (h *harness) active(token string) bool {
	h.t.Helper()
	return h.introspect(token).Active
}

// jwks returns an environment's JWKS as go-jose reads the JSON that
// crossed the wire, and as the api type.
func (h *harness) jwks(env string) (jose.JSONWebKeySet, api.JWKS) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	data, err := json.Marshal(api.JWKSRequest{Env: env})
	if err != nil {
		h.t.Fatal(err)
	}
	raw, err := natsrpc.CallRaw(ctx, h.nc, api.SubjectJWKS, data)
	if err != nil {
		h.t.Fatalf("jwks: %v", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		h.t.Fatalf("JWKS %s is not a JWK set go-jose reads: %v", raw, err)
	}
	var typed api.JWKS
	if err := json.Unmarshal(raw, &typed); err != nil {
		h.t.Fatal(err)
	}
	return set, typed
}

// introspections returns the count of introspections with result.
func (h *harness) introspections(result string) float64 {
	return h.counter("gatehouse_tokens_introspections_total", "result", result)
}

// counter reads a counter of the service's registry by name and one label.
func (h *harness) counter(name, label, value string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := label == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					match = true
				}
			}
			if match {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

// verified is a token checked with go-jose directly against a JWKS.
type verified struct {
	header jose.Header
	typ    string
	claims map[string]any
}

// joseVerify verifies token with go-jose against set, independently of
// api.Verify, and returns its header and claims.
func joseVerify(t *testing.T, set jose.JSONWebKeySet, token string) verified {
	t.Helper()
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	h := jws.Signatures[0].Header
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS", h.KeyID, len(keys))
	}
	if keys[0].Algorithm != h.Algorithm || keys[0].Use != "sig" {
		t.Fatalf("JWK %s is alg %q use %q; the token says alg %q", h.KeyID, keys[0].Algorithm, keys[0].Use, h.Algorithm)
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("signature does not verify with JWK %s: %v", h.KeyID, err)
	}
	v := verified{header: h}
	v.typ, _ = h.ExtraHeaders[jose.HeaderType].(string)
	if err := json.Unmarshal(payload, &v.claims); err != nil {
		t.Fatal(err)
	}
	return v
}
