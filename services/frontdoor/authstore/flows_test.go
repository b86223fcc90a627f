package authstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/authstore"
	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

func newFlow(t *testing.T, st *authstore.Store, user string) string {
	t.Helper()
	token, err := st.CreateFlow(context.Background(), authstore.Flow{Env: env, UserID: user, Params: "client_id=c1",
		AuthTime: t0, AMR: []string{"pwd"}, Stage: authstore.StageOrganization}, t0, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestFlowsAreBoundToTheirStage(t *testing.T) {
	st, _, user := setup(t)
	ctx := context.Background()
	token := newFlow(t, st, user)
	const otherStage = "mfa"

	if _, err := st.FlowByToken(ctx, env, token, otherStage, t0); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("flow read at another stage: %v", err)
	}
	// Taking it at another stage neither returns nor deletes it.
	if _, err := st.TakeFlow(ctx, env, token, otherStage, t0); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("flow taken at another stage: %v", err)
	}
	if _, err := st.TakeFlow(ctx, "staging", token, authstore.StageOrganization, t0); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("flow taken in another environment: %v", err)
	}
	if _, err := st.FlowByToken(ctx, env, token, authstore.StageOrganization, t0.Add(15*time.Minute)); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("expired flow read: %v", err)
	}
	f, err := st.FlowByToken(ctx, env, token, authstore.StageOrganization, t0)
	if err != nil || f.UserID != user || f.Params != "client_id=c1" {
		t.Fatalf("flow %+v %v", f, err)
	}
	if f, err = st.TakeFlow(ctx, env, token, authstore.StageOrganization, t0); err != nil || f.UserID != user {
		t.Fatalf("take %+v %v", f, err)
	}
	if _, err := st.TakeFlow(ctx, env, token, authstore.StageOrganization, t0); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("flow taken twice: %v", err)
	}

	// DeleteFlow ends a flow whatever its stage, once.
	token = newFlow(t, st, user)
	if ok, err := st.DeleteFlow(ctx, "staging", token); ok || err != nil {
		t.Fatalf("deleted in another environment: %v %v", ok, err)
	}
	if ok, err := st.DeleteFlow(ctx, env, token); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if ok, err := st.DeleteFlow(ctx, env, token); ok || err != nil {
		t.Fatalf("second delete: %v %v", ok, err)
	}
	if _, err := st.FlowByToken(ctx, env, token, authstore.StageOrganization, t0); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("deleted flow read: %v", err)
	}
}

// signedIn is what a user's password opened: a session, a flow waiting
// for a step, an authorization code not yet redeemed.
type signedIn struct {
	session, flow, code string
}

func openAll(t *testing.T, st *authstore.Store, user string) signedIn {
	t.Helper()
	_, session, err := st.CreateSession(context.Background(), authstore.Session{Env: env, UserID: user, AuthTime: t0}, t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, code, err := st.CreateCode(context.Background(), authstore.Code{Env: env, ClientID: "c1", RedirectURI: "https://a/cb",
		CodeChallenge: "ch", UserID: user, SessionID: "ses_1", AuthTime: t0}, t0, time.Minute)
	if err != nil || c == nil {
		t.Fatal(err)
	}
	return signedIn{session: session, flow: newFlow(t, st, user), code: code}
}

func TestUsePasswordResetEndsWhatTheOldPasswordOpened(t *testing.T) {
	st, pool, user := setup(t)
	ctx := context.Background()
	ids, err := identity.NewStore(pool, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := ids.CreateUser(ctx, identity.NewUser{Env: env, Email: "bob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	newReset := func(user string) string {
		t.Helper()
		token, err := st.CreatePasswordReset(ctx, authstore.PasswordReset{Env: env, UserID: user}, t0, 30*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	mine, theirs := openAll(t, st, user), openAll(t, st, other.ID)
	link, sibling, otherLink := newReset(user), newReset(user), newReset(other.ID)
	at := t0.Add(10 * time.Second)

	// A failing apply changes nothing: the link, the session, the flow and
	// the code are all still there.
	failed := errors.New("hashing failed")
	if _, err := st.UsePasswordReset(ctx, env, link, at, func(context.Context, pgx.Tx, string) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("failing apply: %v", err)
	}
	if _, err := st.PasswordResetByToken(ctx, env, link, at); err != nil {
		t.Fatalf("the link was used by a failed reset: %v", err)
	}
	if _, err := st.FlowByToken(ctx, env, mine.flow, authstore.StageOrganization, at); err != nil {
		t.Fatalf("the flow was ended by a failed reset: %v", err)
	}

	var applied string
	used, err := st.UsePasswordReset(ctx, env, link, at, func(_ context.Context, _ pgx.Tx, userID string) error {
		applied = userID
		return nil
	})
	if err != nil || used.UserID != user || applied != user {
		t.Fatalf("use: %+v %v (applied to %q)", used, err, applied)
	}
	if _, err := st.UsePasswordReset(ctx, env, link, at, func(context.Context, pgx.Tx, string) error { return nil }); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("link used twice: %v", err)
	}
	if _, err := st.PasswordResetByToken(ctx, env, sibling, at); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("another link of the user survived: %v", err)
	}
	if _, err := st.SessionByToken(ctx, env, mine.session, at); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("session survived: %v", err)
	}
	if _, err := st.FlowByToken(ctx, env, mine.flow, authstore.StageOrganization, at); !errors.Is(err, authstore.ErrNotFound) {
		t.Fatalf("flow survived: %v", err)
	}
	if _, err := st.RedeemCode(ctx, env, mine.code, at.Add(time.Second)); !errors.Is(err, authstore.ErrCodeExpired) {
		t.Fatalf("a code issued before the reset was redeemed after it: %v", err)
	}

	// Another user's state is untouched.
	if _, err := st.PasswordResetByToken(ctx, env, otherLink, at); err != nil {
		t.Fatalf("another user's link: %v", err)
	}
	if _, err := st.SessionByToken(ctx, env, theirs.session, at); err != nil {
		t.Fatalf("another user's session: %v", err)
	}
	if _, err := st.FlowByToken(ctx, env, theirs.flow, authstore.StageOrganization, at); err != nil {
		t.Fatalf("another user's flow: %v", err)
	}
	if _, err := st.RedeemCode(ctx, env, theirs.code, at.Add(time.Second)); err != nil {
		t.Fatalf("another user's code: %v", err)
	}
}
