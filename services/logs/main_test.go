package logs_test

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/migrations"
	"github.com/gatehouse-id/gatehouse/pkg/natstest"
	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/pkg/testlog"
	"github.com/gatehouse-id/gatehouse/services/logs"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// waitFor bounds every poll of the tests.
const waitFor = 30 * time.Second

// harness is one NATS server with JetStream and one migrated database.
type harness struct {
	t    testing.TB
	nc   *nats.Conn
	js   jetstream.JetStream
	pool *pgxpool.Pool
	reg  *prometheus.Registry
	log  *slog.Logger
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	ns := natstest.Start(t)
	nc := natstest.Connect(t, ns)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	pool := pgtest.NewPool(t)
	migrate(t, pool)
	return &harness{t: t, nc: nc, js: js, pool: pool, reg: prometheus.NewRegistry(), log: testLogger(t)}
}

func migrate(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	sub, err := fs.Sub(migrations.FS, logs.Schema)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := pgstore.Migrate(ctx, pool, logs.Schema, sub); err != nil {
		t.Fatal(err)
	}
}

// start starts the service with cfg, completed with the harness's logger
// and registry; it is stopped when the test ends.
func (h *harness) start(cfg logs.Config) *logs.Service {
	h.t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = h.log
	}
	if cfg.Registerer == nil {
		cfg.Registerer = h.reg
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := logs.Start(ctx, h.nc, h.pool, cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { stop(h.t, s) })
	return s
}

func stop(t testing.TB, s *logs.Service) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Errorf("stop logs service: %v", err)
	}
}

// publisher returns a publisher closed (and flushed) when the test ends.
func (h *harness) publisher() *api.Publisher {
	h.t.Helper()
	p, err := api.NewPublisher(h.nc, api.PublisherConfig{Source: "test", Logger: h.log})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { closePublisher(h.t, p) })
	return p
}

func closePublisher(t testing.TB, p *api.Publisher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Errorf("close publisher: %v", err)
	}
}

func mustPublish(t testing.TB, p *api.Publisher, recs ...api.Record) {
	t.Helper()
	for _, r := range recs {
		if !p.Publish(r) {
			t.Fatalf("publish %s: dropped", r.ID)
		}
	}
}

// count returns the number of stored records, and of distinct ids among them.
func count(t testing.TB, pool *pgxpool.Pool) (rows, ids int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT id) FROM logs.records`).Scan(&rows, &ids); err != nil {
		t.Fatal(err)
	}
	return rows, ids
}

// waitStored waits until n records are stored and checks none is twice.
func waitStored(t testing.TB, pool *pgxpool.Pool, n int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		rows, ids := count(t, pool)
		if rows != ids {
			t.Fatalf("%d rows for %d distinct ids", rows, ids)
		}
		if rows == n {
			return
		}
		if rows > n || time.Now().After(deadline) {
			t.Fatalf("stored %d records, want %d", rows, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storedIDs returns every stored id and how often it is there.
func storedIDs(t testing.TB, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id FROM logs.records`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitDrained waits until the consumer has no message left to deliver or
// to be acknowledged.
func (h *harness) waitDrained() *jetstream.ConsumerInfo {
	h.t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		cons, err := h.js.Consumer(ctx, api.Stream, "gatehouse-logs-writer")
		var info *jetstream.ConsumerInfo
		if err == nil {
			info, err = cons.Info(ctx)
		}
		cancel()
		if err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
			return info
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("consumer not drained: %+v, %v", info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func counter(t testing.TB, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.Metric {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				total += m.Counter.GetValue()
			case m.Gauge != nil:
				total += m.Gauge.GetValue()
			case m.Histogram != nil:
				total += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return total
}

// runtimeRecord is a runtime record in env at t.
func runtimeRecord(id, env string, t time.Time) api.Record {
	return api.Record{ID: id, Kind: api.KindRuntime, Env: env, WorkflowID: "wf_a", DeploymentID: "dep_a",
		Time: t.UTC().Truncate(time.Microsecond), Trigger: "user:tokens_generation", DurationMs: 1.25,
		Outcome: api.OutcomeOK, Summary: &api.DecisionSummary{AccessTokenClaims: []string{"roles"}},
		Console: []api.ConsoleLine{{Level: "info", Text: "hello " + id}}}
}

// testLogger writes warnings to the test log until the test cleans up.
func testLogger(t testing.TB) *slog.Logger { return testlog.New(t, slog.LevelWarn) }

func id(prefix string, i int) string { return fmt.Sprintf("%s_%05d", prefix, i) }
