package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/services/logs/api"
)

// Schema is the PostgreSQL schema the logs service owns.
const Schema = "logs"

type pgStore struct{ pool *pgxpool.Pool }

// row is one record ready to be written.
type row struct {
	rec  api.Record
	json []byte // rec, encoded
}

func newRow(r api.Record) (row, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return row{}, fmt.Errorf("encode record %s: %w", r.ID, err)
	}
	return row{rec: r, json: data}, nil
}

// insertSQL writes a batch in one statement, whatever its size (so it is
// prepared once per connection), skipping ids already stored, and reports
// how many records of each kind it stored.
const insertSQL = `WITH ins AS (
	INSERT INTO logs.records (id, kind, env, workflow_id, deployment_id, trigger, time, outcome, level, duration_ms, record)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
		$7::timestamptz[], $8::text[], $9::text[], $10::float8[], $11::jsonb[])
	ON CONFLICT (id) DO NOTHING
	RETURNING kind)
SELECT kind, count(*) FROM ins GROUP BY kind`

// insert stores rows (ids unique within the batch) in one transaction and
// returns how many of each kind were new.
func (s *pgStore) insert(ctx context.Context, rows []row) (map[api.Kind]int, error) {
	n := len(rows)
	var (
		ids, kinds, envs, workflows, deployments = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		triggers, outcomes, levels, records      = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		times                                    = make([]time.Time, n)
		durations                                = make([]float64, n)
	)
	for i, r := range rows {
		ids[i], kinds[i], envs[i] = r.rec.ID, string(r.rec.Kind), r.rec.Env
		workflows[i], deployments[i], triggers[i] = r.rec.WorkflowID, r.rec.DeploymentID, r.rec.Trigger
		times[i], outcomes[i], levels[i] = r.rec.Time, string(r.rec.Outcome), r.rec.Level
		durations[i], records[i] = r.rec.DurationMs, string(r.json)
	}
	res, err := s.pool.Query(ctx, insertSQL, ids, kinds, envs, workflows, deployments, triggers,
		times, outcomes, levels, durations, records)
	if err != nil {
		return nil, fmt.Errorf("insert %d log records: %w", n, err)
	}
	stored := map[api.Kind]int{}
	var kind string
	var count int
	_, err = pgx.ForEachRow(res, []any{&kind, &count}, func() error {
		stored[api.Kind(kind)] = count
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insert %d log records: %w", n, err)
	}
	return stored, nil
}

// isDataError reports whether PostgreSQL refused the data itself (a value
// it cannot hold, a limit), as opposed to being unreachable or failing: the
// same rows would fail again.
func isDataError(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code[:2] {
	case "22", "23", "54": // data exception, integrity constraint violation, program limit exceeded
		return true
	}
	return false
}

// queryRecords returns up to limit records matching q after the cursor c
// (nil: from the start), with the position of each.
func (s *pgStore) queryRecords(ctx context.Context, q api.QueryRequest, c *cursor, limit int) ([]api.Record, []cursor, error) {
	var where strings.Builder
	args := []any{q.Env, string(q.Kind)}
	where.WriteString("env = $1 AND kind = $2")
	add := func(cond string, v any) {
		args = append(args, v)
		where.WriteString(" AND " + strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if q.WorkflowID != "" {
		add("workflow_id = ?", q.WorkflowID)
	}
	if q.DeploymentID != "" {
		add("deployment_id = ?", q.DeploymentID)
	}
	if q.ExecutionID != "" {
		add("id = ?", q.ExecutionID)
	}
	if q.Outcome != "" {
		add("outcome = ?", string(q.Outcome))
	}
	if !q.Since.IsZero() {
		add("time >= ?", q.Since)
	}
	if !q.Until.IsZero() {
		add("time < ?", q.Until)
	}
	order, cmp := "DESC", "<"
	if q.Ascending {
		order, cmp = "ASC", ">"
	}
	if c != nil {
		args = append(args, c.time(), c.ID)
		fmt.Fprintf(&where, " AND (time, id) %s ($%d, $%d)", cmp, len(args)-1, len(args))
	}
	args = append(args, limit)
	sql := fmt.Sprintf(`SELECT id, time, record FROM logs.records WHERE %s ORDER BY time %s, id %s LIMIT $%d`,
		where.String(), order, order, len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("query log records: %w", err)
	}
	records := []api.Record{}
	var positions []cursor
	var id string
	var at time.Time
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &at, &raw}, func() error {
		var r api.Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("decode stored record %s: %w", id, err)
		}
		records = append(records, r)
		positions = append(positions, newCursor(at, id, q.Ascending))
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("query log records: %w", err)
	}
	return records, positions, nil
}

// deleteOlder deletes up to limit records whose time is before cutoff and
// returns how many it deleted.
func (s *pgStore) deleteOlder(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	// By physical row id: an index scan on time picks the rows, a TID scan
	// deletes them (records are never updated, so the ids are stable).
	tag, err := s.pool.Exec(ctx, `DELETE FROM logs.records WHERE ctid = ANY(ARRAY(
		SELECT ctid FROM logs.records WHERE time < $1 LIMIT $2))`, cutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("delete log records older than %s: %w", cutoff.Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}
