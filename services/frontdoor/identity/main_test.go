package identity_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const env = "production"

// cheapArgon2 keeps store tests fast; the hash format and the default
// parameters are tested on their own.
var cheapArgon2 = identity.Argon2Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// newStore returns a store on a fresh, migrated database with the default
// environment, and the pool under it.
func newStore(t *testing.T) (*identity.Store, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.NewPool(t)
	ctx := testContext(t)
	if err := identity.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	s, err := identity.NewStore(pool, identity.Config{Argon2: cheapArgon2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureDefaultEnvironment(ctx); err != nil {
		t.Fatal(err)
	}
	return s, pool
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// wantErr fails the test unless err matches target.
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one matching %v", err, target)
	}
}

func mustCreateUser(t *testing.T, s *identity.Store, env, email string) *identity.User {
	t.Helper()
	u, err := s.CreateUser(testContext(t), identity.NewUser{Env: env, Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return u
}
