package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/envname"
)

// Environment is a tenant environment (production, staging…). Its ID is
// the name every row and NATS subject carries ([envname.Validate]); Name is
// for display.
type Environment struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// EnsureEnvironment creates environment id with display name name (id when
// empty) unless it exists, and returns it. An existing environment keeps its
// name.
func (s *Store) EnsureEnvironment(ctx context.Context, id, name string) (*Environment, error) {
	if err := envname.Validate(id); err != nil {
		return nil, fmt.Errorf("ensure environment: %w: %w", ErrInvalid, err)
	}
	if name == "" {
		name = id
	}
	var e Environment
	// The no-op update makes RETURNING produce the existing row too.
	err := s.pool.QueryRow(ctx, `INSERT INTO frontdoor.environments (id, name) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
		RETURNING id, name, created_at`, id, name).Scan(&e.ID, &e.Name, &e.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("ensure environment %s: %w", id, err)
	}
	return &e, nil
}

// EnsureDefaultEnvironment ensures the environment a fresh install has,
// [envname.Default] ("production"), exists.
func (s *Store) EnsureDefaultEnvironment(ctx context.Context) (*Environment, error) {
	return s.EnsureEnvironment(ctx, envname.Default, "Production")
}

// GetEnvironment returns environment id, or an error wrapping [ErrNotFound].
func (s *Store) GetEnvironment(ctx context.Context, id string) (*Environment, error) {
	var e Environment
	err := s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM frontdoor.environments WHERE id = $1`, id).
		Scan(&e.ID, &e.Name, &e.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("environment %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get environment %s: %w", id, err)
	}
	return &e, nil
}

// ListEnvironments returns every environment, by id.
func (s *Store) ListEnvironments(ctx context.Context) ([]Environment, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, created_at FROM frontdoor.environments ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Environment, error) {
		var e Environment
		err := row.Scan(&e.ID, &e.Name, &e.CreatedAt)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	return out, nil
}

// envError turns a foreign-key violation on an environment into an error
// wrapping [ErrNotFound] that names it; other errors are returned unchanged.
func envError(err error, env string) error {
	if code, _ := pgCode(err); code == pgForeignKeyViolation {
		return fmt.Errorf("environment %q does not exist: %w", env, ErrNotFound)
	}
	return err
}

// checkEnv validates an environment name argument.
func checkEnv(env string) error {
	if err := envname.Validate(env); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}
