package identity_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

const goodPassword = "a long and unusual passphrase"

func TestSetAndVerifyPassword(t *testing.T) {
	s, pool := newStore(t)
	ctx := testContext(t)
	u := mustCreateUser(t, s, env, "Alan@Example.com")

	if err := s.SetPassword(ctx, env, u.ID, goodPassword); err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := pool.QueryRow(ctx, `SELECT password_hash FROM frontdoor.identities WHERE user_id = $1`, u.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=256,t=1,p=1$") || strings.Contains(stored, goodPassword) {
		t.Fatalf("stored hash %q", stored)
	}

	for _, email := range []string{"alan@example.com", "ALAN@EXAMPLE.COM", " Alan@example.com "} {
		got, err := s.VerifyPassword(ctx, env, email, goodPassword)
		if err != nil {
			t.Fatalf("VerifyPassword(%q): %v", email, err)
		}
		if got.ID != u.ID {
			t.Fatalf("VerifyPassword returned user %s, want %s", got.ID, u.ID)
		}
	}

	// Every kind of failure is the same single error.
	mustCreateUser(t, s, env, "nopassword@example.com")
	for name, c := range map[string]struct{ env, email, password string }{
		"wrong password":         {env, "alan@example.com", goodPassword + "!"},
		"password in other case": {env, "alan@example.com", strings.ToUpper(goodPassword)},
		"empty password":         {env, "alan@example.com", ""},
		"unknown email":          {env, "nobody@example.com", goodPassword},
		"malformed email":        {env, "not an email", goodPassword},
		"user without password":  {env, "nopassword@example.com", goodPassword},
		"other environment":      {"staging", "alan@example.com", goodPassword},
		"password over limit":    {env, "alan@example.com", strings.Repeat("x", identity.MaxPasswordBytes+1)},
	} {
		got, err := s.VerifyPassword(ctx, c.env, c.email, c.password)
		if err != identity.ErrInvalidCredentials || got != nil { // the contract is the unwrapped value
			t.Errorf("%s: VerifyPassword = %v, %v; want nil, ErrInvalidCredentials itself", name, got, err)
		}
	}

	// A new password replaces the old one.
	if err := s.SetPassword(ctx, env, u.ID, "another unusual passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifyPassword(ctx, env, "alan@example.com", goodPassword); err != identity.ErrInvalidCredentials {
		t.Fatalf("old password after a change: %v", err)
	}
	if _, err := s.VerifyPassword(ctx, env, "alan@example.com", "another unusual passphrase"); err != nil {
		t.Fatalf("new password: %v", err)
	}

	ids, err := s.ListIdentities(ctx, env, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := s.EmailPasswordConnection(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0].ConnectionID != conn.ID || ids[0].Kind != identity.KindEmailPassword || ids[0].UserID != u.ID {
		t.Fatalf("identities = %+v, want one email + password identity on %s", ids, conn.ID)
	}
}

func TestSetPasswordEnforcesPolicy(t *testing.T) {
	s, pool := newStore(t)
	ctx := testContext(t)
	u := mustCreateUser(t, s, env, "policy@example.com")
	for pw, want := range map[string]identity.PolicyViolation{
		"short1!":                          identity.PolicyTooShort,
		"Password1":                        identity.PolicyTooCommon,
		"ILOVEYOU":                         identity.PolicyTooCommon,
		strings.Repeat("z", 1025):          identity.PolicyTooLong,
		"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8": identity.PolicyInvalidUTF8,
	} {
		err := s.SetPassword(ctx, env, u.ID, pw)
		var pe *identity.PasswordPolicyError
		if !errors.As(err, &pe) || pe.Violation != want {
			t.Errorf("SetPassword(%.12q…) = %v, want a %s violation", pw, err, want)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM frontdoor.identities`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d identities stored for refused passwords", n)
	}
}

func TestSetPasswordForUnknownUser(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	wantErr(t, s.SetPassword(ctx, env, "kp_missing", goodPassword), identity.ErrNotFound)

	// A user of another environment is unknown here.
	if _, err := s.EnsureEnvironment(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}
	u := mustCreateUser(t, s, "staging", "elsewhere@example.com")
	wantErr(t, s.SetPassword(ctx, env, u.ID, goodPassword), identity.ErrNotFound)
}

func TestPasswordIsRehashedWhenParametersChange(t *testing.T) {
	s, pool := newStore(t)
	ctx := testContext(t)
	u := mustCreateUser(t, s, env, "rehash@example.com")
	if err := s.SetPassword(ctx, env, u.ID, goodPassword); err != nil {
		t.Fatal(err)
	}
	storedHash := func() string {
		t.Helper()
		var h string
		if err := pool.QueryRow(ctx, `SELECT password_hash FROM frontdoor.identities WHERE user_id = $1`, u.ID).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	old := storedHash()

	stronger := identity.Argon2Params{Memory: 512, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	s2, err := identity.NewStore(pool, identity.Config{Argon2: stronger})
	if err != nil {
		t.Fatal(err)
	}
	if !s2.PasswordHasher().NeedsRehash(old) {
		t.Fatal("old hash does not need a rehash under new parameters")
	}
	// A wrong password changes nothing.
	if _, err := s2.VerifyPassword(ctx, env, "rehash@example.com", "wrong wrong wrong"); err != identity.ErrInvalidCredentials {
		t.Fatalf("wrong password: %v", err)
	}
	if storedHash() != old {
		t.Fatal("a failed sign-in replaced the hash")
	}
	// The right one verifies against the old hash and upgrades it.
	if _, err := s2.VerifyPassword(ctx, env, "rehash@example.com", goodPassword); err != nil {
		t.Fatal(err)
	}
	upgraded := storedHash()
	if !strings.HasPrefix(upgraded, "$argon2id$v=19$m=512,t=2,p=1$") {
		t.Fatalf("hash after sign-in = %q, want the new parameters", upgraded)
	}
	if s2.PasswordHasher().NeedsRehash(upgraded) {
		t.Fatal("upgraded hash still needs a rehash")
	}
	if _, err := s2.VerifyPassword(ctx, env, "rehash@example.com", goodPassword); err != nil {
		t.Fatalf("password after the upgrade: %v", err)
	}
	if storedHash() != upgraded {
		t.Fatal("a current hash was replaced again")
	}
	// The old store still verifies the new hash: a rolling deploy works.
	if _, err := s.VerifyPassword(ctx, env, "rehash@example.com", goodPassword); err != nil {
		t.Fatalf("old parameters against the upgraded hash: %v", err)
	}
}
