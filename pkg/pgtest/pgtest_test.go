package pgtest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestNewDatabaseIsFreshAndDropped(t *testing.T) {
	ctx := context.Background()
	var url string
	t.Run("inner", func(t *testing.T) {
		url = pgtest.NewDatabase(t)
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		var tables int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Fatalf("new database has %d tables", tables)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE x (n int)"); err != nil {
			t.Fatal(err)
		}
		// Left open on purpose: the drop must force it out.
	})
	if _, err := pgx.Connect(ctx, url); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("database still reachable after the test ended: %v", err)
	}
}

func TestDatabasesAreIsolated(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.NewPool(t), pgtest.NewPool(t)
	if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (n int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, "SELECT * FROM only_in_a"); err == nil {
		t.Fatal("table created in one database is visible in another")
	}
}

func TestParallelDatabases(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	for i := range 6 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			pool := pgtest.NewPool(t)
			var name string
			if err := pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[name] {
				t.Errorf("database %s handed out twice", name)
			}
			seen[name] = true
		})
	}
}

func TestSharedServerRestart(t *testing.T) {
	pool := pgtest.NewPool(t)
	s := pgtest.Server(t)
	ctx := context.Background()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pool.Ping(ctx); err == nil {
		t.Fatal("ping succeeded while PostgreSQL is stopped")
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// The pool reconnects on its own once the server is back.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := pool.Ping(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pool did not recover after restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestNewServerIsPrivate(t *testing.T) {
	var dir string
	t.Cleanup(func() {
		// Registered first, so it runs after the server's own cleanup: the
		// cluster directory must be gone by then.
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("cluster directory %s still exists: %v", dir, err)
		}
	})
	s := pgtest.NewServer(t)
	dir = filepath.Dir(s.DataDir())
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkNewDatabase(b *testing.B) {
	for b.Loop() {
		pgtest.NewDatabase(b)
	}
}

func BenchmarkNewServer(b *testing.B) {
	for b.Loop() {
		pgtest.NewServer(b)
	}
}

// TestClusterGoneWhenBinaryDies runs this test binary again with a test that
// panics while it holds a cluster, and checks the cluster disappears.
func TestClusterGoneWhenBinaryDies(t *testing.T) {
	if os.Getenv("PGTEST_PANIC_CHILD") == "1" {
		s := pgtest.Server(t)
		fmt.Println("DATADIR=" + s.DataDir())
		panic("test panics while PostgreSQL runs")
	}
	if testing.Short() {
		t.Skip("starts a second cluster")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterGoneWhenBinaryDies$", "-test.v")
	cmd.Env = append(os.Environ(), "PGTEST_PANIC_CHILD=1")
	out, _ := cmd.CombinedOutput()
	_, after, ok := strings.Cut(string(out), "DATADIR=")
	if !ok {
		t.Fatalf("child did not start a cluster:\n%s", out)
	}
	dataDir, _, _ := strings.Cut(after, "\n")
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := os.Stat(filepath.Dir(dataDir))
		if os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster %s still there 15s after its test binary died", dataDir)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
