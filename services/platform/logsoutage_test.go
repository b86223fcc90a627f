package platform

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/natstest"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// TestLogsOutageLosesNothing stops the logs service, runs 1,000 executions,
// starts it again, and finds every runtime log stored exactly once: the
// stream kept them meanwhile.
func TestLogsOutageLosesNothing(t *testing.T) {
	wasm := wasmbuild.ForTest(t, "../../wasm-sdk/examples/tokensbench")
	srv := natstest.Start(t)
	db := pgtest.NewDatabase(t)
	core := startTarget(t, "deployments,keys,worker", srv.ClientURL(), db)
	logs := startTarget(t, "logs", srv.ClientURL(), db)
	upload(t, core, wasm)
	client, err := wapi.NewClient(natstest.Connect(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	eventually(t, client, "", "the workflow live", func(d wapi.Decision) bool { return d.Ran })

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := logs.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 1000
	var wg sync.WaitGroup
	var ran atomic.Int32
	ids := make(chan string, n)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				d, err := client.Fire(context.Background(), env, abi.TriggerTokensGeneration, tokensEvent, "")
				if err != nil || !d.Ran || d.Error != nil {
					t.Errorf("execution %d: %+v %v", i, d, err)
					return
				}
				ran.Add(1)
				ids <- d.ExecutionID
			}
		}()
	}
	wg.Wait()
	close(ids)
	if ran.Load() != n {
		t.Fatalf("%d of %d executions ran", ran.Load(), n)
	}
	want := map[string]bool{}
	for id := range ids {
		want[id] = true
	}

	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	count := func() (rows, distinct int) {
		t.Helper()
		// Before the logs service first migrated, the table may not exist.
		err := conn.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT id) FROM logs.records WHERE kind = 'runtime'`).Scan(&rows, &distinct)
		if err != nil {
			t.Fatal(err)
		}
		return rows, distinct
	}
	before, _ := count() // the warm-up executions, stored before the outage

	startTarget(t, "logs", srv.ClientURL(), db)
	deadline := time.Now().Add(60 * time.Second)
	for {
		rows, distinct := count()
		if rows == before+n && distinct == rows {
			break
		}
		if rows > before+n || distinct != rows {
			t.Fatalf("stored %d rows, %d distinct, want %d (+%d before the outage)", rows, distinct, n, before)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart only %d of %d runtime logs were stored", rows-before, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Every execution is there, by its id.
	rs, err := conn.Query(context.Background(), `SELECT id FROM logs.records WHERE kind = 'runtime'`)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := pgx.CollectRows(rs, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range stored {
		delete(want, id)
	}
	if len(want) != 0 {
		t.Fatalf("%d executions have no runtime log", len(want))
	}
	// A little later, still exactly once (no late redeliveries).
	time.Sleep(500 * time.Millisecond)
	if rows, distinct := count(); rows != before+n || distinct != rows {
		t.Fatalf("later: %d rows, %d distinct", rows, distinct)
	}
}
