package mgmt_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/go-chi/chi/v5"

	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/mgmt"
	"github.com/gatehouse-id/gatehouse/services/platform"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// specPath is the OpenAPI description every request and response of these
// tests is checked against.
const specPath = "../../../docs/api/openapi.yaml"

const defaultEnv = "production"

// harness is a whole platform with its HTTP listener, an identity store on
// its database for seeding, and the OpenAPI description.
type harness struct {
	t      *testing.T
	p      *platform.Platform
	base   string
	ids    *identity.Store
	doc    *openapi3.T
	router routers.Router

	mu       sync.Mutex
	answered map[string]bool // "operationId" answered with a 2xx
}

func startPlatform(t *testing.T) *harness {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	cfg := platform.DefaultConfig()
	cfg.DatabaseURL = pgtest.NewDatabase(t)
	cfg.NATSPort = -1
	cfg.HTTPAddr = addr
	cfg.IssuerURL = "http://" + addr
	cfg.DataDir = t.TempDir()
	var logw io.Writer = io.Discard
	if os.Getenv("MGMT_TEST_LOG") != "" {
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
	ids, err := identity.NewStore(pool, identity.Config{Argon2: identity.Argon2Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, p: p, base: cfg.IssuerURL, ids: ids, answered: map[string]bool{}}
	h.loadSpec()
	return h
}

// loadSpec loads and checks the OpenAPI description, pointed at this
// platform.
func (h *harness) loadSpec() {
	h.t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		h.t.Fatalf("load %s: %v", specPath, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		h.t.Fatalf("%s is not a valid OpenAPI description: %v", specPath, err)
	}
	doc.Servers = openapi3.Servers{
		{URL: h.base + "/api/v1"},
		{URL: h.base + "/e/{environment}/api/v1", Variables: map[string]*openapi3.ServerVariable{"environment": {Default: "x"}}},
	}
	if h.router, err = gorillamux.NewRouter(doc); err != nil {
		h.t.Fatal(err)
	}
	h.doc = doc
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func (h *harness) issuer(env string) string {
	if env == defaultEnv {
		return h.base
	}
	return h.base + "/e/" + env
}

func (h *harness) audience(env string) string { return h.issuer(env) + "/api" }

// env creates environment env.
func (h *harness) env(env string) {
	h.t.Helper()
	if _, err := h.ids.EnsureEnvironment(testContext(h.t), env, ""); err != nil {
		h.t.Fatal(err)
	}
}

// token registers an m2m application of env allowed the management API
// with scopes and returns an access token for it with those scopes.
func (h *harness) token(t *testing.T, env string, scopes ...string) string {
	t.Helper()
	app, secret, err := h.ids.CreateApplication(testContext(t), identity.NewApplication{Env: env, Name: "Test client",
		Type: identity.AppM2M, Audiences: []string{h.audience(env), "https://other.example"}, Scopes: append([]string{"other"}, scopes...)})
	if err != nil {
		t.Fatal(err)
	}
	return h.clientCredentials(t, env, app.ClientID, secret, h.audience(env), strings.Join(scopes, " "))
}

// clientCredentials asks env's token endpoint for an access token.
func (h *harness) clientCredentials(t *testing.T, env, clientID, secret, audience, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "audience": {audience}}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, _ := http.NewRequest(http.MethodPost, h.issuer(env)+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("client credentials: %d %s", resp.StatusCode, body)
	}
	return tok.AccessToken
}

// call is one API request.
type call struct {
	env    string // default: production
	token  string
	method string
	path   string // under /api/v1, with its query
	json   any    // marshalled unless a string or []byte (sent as is)
	ctype  string // Content-Type; application/json when json is set
	body   io.Reader
	// offSpec marks a request the description forbids (malformed body,
	// unknown field, no token…): the test checks the description refuses it
	// too, and the server answers with a documented error.
	offSpec bool
	header  http.Header
}

// answer is an API response.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// decode decodes the body into v.
func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// errorCode returns the code of a one-error response.
func (a answer) errorCode(t *testing.T) (code, message string) {
	t.Helper()
	var e mgmt.ErrorResponse
	a.decode(t, &e)
	if len(e.Errors) != 1 {
		t.Fatalf("error response %s", a.body)
	}
	return e.Errors[0].Code, e.Errors[0].Message
}

// do sends c, checking the request and the response against the OpenAPI
// description.
func (h *harness) do(t *testing.T, c call) answer {
	t.Helper()
	env := c.env
	if env == "" {
		env = defaultEnv
	}
	var body []byte
	switch v := c.json.(type) {
	case nil:
	case string:
		body = []byte(v)
	case []byte:
		body = v
	default:
		var err error
		if body, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	if c.json != nil && c.ctype == "" {
		c.ctype = "application/json"
	}
	if c.body != nil {
		var err error
		if body, err = io.ReadAll(c.body); err != nil {
			t.Fatal(err)
		}
	}
	newReq := func() *http.Request {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequest(c.method, h.issuer(env)+"/api/v1"+c.path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		for k, vs := range c.header {
			req.Header[k] = vs
		}
		return req
	}

	// The request, as the description sees it.
	vreq := newReq()
	route, params, err := h.router.FindRoute(vreq)
	if err != nil {
		if !c.offSpec {
			t.Fatalf("%s %s is not in %s: %v", c.method, c.path, specPath, err)
		}
		route = nil
	}
	var in *openapi3filter.RequestValidationInput
	if route != nil {
		in = &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: bearerPresent, IncludeResponseStatus: true}}
		err := openapi3filter.ValidateRequest(context.Background(), in)
		switch {
		case err != nil && !c.offSpec:
			t.Fatalf("%s %s: the request does not match %s: %v", c.method, c.path, specPath, err)
		case err == nil && c.offSpec:
			t.Fatalf("%s %s: %s accepts a request the test means to be invalid", c.method, c.path, specPath)
		}
	}

	resp, err := http.DefaultClient.Do(newReq())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: got}
	if resp.StatusCode >= 400 {
		// Every error has the one shape.
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %s: error %d with Content-Type %q: %s", c.method, c.path, resp.StatusCode, ct, got)
		}
		a.errorCode(t)
	}
	if route == nil {
		return a
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(got)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Fatalf("%s %s: the %d response does not match %s: %v\n%s", c.method, c.path, resp.StatusCode, specPath, err, got)
	}
	if resp.StatusCode < 300 {
		h.mu.Lock()
		h.answered[route.Operation.OperationID] = true
		h.mu.Unlock()
	}
	return a
}

