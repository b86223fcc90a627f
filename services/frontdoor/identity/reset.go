package identity

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// PreparedPassword is a password checked against the policy and hashed,
// ready to be stored by [Store.ResetPasswordTx]. Hashing takes a while, so
// it happens before the transaction.
type PreparedPassword struct {
	env          string
	connectionID string
	hash         string
}

// PreparePassword checks password against the policy and hashes it for
// the email + password connection of env.
//
// # Errors
//
// A [*PasswordPolicyError] for a password the policy refuses.
func (s *Store) PreparePassword(ctx context.Context, env, password string) (PreparedPassword, error) {
	if err := CheckPasswordPolicy(password); err != nil {
		return PreparedPassword{}, fmt.Errorf("prepare password: %w", err)
	}
	conn, err := s.EmailPasswordConnection(ctx, env)
	if err != nil {
		return PreparedPassword{}, fmt.Errorf("prepare password: %w", err)
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return PreparedPassword{}, fmt.Errorf("prepare password: %w", err)
	}
	return PreparedPassword{env: env, connectionID: conn.ID, hash: hash}, nil
}

// ResetPasswordTx makes p the password of user userID within tx, and marks
// the user's email verified: following a reset link sent to it proves the
// address is theirs.
func (s *Store) ResetPasswordTx(ctx context.Context, tx pgx.Tx, userID string, p PreparedPassword) error {
	if p.hash == "" {
		return fmt.Errorf("reset password of user %s: %w: the password was not prepared", userID, ErrInvalid)
	}
	tag, err := tx.Exec(ctx, `UPDATE frontdoor.users SET email_verified = true, updated_at = now()
		WHERE env = $1 AND id = $2`, p.env, userID)
	if err != nil {
		return fmt.Errorf("reset password of user %s: %w", userID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("reset password of user %s: %w", userID, ErrNotFound)
	}
	_, err = tx.Exec(ctx, `INSERT INTO frontdoor.identities (env, user_id, connection_id, kind, password_hash)
		VALUES ($1, $2, $3, 'email_password', $4)
		ON CONFLICT (user_id, connection_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = now()`,
		p.env, userID, p.connectionID, p.hash)
	if err != nil {
		return fmt.Errorf("reset password of user %s: %w", userID, err)
	}
	return nil
}
