package keys_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"log/slog"
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
	"github.com/gatehouse-id/gatehouse/services/keys"
	"github.com/gatehouse-id/gatehouse/services/keys/api"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const env = "production"

// harness is a keys service on a fresh database and NATS server.
type harness struct {
	t    *testing.T
	nc   *nats.Conn
	pool *pgxpool.Pool
	kek  []byte
	reg  *prometheus.Registry
	logs *lockedBuffer
	svc  *keys.Service
	// transport is the worker's transport key.
	transport *ecdh.PrivateKey
}

// migratedPool returns a pool on a fresh database with the keys schema.
func migratedPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.NewPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub, err := fs.Sub(migrations.FS, keys.Schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := pgstore.Migrate(ctx, pool, keys.Schema, sub); err != nil {
		t.Fatal(err)
	}
	return pool
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	pool := migratedPool(t)
	tk, err := api.NewTransportKey()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, nc: natstest.Connect(t, natstest.Start(t)), pool: pool, kek: randomKey(t),
		reg: prometheus.NewRegistry(), logs: &lockedBuffer{}, transport: tk}
	svc, err := h.start(h.kek)
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	return h
}

// start starts another service instance with kek, stopped when the test ends.
func (h *harness) start(kek []byte) (*keys.Service, error) {
	h.t.Helper()
	svc, err := keys.Start(context.Background(), h.nc, h.pool, keys.Config{
		Logger:     slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: h.reg,
		MasterKey:  kek,
	})
	if err != nil {
		return nil, err
	}
	h.t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	return svc, nil
}

// stop stops the harness's service.
func (h *harness) stop() {
	h.t.Helper()
	if err := h.svc.Stop(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// kekID is how the service names a master key.
func kekID(k []byte) string {
	sum := sha256.Sum256(k)
	return hex.EncodeToString(sum[:8])
}

func call[Req, Resp any](t *testing.T, nc *nats.Conn, subject string, req Req) (Resp, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return natsrpc.Call[Req, Resp](ctx, nc, subject, req)
}

// must is call for requests that must succeed.
func must[Req, Resp any](t *testing.T, nc *nats.Conn, subject string, req Req) Resp {
	t.Helper()
	resp, err := call[Req, Resp](t, nc, subject, req)
	if err != nil {
		t.Fatalf("%s: %v", subject, err)
	}
	return resp
}

// raw sends req and returns the reply bytes as they crossed the wire.
func raw(t *testing.T, nc *nats.Conn, subject string, req any) []byte {
	t.Helper()
	data, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := natsrpc.CallRaw(ctx, nc, subject, data)
	if err != nil {
		t.Fatalf("%s: %v", subject, err)
	}
	return out
}

// wantCode fails unless err carries code and its message contains fragment.
func wantCode(t *testing.T, err error, code natsrpc.Code, fragment string) {
	t.Helper()
	if !natsrpc.IsCode(err, code) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if !strings.Contains(err.Error(), fragment) {
		t.Fatalf("error %q does not contain %q", err, fragment)
	}
}

func (h *harness) createEnv(key, value string, secret bool) api.EnvVar {
	h.t.Helper()
	return must[api.CreateEnvRequest, api.EnvVar](h.t, h.nc, api.SubjectEnvCreate,
		api.CreateEnvRequest{Env: env, Key: key, Value: value, IsSecret: secret})
}

// resolve returns a variable's value as a worker sees it.
func (h *harness) resolve(key string) (value string, resp api.ResolveEnvResponse, err error) {
	h.t.Helper()
	resp, err = call[api.ResolveEnvRequest, api.ResolveEnvResponse](h.t, h.nc, api.SubjectEnvResolve,
		api.ResolveEnvRequest{Env: env, Key: key, TransportKey: h.transport.PublicKey().Bytes()})
	if err != nil || !resp.Found {
		return "", resp, err
	}
	plain, err := api.Open(h.transport, resp.Sealed, api.AADEnv(env, key))
	if err != nil {
		h.t.Fatalf("resolved value of %s does not open: %v", key, err)
	}
	return string(plain), resp, nil
}

func (h *harness) createKey(workflowID string) api.CreateWorkflowKeyResponse {
	h.t.Helper()
	return must[api.CreateWorkflowKeyRequest, api.CreateWorkflowKeyResponse](h.t, h.nc, api.SubjectWorkflowKeyCreate,
		api.CreateWorkflowKeyRequest{Env: env, WorkflowID: workflowID})
}

// active returns a workflow's active key as a worker sees it.
func (h *harness) active(workflowID string) (keyID string, key []byte, err error) {
	h.t.Helper()
	resp, err := call[api.ActiveKeyRequest, api.ActiveKeyResponse](h.t, h.nc, api.SubjectWorkflowKeyActive,
		api.ActiveKeyRequest{Env: env, WorkflowID: workflowID, TransportKey: h.transport.PublicKey().Bytes()})
	if err != nil {
		return "", nil, err
	}
	key, err = api.Open(h.transport, resp.Sealed, api.AADWorkflowKey(env, workflowID, resp.KeyID))
	if err != nil {
		h.t.Fatalf("active key of %s does not open: %v", workflowID, err)
	}
	return resp.KeyID, key, nil
}

// events collects change events from now on.
func (h *harness) events() func(n int) []api.Change {
	h.t.Helper()
	ch := make(chan *nats.Msg, 64)
	sub, err := h.nc.ChanSubscribe(api.EventChanged, ch)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := h.nc.Flush(); err != nil {
		h.t.Fatal(err)
	}
	return func(n int) []api.Change {
		h.t.Helper()
		var out []api.Change
		for range n {
			select {
			case m := <-ch:
				var c api.Change
				if err := json.Unmarshal(m.Data, &c); err != nil {
					h.t.Fatalf("change event %q: %v", m.Data, err)
				}
				out = append(out, c)
			case <-time.After(5 * time.Second):
				h.t.Fatalf("got %d of %d change events: %+v", len(out), n, out)
			}
		}
		select {
		case m := <-ch:
			h.t.Fatalf("unexpected extra change event %s", m.Data)
		case <-time.After(50 * time.Millisecond):
		}
		return out
	}
}

// lockedBuffer collects the service's log.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
