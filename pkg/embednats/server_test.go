package embednats_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse-id/gatehouse/pkg/embednats"
)

// syncBuffer collects log output written from the server's goroutines.
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

func start(t testing.TB, opts embednats.Options) *embednats.Server {
	t.Helper()
	if opts.StoreDir == "" {
		opts.StoreDir = t.TempDir()
	}
	if opts.Port == 0 {
		opts.Port = -1
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := embednats.Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func connect(t testing.TB, s *embednats.Server, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := s.Connect(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func TestRequestReplyAndLogging(t *testing.T) {
	var logs syncBuffer
	s := start(t, embednats.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if !strings.HasPrefix(s.ClientURL(), "nats://127.0.0.1:") {
		t.Fatalf("ClientURL = %q", s.ClientURL())
	}
	nc := connect(t, s)
	if _, err := nc.Subscribe("echo", func(m *nats.Msg) { _ = m.Respond(m.Data) }); err != nil {
		t.Fatal(err)
	}
	reply, err := nc.Request("echo", []byte("hi"), 2*time.Second)
	if err != nil || string(reply.Data) != "hi" {
		t.Fatalf("Request = %v, %v", reply, err)
	}
	out := logs.String()
	if !strings.Contains(out, "level=INFO msg=\"started embedded NATS server\"") || !strings.Contains(out, s.ClientURL()) {
		t.Errorf("start not logged at info with the client URL:\n%s", out)
	}
	if strings.Contains(out, "level=INFO msg=\"Starting nats-server\"") {
		t.Errorf("server banner logged at info:\n%s", out)
	}
}

func TestClientURLServesOtherProcesses(t *testing.T) {
	s := start(t, embednats.Options{})
	inProc := connect(t, s)
	if _, err := inProc.Subscribe("ping", func(m *nats.Msg) { _ = m.Respond([]byte("pong")) }); err != nil {
		t.Fatal(err)
	}
	if err := inProc.Flush(); err != nil {
		t.Fatal(err)
	}
	remote, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatalf("TCP connect to %s: %v", s.ClientURL(), err)
	}
	defer remote.Close()
	reply, err := remote.Request("ping", nil, 2*time.Second)
	if err != nil || string(reply.Data) != "pong" {
		t.Fatalf("request over TCP: %v, %v", reply, err)
	}
}

func TestMaxPayloadAllowsWasmArtifacts(t *testing.T) {
	s := start(t, embednats.Options{})
	nc := connect(t, s)
	if got := nc.MaxPayload(); got != int64(embednats.DefaultMaxPayload) {
		t.Fatalf("MaxPayload = %d, want %d", got, embednats.DefaultMaxPayload)
	}
	if _, err := nc.Subscribe("blob", func(m *nats.Msg) { _ = m.Respond([]byte(fmt.Sprint(len(m.Data)))) }); err != nil {
		t.Fatal(err)
	}
	artifact := make([]byte, 8_000_000)
	reply, err := nc.Request("blob", artifact, 5*time.Second)
	if err != nil || string(reply.Data) != "8000000" {
		t.Fatalf("8 MB request: %v, %v", reply, err)
	}
	if err := nc.Publish("blob", make([]byte, embednats.DefaultMaxPayload+1)); err == nil {
		t.Fatal("publish above MaxPayload accepted")
	}
}

func TestJetStreamPersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := start(t, embednats.Options{StoreDir: dir})
	js, err := jetstream.New(connect(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "LOGS", Subjects: []string{"logs.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "logs.a", []byte("line")); err != nil {
		t.Fatal(err)
	}
	s.Shutdown()

	s2 := start(t, embednats.Options{StoreDir: dir})
	js2, err := jetstream.New(connect(t, s2))
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js2.Stream(ctx, "LOGS")
	if err != nil {
		t.Fatalf("stream lost across restart: %v", err)
	}
	msg, err := stream.GetMsg(ctx, 1)
	if err != nil || string(msg.Data) != "line" {
		t.Fatalf("message lost across restart: %v, %v", msg, err)
	}
}

func TestStartErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := embednats.Start(ctx, embednats.Options{Port: -1}); err == nil || !strings.Contains(err.Error(), "StoreDir") {
		t.Errorf("missing StoreDir: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	began := time.Now()
	_, err = embednats.Start(ctx, embednats.Options{StoreDir: t.TempDir(), Port: port, Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprint(port)) {
		t.Fatalf("port in use: %v", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("port-in-use failure took %v", d)
	}
}

func BenchmarkRequestReply(b *testing.B) {
	s := start(b, embednats.Options{})
	tcp := func(b *testing.B) *nats.Conn {
		nc, err := nats.Connect(s.ClientURL())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(nc.Close)
		return nc
	}
	inProcess := func(b *testing.B) *nats.Conn { return connect(b, s) }
	for _, tc := range []struct {
		name    string
		connect func(*testing.B) *nats.Conn
	}{
		{"inprocess", inProcess}, // what Connect does
		{"tcp", tcp},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv, cli := tc.connect(b), tc.connect(b)
			subject := "bench." + tc.name
			if _, err := srv.Subscribe(subject, func(m *nats.Msg) { _ = m.Respond(m.Data) }); err != nil {
				b.Fatal(err)
			}
			if err := srv.Flush(); err != nil {
				b.Fatal(err)
			}
			payload := make([]byte, 256)
			for b.Loop() {
				if _, err := cli.Request(subject, payload, time.Second); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
