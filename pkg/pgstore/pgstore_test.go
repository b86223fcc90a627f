package pgstore_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func sqlFile(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }

var base = fstest.MapFS{
	"00001_init.sql": sqlFile(`-- +goose Up
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO items VALUES (1, 'first');
-- +goose Down
DROP TABLE items;
`),
	"00002_more.sql": sqlFile(`-- +goose Up
ALTER TABLE items ADD COLUMN note text NOT NULL DEFAULT '';
-- +goose Down
ALTER TABLE items DROP COLUMN note;
`),
}

func with(fsys fstest.MapFS, name, body string) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range fsys {
		out[k] = v
	}
	out[name] = sqlFile(body)
	return out
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got := count(t, pool, "SELECT 1"); got != 1 {
		t.Fatalf("SELECT 1 = %d", got)
	}
}

func TestOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = pgstore.Open(ctx, fmt.Sprintf("postgres://app:s3cret-value@127.0.0.1:%d/db?sslmode=disable", port))
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	if !strings.Contains(err.Error(), "connect to PostgreSQL at 127.0.0.1") {
		t.Errorf("error does not say what failed: %v", err)
	}
	if strings.Contains(err.Error(), "s3cret-value") {
		t.Errorf("error reveals the password: %v", err)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	for i := range 2 {
		if err := pgstore.Migrate(ctx, pool, "svc", base); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	if got := count(t, pool, "SELECT count(*) FROM svc.items"); got != 1 {
		t.Fatalf("svc.items has %d rows, want 1 (the insert ran twice?)", got)
	}
	if got := count(t, pool, "SELECT max(version_id) FROM svc.goose_db_version"); got != 2 {
		t.Fatalf("svc version = %d, want 2", got)
	}
	// Unqualified names landed in the schema, not in public.
	if got := count(t, pool, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"); got != 0 {
		t.Fatalf("public has %d tables", got)
	}
}

func TestMigrateSchemasAreIndependent(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	if err := pgstore.Migrate(ctx, pool, "alpha", base); err != nil {
		t.Fatal(err)
	}
	third := with(base, "00003_extra.sql", "-- +goose Up\nCREATE TABLE extra (n int);\n")
	if err := pgstore.Migrate(ctx, pool, "beta", third); err != nil {
		t.Fatal(err)
	}
	if got := count(t, pool, "SELECT max(version_id) FROM alpha.goose_db_version"); got != 2 {
		t.Fatalf("alpha version = %d, want 2", got)
	}
	if got := count(t, pool, "SELECT max(version_id) FROM beta.goose_db_version"); got != 3 {
		t.Fatalf("beta version = %d, want 3", got)
	}
	if got := count(t, pool, "SELECT count(*) FROM pg_tables WHERE tablename = 'extra'"); got != 1 {
		t.Fatalf("%d tables named extra, want 1 (in beta)", got)
	}
	// Later migrations apply on top of what a schema has.
	if err := pgstore.Migrate(ctx, pool, "alpha", third); err != nil {
		t.Fatal(err)
	}
	if got := count(t, pool, "SELECT count(*) FROM alpha.extra"); got != 0 {
		t.Fatalf("alpha.extra has %d rows", got)
	}
}

func TestMigrateBrokenMigrationNamesFile(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	broken := with(base, "00003_broken.sql", "-- +goose Up\nCREATE TABLE oops (n no_such_type);\n")
	err := pgstore.Migrate(ctx, pool, "svc", broken)
	if err == nil {
		t.Fatal("Migrate succeeded with a broken migration")
	}
	for _, want := range []string{"00003_broken.sql", "no_such_type", "svc"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// The migrations before it stay applied.
	if got := count(t, pool, "SELECT max(version_id) FROM svc.goose_db_version"); got != 2 {
		t.Fatalf("svc version = %d, want 2", got)
	}

	noUp := with(base, "00003_no_annotation.sql", "CREATE TABLE x (n int);\n")
	err = pgstore.Migrate(ctx, pool, "svc2", noUp)
	if err == nil || !strings.Contains(err.Error(), "00003_no_annotation.sql") {
		t.Fatalf("migration without -- +goose Up: %v", err)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	// The insert in 00001 makes a double application visible.
	slow := with(base, "00003_slow.sql", "-- +goose Up\nSELECT pg_sleep(0.2);\nCREATE TABLE slow (n int);\n")
	const processes = 4
	var wg sync.WaitGroup
	errs := make(chan error, processes)
	for range processes {
		pool, err := pgstore.Open(ctx, url) // one pool per simulated process
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		wg.Go(func() { errs <- pgstore.Migrate(ctx, pool, "svc", slow) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
	check, err := pgstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	if got := count(t, check, "SELECT count(*) FROM svc.items"); got != 1 {
		t.Fatalf("svc.items has %d rows, want 1", got)
	}
	if got := count(t, check, "SELECT count(*) FROM svc.goose_db_version WHERE version_id > 0"); got != 3 {
		t.Fatalf("%d versions recorded, want 3", got)
	}
}

func TestMigrateHonoursContext(t *testing.T) {
	pool := pgtest.NewPool(t)
	slow := fstest.MapFS{"00001_slow.sql": sqlFile("-- +goose Up\nSELECT pg_sleep(30);\n")}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	if err := pgstore.Migrate(ctx, pool, "svc", slow); err == nil {
		t.Fatal("Migrate succeeded past its deadline")
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Fatalf("Migrate took %v after its deadline", d)
	}
	// The lock was released: a second run can proceed.
	if err := pgstore.Migrate(context.Background(), pool, "svc", base); err != nil {
		t.Fatalf("Migrate after a cancelled run: %v", err)
	}
}

func TestMigrateRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	for _, schema := range []string{"", "Bad", "a-b", "pg_mine", `x"; DROP`} {
		if err := pgstore.Migrate(ctx, pool, schema, base); err == nil {
			t.Errorf("schema %q accepted", schema)
		}
	}
	if err := pgstore.Migrate(ctx, pool, "svc", fstest.MapFS{}); err == nil || !strings.Contains(err.Error(), "no NNNNN_name.sql migrations") {
		t.Errorf("empty file system: %v", err)
	}
}

func TestOpenSchemaResolvesUnqualifiedNames(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	admin, err := pgstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := pgstore.Migrate(ctx, admin, "svc", base); err != nil {
		t.Fatal(err)
	}
	pool, err := pgstore.OpenSchema(ctx, url, "svc")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var name string
	if err := pool.QueryRow(ctx, "SELECT name FROM items WHERE id = 1").Scan(&name); err != nil || name != "first" {
		t.Fatalf("unqualified query: %q, %v", name, err)
	}
}
