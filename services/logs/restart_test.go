package logs_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/logs"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

// TestSurvivesPostgresRestart stops PostgreSQL for two seconds while records
// flow: every record is stored once it is back, none twice.
func TestSurvivesPostgresRestart(t *testing.T) {
	pg := pgtest.NewServer(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	migrate(t, pool)
	h := newHarness(t)
	h.pool = pool
	h.start(logs.Config{})
	p := h.publisher()

	const n = 2000
	published := make(chan int, n)
	go func() {
		defer close(published)
		for i := range n {
			if !p.Publish(runtimeRecord(id("exe_restart", i), "dev", time.Now())) {
				t.Errorf("record %d dropped by the publisher", i)
				return
			}
			published <- i
			if i%20 == 19 {
				time.Sleep(30 * time.Millisecond) // about 2,000 records in 3s
			}
		}
	}()
	for i := range published {
		if i == 400 {
			break
		}
	}
	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := query(t, h, api.QueryRequest{Env: "dev", Kind: api.KindRuntime}); err == nil {
		t.Error("query succeeded while PostgreSQL was stopped")
	}
	time.Sleep(2 * time.Second)
	if got := counter(t, h.reg, "gatehouse_logs_consumer_pending"); got == 0 {
		t.Error("consumer_pending is 0 while PostgreSQL is stopped and records flow")
	}
	if err := pg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for range published {
	}
	waitStored(t, pool, n)
	h.waitDrained()
	if got := counter(t, h.reg, "gatehouse_logs_consumer_pending"); got != 0 {
		t.Errorf("consumer_pending = %v once every record is stored", got)
	}
	if got := counter(t, h.reg, "gatehouse_logs_write_errors_total"); got == 0 {
		t.Error("no write error counted: PostgreSQL was stopped while records flowed")
	}
	if got := counter(t, h.reg, "gatehouse_logs_ingested_total", "kind", "runtime"); got != n {
		t.Errorf("ingested = %v, want %d", got, n)
	}
	if _, err := query(t, h, api.QueryRequest{Env: "dev", Kind: api.KindRuntime}); err != nil {
		t.Errorf("query after the restart: %v", err)
	}
}
