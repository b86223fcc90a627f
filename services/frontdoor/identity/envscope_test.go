package identity_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

// TestMembershipUpsertFromAnotherEnvironmentChangesNothing: setting a
// membership in staging with production's organization and user is refused
// and production's roles stay as they were.
func TestMembershipUpsertFromAnotherEnvironmentChangesNothing(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	if _, err := s.EnsureEnvironment(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}
	org, err := s.CreateOrganization(ctx, env, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, identity.NewUser{Env: env, Email: "member@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetMembership(ctx, env, org.Code, u.ID, []string{"viewer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetMembership(ctx, "staging", org.Code, u.ID, []string{"admin"}); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("cross-environment SetMembership: %v, want ErrNotFound", err)
	}
	m, err := s.GetMembership(ctx, env, org.Code, u.ID)
	if err != nil || !slices.Equal(m.Roles, []string{"viewer"}) {
		t.Fatalf("production membership after the attempt: %+v %v", m, err)
	}
}

// TestChangingTheEmailUnverifiesIt: a new address is not vouched for until
// it is verified again.
func TestChangingTheEmailUnverifiesIt(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	u, err := s.CreateUser(ctx, identity.NewUser{Env: env, Email: "old@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	same := "OLD@example.com" // normalises to the same address
	if u, err = s.UpdateUser(ctx, env, u.ID, identity.UserUpdate{Email: &same}); err != nil || !u.EmailVerified {
		t.Fatalf("same address: %+v %v", u, err)
	}
	other := "new@example.com"
	if u, err = s.UpdateUser(ctx, env, u.ID, identity.UserUpdate{Email: &other}); err != nil || u.EmailVerified || u.Email != other {
		t.Fatalf("new address: %+v %v", u, err)
	}
	yes := true
	third := "third@example.com"
	if u, err = s.UpdateUser(ctx, env, u.ID, identity.UserUpdate{Email: &third, EmailVerified: &yes}); err != nil || !u.EmailVerified {
		t.Fatalf("new address verified by the caller: %+v %v", u, err)
	}
}

// TestEmailLookAlikesAreRefused: the Kelvin sign (U+212A) would lower-case
// to "k" and merge two addresses; it is refused.
func TestEmailLookAlikesAreRefused(t *testing.T) {
	got, err := identity.NormalizeEmail(" Kate@Example.COM ")
	if err != nil || got != "kate@example.com" {
		t.Fatalf("NormalizeEmail = %q, %v", got, err)
	}
	if kelvin, err := identity.NormalizeEmail("\u212Aate@example.com"); !errors.Is(err, identity.ErrInvalid) {
		t.Fatalf("the Kelvin sign: %q, %v; want ErrInvalid", kelvin, err)
	}
}
