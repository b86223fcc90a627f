package identity_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

func TestOrganizationCRUD(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	if _, err := s.EnsureEnvironment(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}

	acme, err := s.CreateOrganization(ctx, env, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(acme.Code, "org_") || len(acme.Code) != len("org_")+32 || acme.Name != "Acme" || acme.Env != env {
		t.Fatalf("created organization = %+v", acme)
	}
	time.Sleep(2 * time.Millisecond) // codes order by millisecond
	globex, err := s.CreateOrganization(ctx, env, "Globex")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateOrganization(ctx, "staging", "Initech"); err != nil {
		t.Fatal(err)
	}

	got, err := s.GetOrganization(ctx, env, acme.Code)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *acme {
		t.Fatalf("GetOrganization = %+v, want %+v", got, acme)
	}
	_, err = s.GetOrganization(ctx, "staging", acme.Code)
	wantErr(t, err, identity.ErrNotFound)

	list, err := s.ListOrganizations(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Code != acme.Code || list[1].Code != globex.Code {
		t.Fatalf("ListOrganizations = %+v, want Acme then Globex", list)
	}

	renamed, err := s.RenameOrganization(ctx, env, acme.Code, "Acme Corp")
	if err != nil {
		t.Fatal(err)
	}
	if renamed.Name != "Acme Corp" || !renamed.UpdatedAt.After(acme.UpdatedAt) {
		t.Fatalf("renamed = %+v", renamed)
	}
	_, err = s.RenameOrganization(ctx, env, acme.Code, "  ")
	wantErr(t, err, identity.ErrInvalid)
	_, err = s.RenameOrganization(ctx, env, "org_missing", "X")
	wantErr(t, err, identity.ErrNotFound)
	_, err = s.CreateOrganization(ctx, env, "")
	wantErr(t, err, identity.ErrInvalid)
	_, err = s.CreateOrganization(ctx, env, strings.Repeat("n", 257))
	wantErr(t, err, identity.ErrInvalid)

	if err := s.DeleteOrganization(ctx, env, globex.Code); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.DeleteOrganization(ctx, env, globex.Code), identity.ErrNotFound)
	_, err = s.GetOrganization(ctx, env, globex.Code)
	wantErr(t, err, identity.ErrNotFound)
}

func TestMemberships(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	if _, err := s.EnsureEnvironment(ctx, "staging", ""); err != nil {
		t.Fatal(err)
	}
	ada := mustCreateUser(t, s, env, "ada@example.com")
	bob := mustCreateUser(t, s, env, "bob@example.com")
	acme, err := s.CreateOrganization(ctx, env, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	globex, err := s.CreateOrganization(ctx, env, "Globex")
	if err != nil {
		t.Fatal(err)
	}

	m, err := s.SetMembership(ctx, env, acme.Code, ada.ID, []string{"admin", "billing", "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if m.OrgCode != acme.Code || m.UserID != ada.ID || !slices.Equal(m.Roles, []string{"admin", "billing"}) {
		t.Fatalf("membership = %+v (duplicate role should be dropped)", m)
	}
	if _, err := s.SetMembership(ctx, env, globex.Code, ada.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetMembership(ctx, env, acme.Code, bob.ID, []string{"member"}); err != nil {
		t.Fatal(err)
	}

	// Setting again replaces the roles.
	m2, err := s.SetMembership(ctx, env, acme.Code, ada.ID, []string{"owner"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m2.Roles, []string{"owner"}) || !m2.CreatedAt.Equal(m.CreatedAt) {
		t.Fatalf("updated membership = %+v", m2)
	}
	got, err := s.GetMembership(ctx, env, acme.Code, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Roles, []string{"owner"}) {
		t.Fatalf("GetMembership roles = %v", got.Roles)
	}

	orgs, err := s.ListUserOrganizations(ctx, env, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 2 || orgs[0].Code != acme.Code || orgs[0].Name != "Acme" || !slices.Equal(orgs[0].Roles, []string{"owner"}) ||
		orgs[1].Code != globex.Code || orgs[1].Roles == nil || len(orgs[1].Roles) != 0 {
		t.Fatalf("ListUserOrganizations(ada) = %+v", orgs)
	}
	members, err := s.ListMembers(ctx, env, acme.Code)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 || members[0].UserID != ada.ID || members[1].UserID != bob.ID {
		t.Fatalf("ListMembers(acme) = %+v", members)
	}
	_, err = s.ListMembers(ctx, env, "org_missing")
	wantErr(t, err, identity.ErrNotFound)
	none, err := s.ListUserOrganizations(ctx, env, "kp_missing")
	if err != nil || len(none) != 0 {
		t.Fatalf("organizations of an unknown user = %v, %v", none, err)
	}

	// Unknown organization or user, or one of another environment.
	_, err = s.SetMembership(ctx, env, "org_missing", ada.ID, nil)
	wantErr(t, err, identity.ErrNotFound)
	if !strings.Contains(err.Error(), "organization org_missing") {
		t.Fatalf("error does not name the organization: %v", err)
	}
	_, err = s.SetMembership(ctx, env, acme.Code, "kp_missing", nil)
	wantErr(t, err, identity.ErrNotFound)
	if !strings.Contains(err.Error(), "user kp_missing") {
		t.Fatalf("error does not name the user: %v", err)
	}
	stagingUser := mustCreateUser(t, s, "staging", "carol@example.com")
	_, err = s.SetMembership(ctx, env, acme.Code, stagingUser.ID, nil)
	wantErr(t, err, identity.ErrNotFound)
	_, err = s.SetMembership(ctx, "staging", acme.Code, stagingUser.ID, nil)
	wantErr(t, err, identity.ErrNotFound)

	// Roles are validated.
	for _, roles := range [][]string{{""}, {" admin"}, {strings.Repeat("r", 129)}} {
		_, err := s.SetMembership(ctx, env, acme.Code, bob.ID, roles)
		wantErr(t, err, identity.ErrInvalid)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = "role" + strings.Repeat("x", i)
	}
	_, err = s.SetMembership(ctx, env, acme.Code, bob.ID, many)
	wantErr(t, err, identity.ErrInvalid)

	// Removing.
	if err := s.RemoveMembership(ctx, env, acme.Code, bob.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.RemoveMembership(ctx, env, acme.Code, bob.ID), identity.ErrNotFound)
	_, err = s.GetMembership(ctx, env, acme.Code, bob.ID)
	wantErr(t, err, identity.ErrNotFound)

	// Deleting an organization removes its memberships.
	if err := s.DeleteOrganization(ctx, env, acme.Code); err != nil {
		t.Fatal(err)
	}
	orgs, err = s.ListUserOrganizations(ctx, env, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 1 || orgs[0].Code != globex.Code {
		t.Fatalf("after deleting Acme, ada's organizations = %+v", orgs)
	}
}
