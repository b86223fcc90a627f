package authstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
)

func TestEmailVerification(t *testing.T) {
	st, pool, userID := setup(t)
	ctx := context.Background()
	verified := func() bool {
		var v bool
		if err := pool.QueryRow(ctx, `SELECT email_verified FROM frontdoor.users WHERE id = $1`, userID).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	// Expired, another environment, a forged token: nothing verified.
	old, err := st.CreateEmailVerification(ctx, env, userID, "ann@example.com", t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for name, try := range map[string]func() error{
		"expired":           func() error { _, err := st.UseEmailVerification(ctx, env, old, t0.Add(2*time.Hour)); return err },
		"other environment": func() error { _, err := st.UseEmailVerification(ctx, "staging", old, t0); return err },
		"forged":            func() error { _, err := st.UseEmailVerification(ctx, env, "forged", t0); return err },
	} {
		if err := try(); !errors.Is(err, authstore.ErrNotFound) || verified() {
			t.Fatalf("%s: %v, verified %v", name, err, verified())
		}
	}

	// A link for an address the user no longer has does not verify the new one.
	stale, err := st.CreateEmailVerification(ctx, env, userID, "previous@example.com", t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UseEmailVerification(ctx, env, stale, t0); !errors.Is(err, authstore.ErrNotFound) || verified() {
		t.Fatalf("stale address: %v, verified %v", err, verified())
	}

	good, err := st.CreateEmailVerification(ctx, env, userID, "ann@example.com", t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := st.UseEmailVerification(ctx, env, good, t0); err != nil || id != userID || !verified() {
		t.Fatalf("use: %q, %v, verified %v", id, err, verified())
	}
	if _, err := st.UseEmailVerification(ctx, env, good, t0); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("second use: %v", err)
	}
}
