package identity_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

func TestCreateAndGetUser(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)

	u, err := s.CreateUser(ctx, identity.NewUser{Env: env, Email: "  Ada.Lovelace@Example.COM ",
		EmailVerified: true, GivenName: "Ada", FamilyName: "Lovelace"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.ID, "kp_") || len(u.ID) != len("kp_")+32 {
		t.Fatalf("user id %q is not kp_ + 32 hex digits", u.ID)
	}
	if u.Email != "ada.lovelace@example.com" || !u.EmailVerified || u.GivenName != "Ada" || u.FamilyName != "Lovelace" ||
		u.Env != env || u.CreatedAt.IsZero() || u.LastSignInAt != nil {
		t.Fatalf("created user = %+v", u)
	}

	byID, err := s.GetUser(ctx, env, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if *byID != *u {
		t.Fatalf("GetUser = %+v, want %+v", byID, u)
	}
	for _, email := range []string{"ada.lovelace@example.com", "ADA.LOVELACE@EXAMPLE.COM", " Ada.Lovelace@example.com"} {
		byEmail, err := s.GetUserByEmail(ctx, env, email)
		if err != nil {
			t.Fatalf("GetUserByEmail(%q): %v", email, err)
		}
		if byEmail.ID != u.ID {
			t.Fatalf("GetUserByEmail(%q) = %s, want %s", email, byEmail.ID, u.ID)
		}
	}

	_, err = s.GetUser(ctx, env, "kp_missing")
	wantErr(t, err, identity.ErrNotFound)
	_, err = s.GetUserByEmail(ctx, env, "nobody@example.com")
	wantErr(t, err, identity.ErrNotFound)
	_, err = s.GetUserByEmail(ctx, env, "not an email")
	wantErr(t, err, identity.ErrInvalid)
}

func TestUserEmailIsUniquePerEnvironmentWhateverTheCase(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	if _, err := s.EnsureEnvironment(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}
	first := mustCreateUser(t, s, env, "grace@example.com")

	for _, dup := range []string{"grace@example.com", "GRACE@example.com", "Grace@Example.Com "} {
		_, err := s.CreateUser(ctx, identity.NewUser{Env: env, Email: dup})
		wantErr(t, err, identity.ErrAlreadyExists)
	}
	// Another environment is another user base.
	other := mustCreateUser(t, s, "staging", "GRACE@example.com")
	if other.ID == first.ID || other.Env != "staging" {
		t.Fatalf("staging user = %+v", other)
	}
	// Environment scoping holds for reads too.
	if _, err := s.GetUser(ctx, "staging", first.ID); err == nil {
		t.Fatal("a production user was found in staging")
	}

	// Changing an email onto a taken one is refused too.
	second := mustCreateUser(t, s, env, "hopper@example.com")
	taken := "GRACE@EXAMPLE.COM"
	_, err := s.UpdateUser(ctx, env, second.ID, identity.UserUpdate{Email: &taken})
	wantErr(t, err, identity.ErrAlreadyExists)
}

func TestCreateUserValidates(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	for _, nu := range []identity.NewUser{
		{Env: env, Email: ""},
		{Env: env, Email: "no-at-sign"},
		{Env: env, Email: "Ada <ada@example.com>"},
		{Env: env, Email: "a@b@example.com"},
		{Env: env, Email: strings.Repeat("a", 65) + "@example.com"},
		{Env: env, Email: "a@" + strings.Repeat("b", 250) + ".com"},
		{Env: env, Email: "ok@example.com", GivenName: strings.Repeat("x", 257)},
		{Env: env, Email: "ok@example.com", FamilyName: "\xff"},
		{Env: "Bad Env", Email: "ok@example.com"},
	} {
		if _, err := s.CreateUser(ctx, nu); err == nil {
			t.Errorf("CreateUser(%+v) succeeded, want an error", nu)
		} else {
			wantErr(t, err, identity.ErrInvalid)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		"User@Example.com":      "user@example.com",
		" user@example.com\t":   "user@example.com",
		"first.last+tag@ex.io":  "first.last+tag@ex.io",
		"ÉLODIE@EXAMPLE.FR":     "élodie@example.fr",
		"user@localhost":        "user@localhost",
		"o'brien@example.co.uk": "o'brien@example.co.uk",
	} {
		got, err := identity.NormalizeEmail(in)
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestUpdateUser(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	u := mustCreateUser(t, s, env, "linus@example.com")

	given, verified, email := "Linus", true, "Linus.T@Example.com"
	got, err := s.UpdateUser(ctx, env, u.ID, identity.UserUpdate{GivenName: &given, EmailVerified: &verified, Email: &email})
	if err != nil {
		t.Fatal(err)
	}
	if got.GivenName != "Linus" || got.FamilyName != "" || !got.EmailVerified || got.Email != "linus.t@example.com" ||
		!got.UpdatedAt.After(u.UpdatedAt) || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("updated user = %+v (was %+v)", got, u)
	}
	// Nil fields keep their values.
	family := "Torvalds"
	got, err = s.UpdateUser(ctx, env, u.ID, identity.UserUpdate{FamilyName: &family})
	if err != nil {
		t.Fatal(err)
	}
	if got.GivenName != "Linus" || got.FamilyName != "Torvalds" || !got.EmailVerified {
		t.Fatalf("partial update lost fields: %+v", got)
	}
	if _, err := s.GetUserByEmail(ctx, env, "linus@example.com"); err == nil {
		t.Fatal("the old email still finds the user")
	}

	_, err = s.UpdateUser(ctx, env, "kp_missing", identity.UserUpdate{GivenName: &given})
	wantErr(t, err, identity.ErrNotFound)
	bad := "nope"
	_, err = s.UpdateUser(ctx, env, u.ID, identity.UserUpdate{Email: &bad})
	wantErr(t, err, identity.ErrInvalid)
}

func TestRecordSignIn(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	u := mustCreateUser(t, s, env, "margaret@example.com")
	at, err := s.RecordSignIn(ctx, env, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(at) > time.Minute || at.Before(u.CreatedAt) {
		t.Fatalf("sign-in time %v is not now", at)
	}
	got, err := s.GetUser(ctx, env, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastSignInAt == nil || !got.LastSignInAt.Equal(at) {
		t.Fatalf("LastSignInAt = %v, want %v", got.LastSignInAt, at)
	}
	_, err = s.RecordSignIn(ctx, env, "kp_missing")
	wantErr(t, err, identity.ErrNotFound)
}

func TestListUsersPages(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	if _, err := s.EnsureEnvironment(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"} {
		want = append(want, mustCreateUser(t, s, env, e).ID)
		time.Sleep(2 * time.Millisecond) // ids order by millisecond
	}
	mustCreateUser(t, s, "staging", "a@example.com")

	var got []string
	after := ""
	for {
		page, err := s.ListUsers(ctx, env, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("page of %d users, limit 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			got = append(got, u.ID)
		}
		after = page[len(page)-1].ID
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("paged users = %v, want %v", got, want)
	}
}

func TestDeleteUserRemovesIdentitiesAndMemberships(t *testing.T) {
	s, pool := newStore(t)
	ctx := testContext(t)
	u := mustCreateUser(t, s, env, "deleted@example.com")
	if err := s.SetPassword(ctx, env, u.ID, "a long and unusual passphrase"); err != nil {
		t.Fatal(err)
	}
	org, err := s.CreateOrganization(ctx, env, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetMembership(ctx, env, org.Code, u.ID, []string{"admin"}); err != nil {
		t.Fatal(err)
	}

	if err := s.DeleteUser(ctx, env, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetUser(ctx, env, u.ID)
	wantErr(t, err, identity.ErrNotFound)
	var rows int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM frontdoor.identities) + (SELECT count(*) FROM frontdoor.memberships)`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Fatalf("%d identity or membership rows left after deleting the user", rows)
	}
	wantErr(t, s.DeleteUser(ctx, env, u.ID), identity.ErrNotFound)
	// The email is free again.
	mustCreateUser(t, s, env, "deleted@example.com")
}
