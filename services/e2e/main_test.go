package e2e

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/demo"
	"github.com/gatehouse-id/gatehouse/services/platform"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// stopTimeout bounds stopping the platform at the end of a test.
const stopTimeout = 20 * time.Second

// syncBuffer is a log destination that the platform's goroutines can write
// to while a failing test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// stack is the platform under test: every target in one process, in
// development mode with the demo, on a fresh database and an embedded NATS
// server.
type stack struct {
	p    *platform.Platform
	demo *demo.Demo
	log  *syncBuffer
}

// startStack starts the platform. The issuer is the HTTP listener's own
// address, so the demo's redirect URI (issuer + /demo/callback) and
// post-logout URI (issuer + /demo) point at the listener the browser
// talks to.
func startStack(t *testing.T) *stack {
	t.Helper()
	addr := freeAddr(t)
	cfg := platform.DefaultConfig()
	cfg.Mode = platform.ModeDevelopment
	cfg.Demo = true
	cfg.DatabaseURL = pgtest.NewDatabase(t)
	cfg.NATSPort = -1
	cfg.HTTPAddr = addr
	cfg.IssuerURL = "http://" + addr
	cfg.DataDir = t.TempDir()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// Start's context is the platform's for its whole life, as in
	// `gatehouse serve`; the steps inside it bound themselves.
	p, err := platform.Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("start the platform: %v\n%s", err, logs.Bytes())
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Errorf("stop the platform: %v", err)
		}
	})
	d := p.Demo()
	if d == nil {
		t.Fatalf("the platform started without the demo (development mode, Demo: true); its log:\n%s", logs.Bytes())
	}
	return &stack{p: p, demo: d, log: logs}
}

// freeAddr returns a loopback address with a port free a moment ago: the
// issuer URL must name the port before the listener starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
