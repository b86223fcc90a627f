package authstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const env = "production"

// setup returns a store on a fresh migrated database with a user.
func setup(t *testing.T) (*authstore.Store, *pgxpool.Pool, string) {
	t.Helper()
	pool := pgtest.NewPool(t)
	ctx := context.Background()
	if err := identity.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	ids, err := identity.NewStore(pool, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ids.EnsureDefaultEnvironment(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ids.EnsureEnvironment(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}
	u, err := ids.CreateUser(ctx, identity.NewUser{Env: env, Email: "ann@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return authstore.New(pool), pool, u.ID
}

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestSessions(t *testing.T) {
	st, pool, user := setup(t)
	ctx := context.Background()
	s, token, err := st.CreateSession(ctx, authstore.Session{Env: env, UserID: user, AuthTime: t0, AMR: []string{"pwd"}}, t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 43 || s.ID == "" || s.ID == token || !s.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("session %+v, token %q", s, token)
	}
	var stored []byte
	if err := pool.QueryRow(ctx, `SELECT token_hash FROM frontdoor.sessions WHERE id = $1`, s.ID).Scan(&stored); err != nil || len(stored) != 32 {
		t.Fatalf("stored hash %x %v", stored, err)
	}
	got, err := st.SessionByToken(ctx, env, token, t0.Add(time.Minute))
	if err != nil || got.ID != s.ID || got.UserID != user || got.AMR[0] != "pwd" || !got.AuthTime.Equal(t0) {
		t.Fatalf("lookup %+v %v", got, err)
	}
	for name, lookup := range map[string]func() error{
		"expired":           func() error { _, err := st.SessionByToken(ctx, env, token, t0.Add(time.Hour)); return err },
		"other environment": func() error { _, err := st.SessionByToken(ctx, "staging", token, t0); return err },
		"wrong token":       func() error { _, err := st.SessionByToken(ctx, env, otherLast(token), t0); return err },
		"empty token":       func() error { _, err := st.SessionByToken(ctx, env, "", t0); return err },
	} {
		if err := lookup(); !errors.Is(err, authstore.ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if ok, err := st.DeleteSession(ctx, env, token); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if _, err := st.SessionByToken(ctx, env, token, t0); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

func newCode(t *testing.T, st *authstore.Store, user string) (*authstore.Code, string) {
	t.Helper()
	c, code, err := st.CreateCode(context.Background(), authstore.Code{Env: env, ClientID: "c1", RedirectURI: "https://a/cb",
		CodeChallenge: "ch", Nonce: "n", Scope: []string{"openid"}, UserID: user, SessionID: "ses_1", AuthTime: t0,
		AMR: []string{"pwd"}}, t0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return c, code
}

func TestCodesAreSingleUse(t *testing.T) {
	st, _, user := setup(t)
	ctx := context.Background()
	c, code := newCode(t, st, user)
	if c.GrantID == "" || len(code) != 43 {
		t.Fatalf("code %+v %q", c, code)
	}
	if _, err := st.RedeemCode(ctx, "staging", code, t0); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("other environment: %v", err)
	}
	got, err := st.RedeemCode(ctx, env, code, t0.Add(30*time.Second))
	if err != nil || got.GrantID != c.GrantID || got.Nonce != "n" || got.RedirectURI != "https://a/cb" {
		t.Fatalf("redeem %+v %v", got, err)
	}
	if replayed, err := st.CodeReplayed(ctx, c.GrantID); replayed || err != nil {
		t.Fatalf("replayed before any replay: %v %v", replayed, err)
	}
	got, err = st.RedeemCode(ctx, env, code, t0.Add(40*time.Second))
	if !errors.Is(err, authstore.ErrCodeReused) || got == nil || got.GrantID != c.GrantID {
		t.Fatalf("second redemption: %+v %v", got, err)
	}
	if replayed, err := st.CodeReplayed(ctx, c.GrantID); !replayed || err != nil {
		t.Fatalf("replay not recorded: %v %v", replayed, err)
	}
	_, expired := newCode(t, st, user)
	if got, err := st.RedeemCode(ctx, env, expired, t0.Add(time.Minute)); !errors.Is(err, authstore.ErrCodeExpired) || got == nil {
		t.Fatalf("expired: %v", err)
	}
	if _, err := st.RedeemCode(ctx, env, expired, t0); !errors.Is(err, authstore.ErrCodeReused) {
		t.Fatalf("an expired code was not consumed: %v", err)
	}
}

func TestConcurrentRedemptionsOneWins(t *testing.T) {
	st, _, user := setup(t)
	_, code := newCode(t, st, user)
	var wg sync.WaitGroup
	results := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.RedeemCode(context.Background(), env, code, t0)
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, authstore.ErrCodeReused):
			t.Fatalf("redeem: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d redemptions succeeded", won)
	}
}

func TestAttempts(t *testing.T) {
	st, _, _ := setup(t)
	ctx := context.Background()
	account := authstore.Limit{Key: "account:production:ann@example.com", Max: 3, Window: 15 * time.Minute}
	ip := authstore.Limit{Key: "ip:192.0.2.1", Max: 5, Window: 15 * time.Minute}
	for i := range 3 {
		if _, ok, _, err := st.ReserveAttempts(ctx, t0.Add(time.Duration(i)*time.Minute), account, ip); !ok || err != nil {
			t.Fatalf("attempt %d: %v %v", i, ok, err)
		}
	}
	_, ok, retry, err := st.ReserveAttempts(ctx, t0.Add(5*time.Minute), account, ip)
	if ok || err != nil || retry != 10*time.Minute {
		t.Fatalf("4th attempt: allowed %v, retry after %v, %v", ok, retry, err)
	}
	// A refused attempt is not counted: the address has 3 attempts, not 4.
	other := authstore.Limit{Key: "account:production:bob@example.com", Max: 3, Window: 15 * time.Minute}
	r, ok, _, err := st.ReserveAttempts(ctx, t0.Add(5*time.Minute), other, ip)
	if !ok || err != nil {
		t.Fatalf("other account: %v %v", ok, err)
	}
	// A success gives its reservation back.
	if err := st.Release(ctx, r); err != nil {
		t.Fatal(err)
	}
	for i := 4; i <= 5; i++ {
		if _, ok, _, _ := st.ReserveAttempts(ctx, t0.Add(5*time.Minute), other, ip); !ok {
			t.Fatalf("address attempt %d of 5 refused after a release", i)
		}
	}
	if _, ok, _, _ := st.ReserveAttempts(ctx, t0.Add(5*time.Minute), ip); ok {
		t.Fatal("6th address attempt allowed")
	}
	// The window slides: the first attempt leaves it after 15 minutes.
	if _, ok, _, _ := st.ReserveAttempts(ctx, t0.Add(15*time.Minute+time.Second), account); !ok {
		t.Fatal("attempt after the first left the window refused")
	}
	if err := st.ClearAttempts(ctx, account.Key); err != nil {
		t.Fatal(err)
	}
	if _, ok, _, _ := st.ReserveAttempts(ctx, t0.Add(16*time.Minute), account); !ok {
		t.Fatal("attempt after clearing refused")
	}
}

func TestConcurrentAttemptsDoNotOvershoot(t *testing.T) {
	st, _, _ := setup(t)
	limit := authstore.Limit{Key: "account:production:x@example.com", Max: 3, Window: time.Minute}
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ok, _, err := st.ReserveAttempts(context.Background(), t0, limit)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 3 {
		t.Fatalf("%d of 12 concurrent attempts allowed, limit 3", allowed)
	}
}

func TestPrune(t *testing.T) {
	st, pool, user := setup(t)
	ctx := context.Background()
	_, token, _ := st.CreateSession(ctx, authstore.Session{Env: env, UserID: user, AuthTime: t0}, t0, time.Hour)
	_, code := newCode(t, st, user)
	_, _, _, _ = st.ReserveAttempts(ctx, t0, authstore.Limit{Key: "k", Max: 5, Window: time.Minute})
	n, err := st.Prune(ctx, t0.Add(30*time.Minute), authstore.Retention{Codes: time.Hour, Attempts: time.Minute})
	if err != nil || n != 1 {
		t.Fatalf("first prune: %d %v", n, err)
	}
	if _, err := st.SessionByToken(ctx, env, token, t0); err != nil {
		t.Fatalf("live session pruned: %v", err)
	}
	n, err = st.Prune(ctx, t0.Add(2*time.Hour), authstore.Retention{Codes: time.Hour, Attempts: time.Minute})
	if err != nil || n != 2 {
		t.Fatalf("second prune: %d %v", n, err)
	}
	if _, err := st.RedeemCode(ctx, env, code, t0); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("code after prune: %v", err)
	}
	var left int
	_ = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM frontdoor.sessions) + (SELECT count(*) FROM frontdoor.auth_codes) + (SELECT count(*) FROM frontdoor.login_attempts)`).Scan(&left)
	if left != 0 {
		t.Fatalf("%d rows left", left)
	}
}

// otherLast returns token with its last character changed.
func otherLast(token string) string {
	last := byte('A')
	if token[len(token)-1] == last {
		last = 'B'
	}
	return token[:len(token)-1] + string(last)
}
