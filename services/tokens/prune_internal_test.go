package tokens

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/migrations"
	"github.com/gatehouse-id/gatehouse/pkg/natstest"
	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
)

func TestPruningDeletesOnlyExpiredRecords(t *testing.T) {
	pool := pgtest.NewPool(t)
	ctx := t.Context()
	sub, err := fs.Sub(migrations.FS, Schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := pgstore.Migrate(ctx, pool, Schema, sub); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	st := &pgStore{pool: pool}
	record := func(jti string, exp time.Time, family *familyRow) {
		t.Helper()
		a := &accessRow{jti: jti, env: "production", clientID: "app", subject: "kp_1", issuedAt: exp.Add(-time.Hour), expiresAt: exp}
		var r *refreshRow
		if family != nil {
			a.familyID = family.id
			r = &refreshRow{hash: []byte(jti), familyID: family.id, env: "production", issuedAt: a.issuedAt, expiresAt: family.expiresAt}
		}
		if err := st.recordIssue(ctx, a, family, r); err != nil {
			t.Fatal(err)
		}
	}
	fam := func(id string, exp time.Time) *familyRow {
		return &familyRow{id: id, env: "production", clientID: "app", subject: "kp_1", createdAt: exp.Add(-time.Hour), expiresAt: exp}
	}
	record("at_old", now.Add(-2*time.Hour), nil)
	record("at_live", now.Add(time.Hour), nil)
	record("at_old_family", now.Add(-2*time.Hour), fam("rtf_old", now.Add(-time.Hour)))
	record("at_live_family", now.Add(-2*time.Hour), fam("rtf_live", now.Add(time.Hour)))

	// The service's own loop does the pruning.
	svc, err := Start(ctx, natstest.Connect(t, natstest.Start(t)), pool, Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Issuer: func(string) string { return "https://x" },
		PruneInterval: 20 * time.Millisecond, Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = svc.Stop(context.Background()) }()
	left := func(q string) []string {
		rows, err := pool.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		access := left(`SELECT jti FROM tokens.access_tokens ORDER BY jti`)
		families := left(`SELECT id FROM tokens.refresh_families ORDER BY id`)
		refresh := left(`SELECT family_id FROM tokens.refresh_tokens ORDER BY family_id`)
		if len(access) == 1 && len(families) == 1 && len(refresh) == 1 {
			if access[0] != "at_live" || families[0] != "rtf_live" || refresh[0] != "rtf_live" {
				t.Fatalf("kept %v %v %v, want only the unexpired records", access, families, refresh)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not pruned: access %v, families %v, refresh tokens %v", access, families, refresh)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := svc.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
