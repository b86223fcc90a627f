package mfa_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/migrations"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/pkg/natstest"
	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/delivery"
	"github.com/gatehouse-id/gatehouse/services/keys"
	"github.com/gatehouse-id/gatehouse/services/mfa"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"

	"github.com/gatehouse-id/gatehouse/services/delivery/smtptest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const env = "production"

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

// syncBuffer is the service's captured slog output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is an MFA service with a real keys service, a loopback SMS
// provider and a loopback SMTP server, on a fresh database and NATS server.
type harness struct {
	t     *testing.T
	nc    *nats.Conn
	pool  *pgxpool.Pool
	reg   *prometheus.Registry
	clock *clock
	logs  *syncBuffer
	sms   *smsProvider
	smtp  *smtptest.Server
	svc   *mfa.Service
}

func newHarness(t *testing.T, configure ...func(*mfa.Config)) *harness {
	t.Helper()
	pool := pgtest.NewPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, schema := range []string{keys.Schema, mfa.Schema} {
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

	h := &harness{t: t, nc: nc, pool: pool, reg: prometheus.NewRegistry(), logs: &syncBuffer{},
		clock: &clock{now: time.Now().Truncate(time.Second)}, sms: startSMSProvider(t), smtp: smtptest.Start(t, smtptest.Options{})}
	sender, err := delivery.NewTwilioSender(delivery.TwilioConfig{BaseURL: h.sms.srv.URL, AccountSID: "AC_test",
		AuthToken: "test-token", From: "+15550000000"})
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := delivery.NewSMTPMailer(delivery.SMTPConfig{Host: "127.0.0.1", Port: h.smtp.Port, TLS: delivery.SMTPTLSNone,
		From: "no-reply@gatehouse.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := mfa.Config{Logger: slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: h.reg, Now: h.clock.Now, SMS: sender, Mailer: mailer, DeliveryBackoff: 5 * time.Millisecond}
	for _, c := range configure {
		c(&cfg)
	}
	h.svc, err = mfa.Start(ctx, nc, pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.svc.Stop(context.Background()) })
	return h
}

func call[Req, Resp any](t *testing.T, nc *nats.Conn, subject string, req Req) (Resp, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
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

func (h *harness) enroll(req api.EnrollRequest) (api.EnrollResponse, error) {
	h.t.Helper()
	if req.Env == "" {
		req.Env = env
	}
	return call[api.EnrollRequest, api.EnrollResponse](h.t, h.nc, api.SubjectEnroll, req)
}

func (h *harness) mustEnroll(req api.EnrollRequest) api.EnrollResponse {
	h.t.Helper()
	resp, err := h.enroll(req)
	if err != nil {
		h.t.Fatalf("enroll: %v", err)
	}
	return resp
}

func (h *harness) enrollTOTP(user string) api.EnrollResponse {
	h.t.Helper()
	return h.mustEnroll(api.EnrollRequest{UserID: user, Type: api.FactorTOTP, Issuer: "Acme", User: user + "@example.com"})
}

func (h *harness) challenge(user, factor string) (api.Challenge, error) {
	h.t.Helper()
	return call[api.ChallengeRequest, api.Challenge](h.t, h.nc, api.SubjectChallenge,
		api.ChallengeRequest{Env: env, UserID: user, FactorID: factor})
}

func (h *harness) mustChallenge(user, factor string) api.Challenge {
	h.t.Helper()
	c, err := h.challenge(user, factor)
	if err != nil {
		h.t.Fatalf("challenge: %v", err)
	}
	return c
}

func (h *harness) verify(user, challenge, code string) (api.VerifyResponse, error) {
	h.t.Helper()
	return call[api.VerifyRequest, api.VerifyResponse](h.t, h.nc, api.SubjectVerify,
		api.VerifyRequest{Env: env, UserID: user, ChallengeID: challenge, Code: code})
}

func (h *harness) mustVerify(user, challenge, code string) api.VerifyResponse {
	h.t.Helper()
	r, err := h.verify(user, challenge, code)
	if err != nil {
		h.t.Fatalf("verify: %v", err)
	}
	return r
}

func (h *harness) context(req api.ContextRequest) api.Context {
	h.t.Helper()
	if req.Env == "" {
		req.Env = env
	}
	return must[api.ContextRequest, api.Context](h.t, h.nc, api.SubjectContext, req)
}

func (h *harness) setPolicy(p api.Policy) api.Policy {
	h.t.Helper()
	p.Env = env
	return must[api.Policy, api.Policy](h.t, h.nc, api.SubjectSetPolicy, p)
}

// oathtool computes the TOTP code of secret at t with Debian's oathtool, an
// implementation independent of the service's.
func oathtool(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		t.Fatalf("oathtool is not installed: the TOTP tests check codes computed by it (make test installs Debian's oathtool; or run apt-get install oathtool)")
	}
	out, err := exec.Command(path, "--totp", "-b", secret, "-N", fmt.Sprintf("@%d", at.Unix())).CombinedOutput()
	if err != nil {
		t.Fatalf("oathtool: %v: %s", err, out)
	}
	code := strings.TrimSpace(string(out))
	if len(code) != 6 {
		t.Fatalf("oathtool printed %q", code)
	}
	return code
}

// wrongCode returns a six-digit code different from every code given.
func wrongCode(codes ...string) string {
	for i := 0; ; i++ {
		c := fmt.Sprintf("%06d", (i*7919+13)%1000000)
		ok := true
		for _, x := range codes {
			ok = ok && x != c
		}
		if ok {
			return c
		}
	}
}

// counter reads a counter of the service's registry by name and labels.
func (h *harness) counter(name string, labels map[string]string) float64 {
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
			match := 0
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
					match++
				}
			}
			if match == len(labels) {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

// smsProvider is a loopback HTTP server speaking Twilio's Messages API.
type smsProvider struct {
	srv   *httptest.Server
	mu    sync.Mutex
	msgs  []smsRequest
	fails int // requests still to fail with 503
}

type smsRequest struct{ path, to, from, body string }

func startSMSProvider(t *testing.T) *smsProvider {
	p := &smsProvider{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if user, pass, _ := r.BasicAuth(); user != "AC_test" || pass != "test-token" {
			http.Error(w, `{"code": 20003, "message": "Authenticate"}`, http.StatusUnauthorized)
			return
		}
		p.mu.Lock()
		p.msgs = append(p.msgs, smsRequest{path: r.URL.Path, to: r.PostForm.Get("To"), from: r.PostForm.Get("From"), body: r.PostForm.Get("Body")})
		fail := p.fails > 0
		if fail {
			p.fails--
		}
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"code": 20503, "message": "Service unavailable"}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"sid": "SM1", "status": "queued"}`))
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *smsProvider) requests() []smsRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]smsRequest(nil), p.msgs...)
}

func (p *smsProvider) failNext(n int) {
	p.mu.Lock()
	p.fails = n
	p.mu.Unlock()
}
