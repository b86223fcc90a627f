package natstest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/pkg/embednats"
	"github.com/gatehouse-id/gatehouse/pkg/testlog"
)

// Start starts an embedded NATS server with JetStream on a random port and a
// temporary store directory, and shuts it down when the test ends.
func Start(t testing.TB) *embednats.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := embednats.Start(ctx, embednats.Options{
		StoreDir: t.TempDir(),
		Port:     -1,
		Logger:   testlog.New(t, slog.LevelWarn),
	})
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	t.Cleanup(s.Shutdown) // before the logger's cleanup, registered earlier
	return s
}

// Connect opens a connection to s, closed when the test ends.
func Connect(t testing.TB, s *embednats.Server, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := s.Connect(opts...)
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}
