package identity_test

import (
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

func TestEnvironments(t *testing.T) {
	s, pool := newStore(t)
	ctx := testContext(t)

	prod, err := s.GetEnvironment(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if prod.ID != "production" || prod.Name != "Production" || prod.CreatedAt.IsZero() {
		t.Fatalf("default environment = %+v", prod)
	}
	// Ensuring again keeps the row as it is.
	again, err := s.EnsureEnvironment(ctx, env, "Renamed")
	if err != nil {
		t.Fatal(err)
	}
	if again.Name != "Production" || !again.CreatedAt.Equal(prod.CreatedAt) {
		t.Fatalf("second ensure changed the environment: %+v", again)
	}
	staging, err := s.EnsureEnvironment(ctx, "staging", "")
	if err != nil {
		t.Fatal(err)
	}
	if staging.Name != "staging" {
		t.Fatalf("name defaults to the id, got %q", staging.Name)
	}
	all, err := s.ListEnvironments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != "production" || all[1].ID != "staging" {
		t.Fatalf("environments = %+v", all)
	}

	_, err = s.GetEnvironment(ctx, "nope")
	wantErr(t, err, identity.ErrNotFound)
	_, err = s.EnsureEnvironment(ctx, "Bad Name", "")
	wantErr(t, err, identity.ErrInvalid)

	// Migrating again is a no-op.
	if err := identity.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownEnvironmentIsNotFound(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	_, err := s.CreateUser(ctx, identity.NewUser{Env: "staging", Email: "a@example.com"})
	wantErr(t, err, identity.ErrNotFound)
	if !strings.Contains(err.Error(), `environment "staging" does not exist`) {
		t.Fatalf("error does not name the environment: %v", err)
	}
	_, err = s.CreateOrganization(ctx, "staging", "Acme")
	wantErr(t, err, identity.ErrNotFound)
	_, _, err = s.CreateApplication(ctx, identity.NewApplication{Env: "staging", Name: "App", Type: identity.AppSPA})
	wantErr(t, err, identity.ErrNotFound)
	_, err = s.EmailPasswordConnection(ctx, "staging")
	wantErr(t, err, identity.ErrNotFound)
}

func TestEmailPasswordConnectionIsCreatedOncePerEnvironment(t *testing.T) {
	s, _ := newStore(t)
	ctx := testContext(t)
	if _, err := s.EnsureEnvironment(ctx, "staging", "Staging"); err != nil {
		t.Fatal(err)
	}

	// Concurrent first calls agree on one connection.
	const n = 8
	got := make(chan string, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			c, err := s.EmailPasswordConnection(ctx, env)
			if err != nil {
				errs <- err
				return
			}
			got <- c.ID
		}()
	}
	first := ""
	for range n {
		select {
		case err := <-errs:
			t.Fatal(err)
		case id := <-got:
			if first == "" {
				first = id
			}
			if id != first {
				t.Fatalf("two email + password connections in one environment: %s and %s", first, id)
			}
		}
	}
	if !strings.HasPrefix(first, "conn_") || len(first) != len("conn_")+32 {
		t.Fatalf("connection id %q is not conn_ + 32 hex digits", first)
	}
	c, err := s.EmailPasswordConnection(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != first || c.Kind != identity.KindEmailPassword || c.Env != env {
		t.Fatalf("connection = %+v, want %s", c, first)
	}
	other, err := s.EmailPasswordConnection(ctx, "staging")
	if err != nil {
		t.Fatal(err)
	}
	if other.ID == first || other.Env != "staging" {
		t.Fatalf("staging shares production's connection: %+v", other)
	}
}
