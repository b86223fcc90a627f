package identity

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
)

// Register creates a user with an email + password identity in one
// transaction: either both exist afterwards or neither does. The password
// is checked against the policy and hashed before anything is written.
//
// # Errors
//
// As [Store.CreateUser] and [Store.SetPassword]: [ErrInvalid],
// [ErrAlreadyExists], [ErrNotFound], a [*PasswordPolicyError].
func (s *Store) Register(ctx context.Context, nu NewUser, password string) (*User, error) {
	if err := checkEnv(nu.Env); err != nil {
		return nil, fmt.Errorf("register user: %w", err)
	}
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return nil, fmt.Errorf("register user: %w", err)
	}
	if err := checkName("given name", nu.GivenName); err != nil {
		return nil, fmt.Errorf("register user: %w", err)
	}
	if err := checkName("family name", nu.FamilyName); err != nil {
		return nil, fmt.Errorf("register user: %w", err)
	}
	if err := CheckPasswordPolicy(password); err != nil {
		return nil, fmt.Errorf("register user: %w", err)
	}
	conn, err := s.EmailPasswordConnection(ctx, nu.Env)
	if err != nil {
		return nil, fmt.Errorf("register user: %w", err)
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, fmt.Errorf("register user: %w", err)
	}
	var u *User
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `INSERT INTO frontdoor.users
			(id, env, email, email_verified, given_name, family_name) VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING `+userColumns,
			ids.New("kp"), nu.Env, email, nu.EmailVerified, nu.GivenName, nu.FamilyName))
		if err != nil {
			return userWriteError(err, nu.Env)
		}
		_, err = tx.Exec(ctx, `INSERT INTO frontdoor.identities (env, user_id, connection_id, kind, password_hash)
			VALUES ($1, $2, $3, 'email_password', $4)`, nu.Env, u.ID, conn.ID, hash)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("register user %s in environment %s: %w", email, nu.Env, err)
	}
	return u, nil
}
