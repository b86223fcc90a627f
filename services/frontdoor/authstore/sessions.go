package authstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
)

// Session is a signed-in browser. ID is public: it is the sid claim of the
// tokens issued in the session; the cookie holds a separate secret.
type Session struct {
	ID           string
	Env          string
	UserID       string
	ConnectionID string
	// AuthTime is when the user last authenticated (OIDC auth_time).
	AuthTime time.Time
	// AMR lists the authentication methods used ("pwd"…).
	AMR []string
	// ACR is the assurance reached ("mfa" after MFA, else ""); MFAAt is
	// when MFA was last completed in this session.
	ACR       string
	MFAAt     *time.Time
	CreatedAt time.Time
	ExpiresAt time.Time
}

const sessionColumns = `id, env, user_id, connection_id, auth_time, amr, acr, mfa_at, created_at, expires_at`

func scanSession(row pgx.Row) (*Session, error) {
	var s Session
	if err := row.Scan(&s.ID, &s.Env, &s.UserID, &s.ConnectionID, &s.AuthTime, &s.AMR, &s.ACR, &s.MFAAt, &s.CreatedAt, &s.ExpiresAt); err != nil {
		return nil, err
	}
	return &s, nil
}

// CreateSession stores a new session for s.Env and s.UserID, authenticated
// at s.AuthTime with s.AMR, created at now and lasting ttl. It returns the
// session (with its new ID) and the secret token for the cookie: the only
// time the token exists outside the browser.
func (st *Store) CreateSession(ctx context.Context, s Session, now time.Time, ttl time.Duration) (*Session, string, error) {
	token, hash, err := newSecret()
	if err != nil {
		return nil, "", err
	}
	if s.AMR == nil {
		s.AMR = []string{}
	}
	out, err := scanSession(st.pool.QueryRow(ctx, `INSERT INTO frontdoor.sessions
		(id, token_hash, env, user_id, connection_id, auth_time, amr, acr, mfa_at, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING `+sessionColumns,
		ids.New("ses"), hash, s.Env, s.UserID, s.ConnectionID, s.AuthTime, s.AMR, s.ACR, s.MFAAt, now, now.Add(ttl)))
	if err != nil {
		return nil, "", fmt.Errorf("create session of user %s: %w", s.UserID, err)
	}
	return out, token, nil
}

// SessionByToken returns the session of env whose cookie value is token, or
// an error wrapping [ErrNotFound] when there is none or it has expired at
// now.
func (st *Store) SessionByToken(ctx context.Context, env, token string, now time.Time) (*Session, error) {
	if !validSecret(token) {
		return nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	s, err := scanSession(st.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM frontdoor.sessions
		WHERE token_hash = $1 AND env = $2 AND expires_at > $3`, hashSecret(token), env, now))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("look up session: %w", err)
	}
	return s, nil
}

// UpdateSessionMFA records an MFA completed at mfaAt in session id of env:
// its methods amr and assurance acr. The session is raised to a higher
// assurance, so its cookie secret is replaced (ASVS 5.0 V7.2.4: a new
// session token on re-authentication; the old one stops working at
// once). It returns the updated session and its new secret token.
func (st *Store) UpdateSessionMFA(ctx context.Context, env, id string, amr []string, acr string, mfaAt time.Time) (*Session, string, error) {
	token, hash, err := newSecret()
	if err != nil {
		return nil, "", err
	}
	if amr == nil {
		amr = []string{}
	}
	s, err := scanSession(st.pool.QueryRow(ctx, `UPDATE frontdoor.sessions SET amr = $3, acr = $4, mfa_at = $5, token_hash = $6
		WHERE env = $1 AND id = $2 RETURNING `+sessionColumns, env, id, amr, acr, mfaAt, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("record MFA in session %s: %w", id, err)
	}
	return s, token, nil
}

// ReauthenticateSession records that the user of session id proved their
// password again at now: its auth_time becomes now, and its cookie secret
// is replaced (see [Store.UpdateSessionMFA]). It returns the updated
// session and its new secret token.
func (st *Store) ReauthenticateSession(ctx context.Context, env, id string, now time.Time) (*Session, string, error) {
	token, hash, err := newSecret()
	if err != nil {
		return nil, "", err
	}
	s, err := scanSession(st.pool.QueryRow(ctx, `UPDATE frontdoor.sessions SET auth_time = $3, token_hash = $4
		WHERE env = $1 AND id = $2 RETURNING `+sessionColumns, env, id, now, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("re-authenticate session %s: %w", id, err)
	}
	return s, token, nil
}

// SessionAlive reports whether session id of env exists and has not
// expired at now.
func (st *Store) SessionAlive(ctx context.Context, env, id string, now time.Time) (bool, error) {
	var alive bool
	err := st.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM frontdoor.sessions
		WHERE env = $1 AND id = $2 AND expires_at > $3)`, env, id, now).Scan(&alive)
	if err != nil {
		return false, fmt.Errorf("look up session %s: %w", id, err)
	}
	return alive, nil
}

// DeleteSession ends the session of env whose cookie value is token; it
// reports whether there was one.
func (st *Store) DeleteSession(ctx context.Context, env, token string) (bool, error) {
	if !validSecret(token) {
		return false, nil
	}
	tag, err := st.pool.Exec(ctx, `DELETE FROM frontdoor.sessions WHERE token_hash = $1 AND env = $2`, hashSecret(token), env)
	if err != nil {
		return false, fmt.Errorf("delete session: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}
