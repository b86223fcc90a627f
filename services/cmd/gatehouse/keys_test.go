package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	"github.com/gatehouse-id/gatehouse/services/platform"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// startKeys runs the keys target with the master key in keyFile.
func startKeys(t *testing.T, db, keyFile string) (*platform.Platform, error) {
	t.Helper()
	cfg := platform.DefaultConfig()
	cfg.Targets, cfg.Mode, cfg.DatabaseURL, cfg.MasterKeyFile = "all", platform.ModeProduction, db, keyFile
	cfg.NATSPort, cfg.HTTPAddr, cfg.DataDir, cfg.IssuerURL = -1, "127.0.0.1:0", t.TempDir(), "https://id.example.test"
	p, err := platform.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = p.Stop(ctx)
	})
	return p, nil
}

func secretReadable(t *testing.T, p *platform.Platform) {
	t.Helper()
	tk, err := kapi.NewTransportKey()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := natsrpc.Call[kapi.ResolveEnvRequest, kapi.ResolveEnvResponse](ctx, p.NATS(), kapi.SubjectEnvResolve,
		kapi.ResolveEnvRequest{Env: "production", Key: "API_KEY", TransportKey: tk.PublicKey().Bytes()})
	if err != nil || !resp.Found {
		t.Fatalf("resolve: %+v %v", resp, err)
	}
	v, err := kapi.Open(tk, resp.Sealed, kapi.AADEnv("production", "API_KEY"))
	if err != nil || string(v) != "sk_rotate_me" {
		t.Fatalf("secret after rotation: %q %v", v, err)
	}
}

// TestRotateMasterRewrapsDataKeys stores a secret under one master key,
// rotates to a generated one with the command, and reads the secret back
// under the new key; the old key no longer starts the service.
func TestRotateMasterRewrapsDataKeys(t *testing.T) {
	db := pgtest.NewDatabase(t)
	dir := t.TempDir()
	oldFile, newFile := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
	if err := os.WriteFile(oldFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := startKeys(t, db, oldFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := natsrpc.Call[kapi.CreateEnvRequest, kapi.EnvVar](ctx, p.NATS(), kapi.SubjectEnvCreate,
		kapi.CreateEnvRequest{Env: "production", Key: "API_KEY", Value: "sk_rotate_me", IsSecret: true}); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	// Without the current key the command refuses and says how to give it.
	if code := keysCmd([]string{"rotate-master", "-database-url", db, "-data-dir", dir, "-new-key-file", newFile}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "GATEHOUSE_MASTER_KEY or -master-key-file") {
		t.Fatalf("without the current key: exit %d, %s", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := keysCmd([]string{"rotate-master", "-database-url", db, "-master-key-file", oldFile, "-new-key-file", newFile}, &out, &errOut); code != 0 {
		t.Fatalf("rotate: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "generated a new master key") || !strings.Contains(out.String(), "re-wrapped 1 data keys") {
		t.Fatalf("output: %s", out.String())
	}
	if fi, err := os.Stat(newFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v %v", fi, err)
	}
	if strings.Contains(out.String()+errOut.String(), strings.Repeat("ab", 32)) {
		t.Fatal("the command printed the master key")
	}

	if _, err := startKeys(t, db, oldFile); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("start with the old key after rotation: %v", err)
	}
	p2, err := startKeys(t, db, newFile)
	if err != nil {
		t.Fatal(err)
	}
	secretReadable(t, p2)

	// Bad command lines are usage errors.
	for _, args := range [][]string{{}, {"rotate"}, {"rotate-master"}} {
		if code := keysCmd(args, io.Discard, io.Discard); code != 2 {
			t.Fatalf("keys %v: exit %d, want 2", args, code)
		}
	}
}

// TestProductionRefusesToStartWithoutAMasterKey: no key, no start, and the
// error says how to provide one.
func TestProductionRefusesToStartWithoutAMasterKey(t *testing.T) {
	cfg := platform.DefaultConfig()
	cfg.Mode, cfg.DatabaseURL = platform.ModeProduction, "postgres://unused"
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "a master key is required with -env=production: set GATEHOUSE_MASTER_KEY or -master-key-file") {
		t.Fatalf("Validate() = %v", err)
	}
	cfg.Targets, cfg.NATSURL = "worker", "nats://127.0.0.1:4222"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("a worker needs no master key: %v", err)
	}
}
