package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
)

// maxNameRunes bounds display names (users, organizations, applications).
const maxNameRunes = 256

// User is a person who signs in. IDs look like Kinde's: kp_ followed by 32
// hex digits, time-ordered.
type User struct {
	ID            string
	Env           string
	Email         string // normalised, see NormalizeEmail
	EmailVerified bool
	GivenName     string
	FamilyName    string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	LastSignInAt  *time.Time // nil until the first RecordSignIn
}

// NewUser is what [Store.CreateUser] needs.
type NewUser struct {
	Env           string
	Email         string
	EmailVerified bool
	GivenName     string
	FamilyName    string
}

// UserUpdate lists the fields [Store.UpdateUser] changes; nil fields keep
// their value.
type UserUpdate struct {
	Email         *string
	EmailVerified *bool
	GivenName     *string
	FamilyName    *string
}

const userColumns = `id, env, email, email_verified, given_name, family_name, created_at, updated_at, last_sign_in_at`

func scanUser(row pgx.Row) (*User, error) { return scanUserWith(row) }

// scanUserWith scans userColumns followed by extra columns into extra.
func scanUserWith(row pgx.Row, extra ...any) (*User, error) {
	var u User
	dest := append([]any{&u.ID, &u.Env, &u.Email, &u.EmailVerified, &u.GivenName, &u.FamilyName,
		&u.CreatedAt, &u.UpdatedAt, &u.LastSignInAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateUser creates a user without any identity (see [Store.SetPassword]).
//
// # Errors
//
// [ErrInvalid] for a malformed environment name, email or over-long name;
// [ErrAlreadyExists] when the email (in any case) belongs to another user of
// the environment; [ErrNotFound] when the environment does not exist.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	if err := checkEnv(nu.Env); err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	if err := checkName("given name", nu.GivenName); err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	if err := checkName("family name", nu.FamilyName); err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `INSERT INTO frontdoor.users
		(id, env, email, email_verified, given_name, family_name) VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING `+userColumns,
		ids.New("kp"), nu.Env, email, nu.EmailVerified, nu.GivenName, nu.FamilyName))
	if err != nil {
		return nil, fmt.Errorf("create user %s in environment %s: %w", email, nu.Env, userWriteError(err, nu.Env))
	}
	return u, nil
}

// userWriteError maps the constraint violations of inserting or updating a
// user.
func userWriteError(err error, env string) error {
	switch code, constraint := pgCode(err); {
	case code == pgUniqueViolation && constraint == "users_env_email":
		return fmt.Errorf("another user of the environment has this email address: %w", ErrAlreadyExists)
	case code == pgForeignKeyViolation:
		return envError(err, env)
	}
	return err
}

// GetUser returns user id of environment env, or an error wrapping
// [ErrNotFound].
func (s *Store) GetUser(ctx context.Context, env, id string) (*User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM frontdoor.users
		WHERE env = $1 AND id = $2`, env, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("user %s in environment %s: %w", id, env, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, err)
	}
	return u, nil
}

// GetUserByEmail returns the user of environment env with this email,
// compared case-insensitively, or an error wrapping [ErrNotFound] (or
// [ErrInvalid] for a malformed address).
func (s *Store) GetUserByEmail(ctx context.Context, env, email string) (*User, error) {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return nil, fmt.Errorf("get user by email: %w", err)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM frontdoor.users
		WHERE env = $1 AND email = $2`, env, norm))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("user with email %s in environment %s: %w", norm, env, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get user by email: %w", err)
	}
	return u, nil
}

// ListUsers returns up to limit users of env (at most 1,000; 100 when limit
// <= 0) in creation order, starting after the user id after ("" for the
// first page). Pass the last id of a page to get the next.
func (s *Store) ListUsers(ctx context.Context, env, after string, limit int) ([]User, error) {
	limit = pageSize(limit)
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM frontdoor.users
		WHERE env = $1 AND id > $2 ORDER BY id LIMIT $3`, env, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list users of environment %s: %w", env, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) {
		u, err := scanUser(row)
		if err != nil {
			return User{}, err
		}
		return *u, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list users of environment %s: %w", env, err)
	}
	return out, nil
}

// UpdateUser changes the non-nil fields of upd and returns the user. A new
// email is normalised and must be free in the environment ([ErrAlreadyExists]
// otherwise); it does not change EmailVerified unless upd sets it too.
func (s *Store) UpdateUser(ctx context.Context, env, id string, upd UserUpdate) (*User, error) {
	var email *string
	if upd.Email != nil {
		norm, err := NormalizeEmail(*upd.Email)
		if err != nil {
			return nil, fmt.Errorf("update user %s: %w", id, err)
		}
		email = &norm
	}
	if upd.GivenName != nil {
		if err := checkName("given name", *upd.GivenName); err != nil {
			return nil, fmt.Errorf("update user %s: %w", id, err)
		}
	}
	if upd.FamilyName != nil {
		if err := checkName("family name", *upd.FamilyName); err != nil {
			return nil, fmt.Errorf("update user %s: %w", id, err)
		}
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `UPDATE frontdoor.users SET
		email = coalesce($3, email),
		-- a new address is unverified unless the update says otherwise
		email_verified = coalesce($4, CASE WHEN $3::text IS NOT NULL AND $3::text <> email THEN false ELSE email_verified END),
		given_name = coalesce($5, given_name),
		family_name = coalesce($6, family_name),
		updated_at = now()
		WHERE env = $1 AND id = $2
		RETURNING `+userColumns, env, id, email, upd.EmailVerified, upd.GivenName, upd.FamilyName))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("update user %s in environment %s: %w", id, env, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("update user %s: %w", id, userWriteError(err, env))
	}
	return u, nil
}

// RecordSignIn sets the user's last sign-in time to now and returns it. The
// frontdoor calls it once a sign-in completes (after MFA, if any).
func (s *Store) RecordSignIn(ctx context.Context, env, id string) (time.Time, error) {
	var at time.Time
	err := s.pool.QueryRow(ctx, `UPDATE frontdoor.users SET last_sign_in_at = now()
		WHERE env = $1 AND id = $2 RETURNING last_sign_in_at`, env, id).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, fmt.Errorf("record sign-in of user %s in environment %s: %w", id, env, ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("record sign-in of user %s: %w", id, err)
	}
	return at, nil
}

// DeleteUser deletes a user with their identities and memberships.
func (s *Store) DeleteUser(ctx context.Context, env, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM frontdoor.users WHERE env = $1 AND id = $2`, env, id)
	if err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete user %s in environment %s: %w", id, env, ErrNotFound)
	}
	return nil
}

// checkName refuses display names that are not UTF-8 or longer than
// maxNameRunes characters. what names the field in the error.
func checkName(what, name string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	}
	if n := utf8.RuneCountInString(name); n > maxNameRunes {
		return fmt.Errorf("%w: %s is %d characters long, the limit is %d", ErrInvalid, what, n, maxNameRunes)
	}
	return nil
}

// prefixed qualifies every name of a comma-separated column list with
// prefix (a table alias and a dot).
func prefixed(prefix, columns string) string {
	names := strings.Split(columns, ",")
	for i, n := range names {
		names[i] = prefix + strings.TrimSpace(n)
	}
	return strings.Join(names, ", ")
}

// pageSize clamps a list limit to 1..1000, defaulting to 100.
func pageSize(limit int) int {
	switch {
	case limit <= 0:
		return 100
	case limit > 1000:
		return 1000
	}
	return limit
}
