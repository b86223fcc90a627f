package authstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// CreateEmailVerification stores a link that verifies email for userID in
// env, created at now and valid for ttl, and returns its secret token.
func (st *Store) CreateEmailVerification(ctx context.Context, env, userID, email string, now time.Time, ttl time.Duration) (string, error) {
	token, hash, err := newSecret()
	if err != nil {
		return "", err
	}
	_, err = st.pool.Exec(ctx, `INSERT INTO frontdoor.email_verifications (token_hash, env, user_id, email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, hash, env, userID, email, now, now.Add(ttl))
	if err != nil {
		return "", fmt.Errorf("create email verification for user %s: %w", userID, err)
	}
	return token, nil
}

// UseEmailVerification marks the link token of env used at now and, in the
// same transaction, the user's email verified — if the user's email is
// still the one the link was sent to. It returns the user id. An unknown,
// used or expired link, or one for an address the user no longer has, is
// an error wrapping [ErrNotFound].
func (st *Store) UseEmailVerification(ctx context.Context, env, token string, now time.Time) (string, error) {
	if !validSecret(token) {
		return "", fmt.Errorf("email verification: %w", ErrNotFound)
	}
	var userID string
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		var email string
		err := tx.QueryRow(ctx, `UPDATE frontdoor.email_verifications SET used_at = $3
			WHERE token_hash = $1 AND env = $2 AND expires_at > $3 AND used_at IS NULL
			RETURNING user_id, email`, hashSecret(token), env, now).Scan(&userID, &email)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("email verification: %w", ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("use email verification: %w", err)
		}
		tag, err := tx.Exec(ctx, `UPDATE frontdoor.users SET email_verified = true, updated_at = now()
			WHERE env = $1 AND id = $2 AND email = $3`, env, userID, email)
		if err != nil {
			return fmt.Errorf("verify email of user %s: %w", userID, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("email verification: the address changed since: %w", ErrNotFound)
		}
		return nil
	})
	return userID, err
}