// bearerPresent is the description's bearerAuth as a request validator can
// check it: an Authorization header with a Bearer token.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if v := in.RequestValidationInput.Request.Header.Get("Authorization"); !strings.HasPrefix(v, "Bearer ") || len(v) == len("Bearer ") {
		return in.NewError(errNoBearer)
	}
	return nil
}

var errNoBearer = &openapi3.SchemaError{Reason: "no Bearer token"}

// want fails the test unless a has status (and, for errors, code).
func want(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	if code != "" {
		if got, msg := a.errorCode(t); got != code {
			t.Fatalf("error %s (%s), want %s", got, msg, code)
		}
	}
}

// multipartBody builds a multipart/form-data body from fields (name →
// value) and an optional module file.
func multipartBody(t *testing.T, module []byte, fields ...string) (body []byte, ctype string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := mw.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if module != nil {
		fw, err := mw.CreateFormFile("module", "hello.wasm")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(module); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

// routesInSpec checks that every route the API serves is in the
// description.
func (h *harness) routesInSpec(t *testing.T) {
	api, err := mgmt.New(mgmt.Config{NATS: h.p.NATS(), Identity: h.ids, Env: func(context.Context) string { return defaultEnv },
		Audience: func(string) string { return "x" }})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	api.Routes(r)
	n := 0
	err = chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		n++
		item := h.doc.Paths.Find(route)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s %s is served but not in %s", method, route, specPath)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("walk: %d routes, %v", n, err)
	}
}

// everyOperationAnswered checks that the tests got a successful answer from
// every operation of the description.
func (h *harness) everyOperationAnswered(t *testing.T) {
	for path, item := range h.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !h.answered[op.OperationID] {
				t.Errorf("no test got a successful answer from %s %s (%s)", method, path, op.OperationID)
			}
		}
	}
}
