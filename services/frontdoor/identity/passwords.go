package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Identity is one way a user signs in: for now an email + password.
// The password hash never leaves the store.
type Identity struct {
	UserID       string
	ConnectionID string
	Kind         ConnectionKind
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// SetPassword checks password against the policy ([CheckPasswordPolicy]),
// hashes it and makes it the user's email + password identity (creating the
// environment's email + password connection if needed), replacing any
// previous password.
//
// # Errors
//
// A [*PasswordPolicyError] (errors.Is [ErrPasswordPolicy]) for a password
// the policy refuses, its message fit to show the user; [ErrNotFound] when
// the user does not exist in env.
func (s *Store) SetPassword(ctx context.Context, env, userID, password string) error {
	if err := CheckPasswordPolicy(password); err != nil {
		return fmt.Errorf("set password of user %s: %w", userID, err)
	}
	conn, err := s.EmailPasswordConnection(ctx, env)
	if err != nil {
		return fmt.Errorf("set password of user %s: %w", userID, err)
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return fmt.Errorf("set password of user %s: %w", userID, err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO frontdoor.identities (env, user_id, connection_id, kind, password_hash)
		VALUES ($1, $2, $3, 'email_password', $4)
		ON CONFLICT (user_id, connection_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = now()`,
		env, userID, conn.ID, hash)
	if code, constraint := pgCode(err); code == pgForeignKeyViolation && constraint == "identities_user_fkey" {
		return fmt.Errorf("set password of user %s: user not found in environment %s: %w", userID, env, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("set password of user %s: %w", userID, err)
	}
	return nil
}

// VerifyPassword returns the user of environment env with this email
// (case-insensitive) if password is theirs.
//
// Every failure to match returns [ErrInvalidCredentials] itself, unwrapped:
// unknown or malformed email, a user without a password, a wrong password,
// a password longer than [MaxPasswordBytes]. Except for the last (refused
// before any work, whoever the user), each costs one argon2id computation:
// when there is no stored hash the password is checked against a dummy
// hash with the current parameters, so response time does not reveal
// whether an account exists. Other errors (database, cancelled ctx, a
// corrupted stored hash) are returned wrapped.
//
// A correct password whose stored hash was made with other parameters than
// the store's is rehashed and saved; a failure to save is logged, not
// returned. VerifyPassword does not record the sign-in ([Store.RecordSignIn])
// nor limit attempts: rate limiting is the caller's.
func (s *Store) VerifyPassword(ctx context.Context, env, email, password string) (*User, error) {
	if len(password) > MaxPasswordBytes {
		return nil, ErrInvalidCredentials
	}
	norm, err := NormalizeEmail(email)
	if err != nil {
		return nil, s.noSuchPassword(ctx, password)
	}
	var (
		hash         *string
		connectionID *string
	)
	u, err := scanUserWith(s.pool.QueryRow(ctx, `SELECT `+prefixed("u.", userColumns)+`, i.password_hash, i.connection_id
		FROM frontdoor.users u
		LEFT JOIN frontdoor.identities i ON i.user_id = u.id AND i.kind = 'email_password'
		WHERE u.env = $1 AND u.email = $2`, env, norm), &hash, &connectionID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, s.noSuchPassword(ctx, password)
	}
	if err != nil {
		return nil, fmt.Errorf("verify password: look up user: %w", err)
	}
	if hash == nil {
		return nil, s.noSuchPassword(ctx, password)
	}
	ok, err := s.hasher.Verify(ctx, *hash, password)
	if err != nil {
		return nil, fmt.Errorf("verify password of user %s: %w", u.ID, err)
	}
	if !ok {
		return nil, ErrInvalidCredentials
	}
	if s.hasher.NeedsRehash(*hash) {
		s.rehash(ctx, u, *connectionID, *hash, password)
	}
	return u, nil
}

// noSuchPassword spends the time of a password check and returns
// ErrInvalidCredentials, or the error that stopped the check.
func (s *Store) noSuchPassword(ctx context.Context, password string) error {
	if err := s.hasher.verifyDummy(ctx, password); err != nil {
		return fmt.Errorf("verify password: %w", err)
	}
	return ErrInvalidCredentials
}

// rehash replaces the user's password hash old with one made with the
// current parameters, unless the password changed meanwhile.
func (s *Store) rehash(ctx context.Context, u *User, connectionID, old, password string) {
	fresh, err := s.hasher.Hash(ctx, password)
	if err == nil {
		_, err = s.pool.Exec(ctx, `UPDATE frontdoor.identities SET password_hash = $3, updated_at = now()
			WHERE user_id = $1 AND connection_id = $2 AND password_hash = $4`, u.ID, connectionID, fresh, old)
	}
	if err != nil {
		s.log.WarnContext(ctx, "could not upgrade a password hash to the current argon2id parameters; will retry at the next sign-in",
			"env", u.Env, "user_id", u.ID, "error", err)
	}
}

// ListIdentities returns the user's identities (without secrets), oldest
// first; an unknown user has none.
func (s *Store) ListIdentities(ctx context.Context, env, userID string) ([]Identity, error) {
	rows, err := s.pool.Query(ctx, `SELECT user_id, connection_id, kind, created_at, updated_at
		FROM frontdoor.identities WHERE env = $1 AND user_id = $2 ORDER BY created_at, connection_id`, env, userID)
	if err != nil {
		return nil, fmt.Errorf("list identities of user %s: %w", userID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Identity, error) {
		var i Identity
		err := row.Scan(&i.UserID, &i.ConnectionID, &i.Kind, &i.CreatedAt, &i.UpdatedAt)
		return i, err
	})
	if err != nil {
		return nil, fmt.Errorf("list identities of user %s: %w", userID, err)
	}
	return out, nil
}
