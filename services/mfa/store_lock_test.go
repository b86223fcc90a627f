package mfa

import (
	"context"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/migrations"
	"github.com/gatehouse-id/gatehouse/pkg/pgstore"
	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// TestVerificationsOfOneUserNeverOverlap: the checks of one user's codes
// run one at a time, even through challenges of different factors and
// before the user has a failure count (no row to lock yet), so the
// consecutive-failure limit holds however many replicas and connections
// race. Another user's check runs alongside, which shows the test would
// see an overlap.
func TestVerificationsOfOneUserNeverOverlap(t *testing.T) {
	pool := pgtest.NewPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub, err := fs.Sub(migrations.FS, Schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := pgstore.Migrate(ctx, pool, Schema, sub); err != nil {
		t.Fatal(err)
	}
	store := &pgStore{pool: pool}
	now := time.Now()
	expires := now.Add(api.ChallengeTTL)
	type target struct{ user, challenge string }
	var targets []target
	for i, user := range []string{"u_one", "u_one", "u_one", "u_other"} {
		f := &factorRow{id: "auth_factor_" + string(rune('a'+i)), env: "production", userID: user, typ: api.FactorSMS,
			phone: "+15551234567", createdAt: now, updatedAt: now}
		if err := store.insertFactor(ctx, f); err != nil {
			t.Fatal(err)
		}
		c := &challengeRow{id: "auth_challenge_" + string(rune('a'+i)), env: "production", userID: user, factorID: f.id,
			typ: api.FactorSMS, codeHash: []byte("hash"), createdAt: now, expiresAt: &expires}
		if err := store.insertChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, target{user, c.id})
	}

	var mu sync.Mutex
	active := map[string]int{}
	most := map[string]int{}
	all, mostAll := 0, 0
	check := func(user string) checkFunc {
		return func(*challengeRow, *factorRow) (bool, *int64) {
			mu.Lock()
			active[user]++
			all++
			most[user] = max(most[user], active[user])
			mostAll = max(mostAll, all)
			mu.Unlock()
			time.Sleep(150 * time.Millisecond)
			mu.Lock()
			active[user]--
			all--
			mu.Unlock()
			return false, nil
		}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, len(targets))
	for i, tg := range targets {
		wg.Go(func() {
			<-start
			_, errs[i] = store.verify(ctx, "production", tg.user, tg.challenge, now, check(tg.user))
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if most["u_one"] != 1 {
		t.Fatalf("%d checks of one user's codes ran at once; they must run one at a time", most["u_one"])
	}
	if mostAll < 2 {
		t.Fatalf("no two checks ever overlapped: the test cannot see an overlap")
	}
	var failures int
	if err := pool.QueryRow(ctx, `SELECT failures FROM mfa.user_failures WHERE env = 'production' AND user_id = 'u_one'`).Scan(&failures); err != nil {
		t.Fatal(err)
	}
	if failures != 3 {
		t.Fatalf("%d failures counted, want 3", failures)
	}
}
