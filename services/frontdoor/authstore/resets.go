package authstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PasswordReset is a password reset link for a user; Params is the
// authorization request to go back to afterwards, if any.
type PasswordReset struct {
	Env       string
	UserID    string
	Params    string
	ExpiresAt time.Time
}

// CreatePasswordReset stores a reset link for r.UserID, created at now and
// valid for ttl, and returns its secret token (for the emailed link). Links
// sent before for the same user stay valid until they expire or one of them
// is used ([Store.UsePasswordReset] ends them all).
func (st *Store) CreatePasswordReset(ctx context.Context, r PasswordReset, now time.Time, ttl time.Duration) (string, error) {
	token, hash, err := newSecret()
	if err != nil {
		return "", err
	}
	_, err = st.pool.Exec(ctx, `INSERT INTO frontdoor.password_resets (token_hash, env, user_id, params, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, hash, r.Env, r.UserID, r.Params, now, now.Add(ttl))
	if err != nil {
		return "", fmt.Errorf("create password reset for user %s: %w", r.UserID, err)
	}
	return token, nil
}

// PasswordResetByToken returns the unused reset link of env whose token is
// token, or an error wrapping [ErrNotFound] when there is none, it was
// used, or it expired at now.
func (st *Store) PasswordResetByToken(ctx context.Context, env, token string, now time.Time) (*PasswordReset, error) {
	if !validSecret(token) {
		return nil, fmt.Errorf("password reset: %w", ErrNotFound)
	}
	var r PasswordReset
	err := st.pool.QueryRow(ctx, `SELECT env, user_id, params, expires_at FROM frontdoor.password_resets
		WHERE token_hash = $1 AND env = $2 AND expires_at > $3 AND used_at IS NULL`, hashSecret(token), env, now).
		Scan(&r.Env, &r.UserID, &r.Params, &r.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("password reset: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("look up password reset: %w", err)
	}
	return &r, nil
}

// UsePasswordReset marks the reset link token used at now and, in the same
// transaction, ends everything the old password may have opened: every
// other link of the same user, every session, every sign-in waiting for a
// step of the user (flows) and every authorization code not yet redeemed
// (it expires at now). It then calls apply (which sets the new password):
// the link works once, and the password changes only if it does. An
// unknown, used or expired link is an error wrapping [ErrNotFound].
func (st *Store) UsePasswordReset(ctx context.Context, env, token string, now time.Time, apply func(ctx context.Context, tx pgx.Tx, userID string) error) (*PasswordReset, error) {
	if !validSecret(token) {
		return nil, fmt.Errorf("password reset: %w", ErrNotFound)
	}
	var r PasswordReset
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE frontdoor.password_resets SET used_at = $3
			WHERE token_hash = $1 AND env = $2 AND expires_at > $3 AND used_at IS NULL
			RETURNING env, user_id, params, expires_at`, hashSecret(token), env, now).
			Scan(&r.Env, &r.UserID, &r.Params, &r.ExpiresAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("password reset: %w", ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("use password reset: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE frontdoor.password_resets SET used_at = $3
			WHERE env = $1 AND user_id = $2 AND used_at IS NULL`, env, r.UserID, now); err != nil {
			return fmt.Errorf("end other password resets: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM frontdoor.sessions WHERE env = $1 AND user_id = $2`, env, r.UserID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM frontdoor.auth_flows WHERE env = $1 AND user_id = $2`, env, r.UserID); err != nil {
			return fmt.Errorf("end authentication flows: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE frontdoor.auth_codes SET expires_at = $3
			WHERE env = $1 AND user_id = $2 AND used_at IS NULL AND expires_at > $3`, env, r.UserID, now); err != nil {
			return fmt.Errorf("expire authorization codes: %w", err)
		}
		return apply(ctx, tx, r.UserID)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}
