package authstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
)

// TestSessionRaisedGetsANewToken: recording MFA in a session, or a new
// password check, replaces its cookie secret (ASVS 5.0 V7.2.4): the old
// one finds no session any more, the new one finds the raised session.
func TestSessionRaisedGetsANewToken(t *testing.T) {
	st, _, user := setup(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	s, token, err := st.CreateSession(ctx, authstore.Session{Env: env, UserID: user, AuthTime: t0, AMR: []string{"pwd"}}, t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t1 := t0.Add(time.Minute)
	raised, mfaToken, err := st.UpdateSessionMFA(ctx, env, s.ID, []string{"pwd", "mfa", "otp"}, "mfa-acr", t1)
	if err != nil {
		t.Fatal(err)
	}
	if mfaToken == "" || mfaToken == token || raised.ID != s.ID || raised.ACR != "mfa-acr" || raised.MFAAt == nil || !raised.MFAAt.Equal(t1) ||
		!slices.Equal(raised.AMR, []string{"pwd", "mfa", "otp"}) {
		t.Fatalf("raised session %+v, token changed %v", raised, mfaToken != token)
	}
	if _, err := st.SessionByToken(ctx, env, token, t1); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("the token before MFA: %v", err)
	}
	if got, err := st.SessionByToken(ctx, env, mfaToken, t1); err != nil || got.ID != s.ID || got.ACR != "mfa-acr" {
		t.Fatalf("the token after MFA: %+v %v", got, err)
	}

	t2 := t1.Add(time.Minute)
	reauth, reauthToken, err := st.ReauthenticateSession(ctx, env, s.ID, t2)
	if err != nil {
		t.Fatal(err)
	}
	if reauthToken == "" || reauthToken == mfaToken || !reauth.AuthTime.Equal(t2) || reauth.ACR != "mfa-acr" {
		t.Fatalf("re-authenticated session %+v", reauth)
	}
	if _, err := st.SessionByToken(ctx, env, mfaToken, t2); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("the token before re-authentication: %v", err)
	}
	if got, err := st.SessionByToken(ctx, env, reauthToken, t2); err != nil || !got.AuthTime.Equal(t2) {
		t.Fatalf("the token after re-authentication: %+v %v", got, err)
	}
	if _, _, err := st.UpdateSessionMFA(ctx, env, "ses_missing", nil, "", t2); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
}
