package identity

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
)

// TestVerifyPasswordCostsOneHashWhateverTheOutcome checks that an unknown
// email costs the same argon2id work as a wrong password, so response time
// does not reveal which accounts exist. It counts computations rather than
// timing them, which would be flaky on a shared machine.
func TestVerifyPasswordCostsOneHashWhateverTheOutcome(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := pgtest.NewPool(t)
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	params := Argon2Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	s, err := NewStore(pool, Config{Argon2: params})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureDefaultEnvironment(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, NewUser{Env: "production", Email: "known@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "a long and unusual passphrase"
	if err := s.SetPassword(ctx, "production", u.ID, pw); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, NewUser{Env: "production", Email: "nopassword@example.com"}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, email, password string
		wantErr               error
	}{
		{"right password", "known@example.com", pw, nil},
		{"wrong password", "known@example.com", "not the password", ErrInvalidCredentials},
		{"unknown email", "unknown@example.com", "not the password", ErrInvalidCredentials},
		{"malformed email", "unknown", "not the password", ErrInvalidCredentials},
		{"user without a password", "nopassword@example.com", "not the password", ErrInvalidCredentials},
	} {
		before := s.hasher.computations.Load()
		_, err := s.VerifyPassword(ctx, "production", c.email, c.password)
		if err != c.wantErr { // the contract is the unwrapped value
			t.Fatalf("%s: err = %v, want %v", c.name, err, c.wantErr)
		}
		if n := s.hasher.computations.Load() - before; n != 1 {
			t.Errorf("%s: %d argon2id computations, want exactly 1", c.name, n)
		}
	}

	// The dummy hash uses the store's parameters, so its cost is that of
	// a real hash made now.
	if s.hasher.dummy.Params != params {
		t.Fatalf("dummy hash parameters %+v, want %+v", s.hasher.dummy.Params, params)
	}
}
