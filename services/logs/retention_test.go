package logs_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/logs"
)

func TestRetentionDeletesOnlyOldRecords(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// A backlog larger than one delete batch, 40 days old.
	const old = 12_000
	if _, err := h.pool.Exec(ctx, `INSERT INTO logs.records (id, kind, env, time, record)
		SELECT 'exe_old_' || i, 'runtime', 'dev', now() - interval '40 days' - i * interval '1 second', '{}'
		FROM generate_series(1, $1) AS i`, old); err != nil {
		t.Fatal(err)
	}
	h.start(logs.Config{Retention: 30 * 24 * time.Hour, RetentionInterval: 50 * time.Millisecond})
	p := h.publisher()
	now := time.Now()
	mustPublish(t, p,
		runtimeRecord("exe_recent", "dev", now),
		runtimeRecord("exe_29_days", "dev", now.Add(-29*24*time.Hour)),
		runtimeRecord("exe_31_days", "dev", now.Add(-31*24*time.Hour)), // deleted at the next run
	)
	deadline := time.Now().Add(waitFor)
	for {
		ids := storedIDs(t, h.pool)
		if len(ids) == 2 && ids["exe_recent"] == 1 && ids["exe_29_days"] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records left, want exe_recent and exe_29_days", len(ids))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := counter(t, h.reg, "gatehouse_logs_retention_deleted_total"); got != old+1 {
		t.Errorf("retention deleted = %v, want %d", got, old+1)
	}
}
