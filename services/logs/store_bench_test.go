package logs

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/migrations"
	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

// BenchmarkWriteBatch compares ways of writing one batch of 500 new records
// with ON CONFLICT (id) DO NOTHING: the unnest statement the service uses,
// a multi-row VALUES statement, and COPY into a temporary table followed by
// INSERT … SELECT. Each reports records/s.
func BenchmarkWriteBatch(b *testing.B) {
	const size = 500
	for _, w := range []struct {
		name  string
		write func(ctx context.Context, pool *pgxpool.Pool, rows []row) error
	}{
		{"unnest", func(ctx context.Context, pool *pgxpool.Pool, rows []row) error {
			_, err := (&pgStore{pool: pool}).insert(ctx, rows)
			return err
		}},
		{"values", insertValues},
		{"copy", insertCopy},
	} {
		b.Run(w.name, func(b *testing.B) {
			pool := pgtest.NewPool(b)
			sub, err := fs.Sub(migrations.FS, Schema)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if err := pgstore.Migrate(ctx, pool, Schema, sub); err != nil {
				b.Fatal(err)
			}
			n := 0
			for b.Loop() {
				b.StopTimer()
				rows := make([]row, size)
				for i := range rows {
					r := benchRecord(fmt.Sprintf("exe_%s_%09d", w.name, n))
					n++
					if rows[i], err = newRow(r); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if err := w.write(ctx, pool, rows); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func benchRecord(id string) api.Record {
	return api.Record{ID: id, Kind: api.KindRuntime, Env: "production", WorkflowID: "wf_tokens",
		DeploymentID: "dep_0123456789abcdef", Time: time.Now().UTC(), Trigger: "user:tokens_generation",
		DurationMs: 0.42, Outcome: api.OutcomeOK,
		Summary: &api.DecisionSummary{AccessTokenClaims: []string{"roles", "org"}, FailurePolicy: "stop"},
		Console: []api.ConsoleLine{{Level: "info", Text: "added roles claim for user kp_1234"}}}
}

// insertValues writes rows with one multi-row VALUES statement.
func insertValues(ctx context.Context, pool *pgxpool.Pool, rows []row) error {
	var sql strings.Builder
	sql.WriteString(`INSERT INTO logs.records (id, kind, env, workflow_id, deployment_id, trigger, time, outcome, level, duration_ms, record) VALUES `)
	args := make([]any, 0, 11*len(rows))
	for i, r := range rows {
		if i > 0 {
			sql.WriteByte(',')
		}
		p := len(args)
		fmt.Fprintf(&sql, "($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", p+1, p+2, p+3, p+4, p+5, p+6, p+7, p+8, p+9, p+10, p+11)
		args = append(args, r.rec.ID, string(r.rec.Kind), r.rec.Env, r.rec.WorkflowID, r.rec.DeploymentID, r.rec.Trigger,
			r.rec.Time, string(r.rec.Outcome), r.rec.Level, r.rec.DurationMs, string(r.json))
	}
	sql.WriteString(` ON CONFLICT (id) DO NOTHING`)
	_, err := pool.Exec(ctx, sql.String(), args...)
	return err
}

// insertCopy copies rows into a temporary table, then inserts them.
func insertCopy(ctx context.Context, pool *pgxpool.Pool, rows []row) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS records_in
			(LIKE logs.records INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"records_in"},
			[]string{"id", "kind", "env", "workflow_id", "deployment_id", "trigger", "time", "outcome", "level", "duration_ms", "record"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
				r := rows[i]
				return []any{r.rec.ID, string(r.rec.Kind), r.rec.Env, r.rec.WorkflowID, r.rec.DeploymentID, r.rec.Trigger,
					r.rec.Time, string(r.rec.Outcome), r.rec.Level, r.rec.DurationMs, string(r.json)}, nil
			}))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO logs.records SELECT * FROM records_in ON CONFLICT (id) DO NOTHING`)
		return err
	})
}
