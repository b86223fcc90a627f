package devpg_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/devpg"
	"github.com/gatehouse-id/gatehouse/pkg/testlog"
)

func testLogger(t testing.TB) *slog.Logger { return testlog.New(t, slog.LevelInfo) }

// baseDir returns a fresh directory the postgres user can traverse, on the
// memory-backed /dev/shm when there is one (initdb is about twice as fast).
func baseDir(t testing.TB) string {
	dir, err := os.MkdirTemp("/dev/shm", "devpg-test-")
	if err != nil {
		dir, err = os.MkdirTemp("", "devpg-test-")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func startServer(t *testing.T, dataDir string) *devpg.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	began := time.Now()
	s, err := devpg.Start(ctx, devpg.Options{DataDir: dataDir, Fast: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("devpg.Start took %v", time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func queryInt(t *testing.T, url, sql string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestStartKeepsDataAcrossRestarts(t *testing.T) {
	dataDir := filepath.Join(baseDir(t), "pgdata")
	s := startServer(t, dataDir)
	if !strings.HasPrefix(s.URL(), "postgres://postgres@127.0.0.1:") || !strings.HasSuffix(s.URL(), "/gatehouse?sslmode=disable") {
		t.Fatalf("URL = %q", s.URL())
	}
	if !strings.HasPrefix(s.Version(), "15") {
		t.Logf("note: PostgreSQL version %s", s.Version())
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid still present after Stop: %v", err)
	}

	// A second Start on the same directory reuses the cluster.
	s2 := startServer(t, dataDir)
	if got := queryInt(t, s2.URL(), "SELECT n FROM kept"); got != 42 {
		t.Fatalf("kept row = %d, want 42", got)
	}
}

func TestServerRestartKeepsPort(t *testing.T) {
	s := startServer(t, filepath.Join(baseDir(t), "pgdata"))
	url := s.URL()
	ctx := context.Background()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pgx.Connect(ctx, url); err == nil {
		t.Fatal("connect succeeded while the server is stopped")
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if s.URL() != url {
		t.Fatalf("URL changed across restart: %s → %s", url, s.URL())
	}
	if got := queryInt(t, url, "SELECT 1"); got != 1 {
		t.Fatalf("SELECT 1 = %d", got)
	}
}

func TestCreateAndDropDatabase(t *testing.T) {
	s := startServer(t, filepath.Join(baseDir(t), "pgdata"))
	ctx := context.Background()
	url, err := s.CreateDatabase(ctx, "Mixed-Case db")
	if err != nil {
		t.Fatal(err)
	}
	// Creating it again is not an error.
	if _, err := s.CreateDatabase(ctx, "Mixed-Case db"); err != nil {
		t.Fatalf("second CreateDatabase: %v", err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to new database: %v", err)
	}
	var name string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil || name != "Mixed-Case db" {
		t.Fatalf("current_database() = %q, %v", name, err)
	}
	// Drop forces the open connection out.
	if err := s.DropDatabase(ctx, "Mixed-Case db"); err != nil {
		t.Fatal(err)
	}
	if got := queryInt(t, s.URL(), "SELECT count(*) FROM pg_database WHERE datname = 'Mixed-Case db'"); got != 0 {
		t.Fatalf("database still exists")
	}
	if err := conn.Ping(ctx); err == nil {
		t.Fatal("connection to the dropped database still works")
	}
}

func TestStartRecoversFromKilledRun(t *testing.T) {
	dataDir := filepath.Join(baseDir(t), "pgdata")
	s := startServer(t, dataDir)
	// Simulate a caller killed without stopping PostgreSQL: forget about the
	// server and start again on the same directory.
	s2 := startServer(t, dataDir)
	if got := queryInt(t, s2.URL(), "SELECT 1"); got != 1 {
		t.Fatalf("SELECT 1 = %d", got)
	}
	if _, err := pgx.Connect(context.Background(), s.URL()); err == nil && s.Port() != s2.Port() {
		t.Fatal("the leftover server still accepts connections")
	}
}

func TestStartRemovesStalePidFile(t *testing.T) {
	dataDir := filepath.Join(baseDir(t), "pgdata")
	s := startServer(t, dataDir)
	ctx := context.Background()
	pidPath := filepath.Join(dataDir, "postmaster.pid")
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// A postmaster.pid naming a live process that is not PostgreSQL (this
	// test binary), as after a kill -9 and pid reuse.
	stale := []byte(strings.Join([]string{strconv.Itoa(os.Getpid()), dataDir, "0", "5432", "", "127.0.0.1", "0 0", "ready", ""}, "\n"))
	if err := os.WriteFile(pidPath, stale, 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := startServer(t, dataDir)
	if got := queryInt(t, s2.URL(), "SELECT 1"); got != 1 {
		t.Fatalf("SELECT 1 = %d", got)
	}
}

func TestStartFailureShowsServerLog(t *testing.T) {
	dataDir := filepath.Join(baseDir(t), "pgdata")
	s := startServer(t, dataDir)
	ctx := context.Background()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// Break the configuration so the server refuses to start.
	conf := filepath.Join(dataDir, "postgresql.auto.conf")
	if err := os.WriteFile(conf, []byte("shared_buffers = 'lots'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.Start(ctx)
	if err == nil {
		t.Fatal("Start succeeded with a broken configuration")
	}
	if !strings.Contains(err.Error(), "shared_buffers") || !strings.Contains(err.Error(), "server.log") {
		t.Fatalf("error does not show the server log: %v", err)
	}
}

func TestStartRejectsForeignDirectory(t *testing.T) {
	dataDir := filepath.Join(baseDir(t), "pgdata")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := devpg.Start(context.Background(), devpg.Options{DataDir: dataDir, Logger: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Start on a foreign directory: %v", err)
	}
}

func TestMissingBinaries(t *testing.T) {
	_, err := devpg.Start(context.Background(), devpg.Options{DataDir: t.TempDir(), BinDir: t.TempDir()})
	if !errors.Is(err, devpg.ErrBinariesNotFound) {
		t.Fatalf("err = %v, want ErrBinariesNotFound", err)
	}
	for _, want := range []string{"initdb", "install PostgreSQL 15", "-database-url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	t.Setenv("PATH", t.TempDir())
	_, err = devpg.Start(context.Background(), devpg.Options{DataDir: t.TempDir()})
	if !errors.Is(err, devpg.ErrBinariesNotFound) || !strings.Contains(err.Error(), "PATH") {
		t.Fatalf("err = %v, want ErrBinariesNotFound naming the PATH", err)
	}
}
