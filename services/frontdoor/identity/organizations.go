package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
)

// Organization groups users, as Kinde organizations do. Its Code (org_…
// followed by 32 hex digits, time-ordered) is what tokens and trigger
// events carry.
type Organization struct {
	Code      string
	Env       string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const orgColumns = `code, env, name, created_at, updated_at`

func scanOrg(row pgx.Row, extra ...any) (*Organization, error) {
	var o Organization
	dest := append([]any{&o.Code, &o.Env, &o.Name, &o.CreatedAt, &o.UpdatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	return &o, nil
}

// checkOrgName requires a non-blank name of at most maxNameRunes
// characters.
func checkOrgName(name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%w: organization name is required", ErrInvalid)
	}
	return checkName("organization name", name)
}

// CreateOrganization creates an organization named name in env.
//
// # Errors
//
// [ErrInvalid] for a blank or over-long name or a malformed environment;
// [ErrNotFound] when the environment does not exist.
func (s *Store) CreateOrganization(ctx context.Context, env, name string) (*Organization, error) {
	if err := checkEnv(env); err != nil {
		return nil, fmt.Errorf("create organization: %w", err)
	}
	if err := checkOrgName(name); err != nil {
		return nil, fmt.Errorf("create organization: %w", err)
	}
	o, err := scanOrg(s.pool.QueryRow(ctx, `INSERT INTO frontdoor.organizations (code, env, name)
		VALUES ($1, $2, $3) RETURNING `+orgColumns, ids.New("org"), env, name))
	if err != nil {
		return nil, fmt.Errorf("create organization %q in environment %s: %w", name, env, envError(err, env))
	}
	return o, nil
}

// GetOrganization returns organization code of env, or an error wrapping
// [ErrNotFound].
func (s *Store) GetOrganization(ctx context.Context, env, code string) (*Organization, error) {
	o, err := scanOrg(s.pool.QueryRow(ctx, `SELECT `+orgColumns+` FROM frontdoor.organizations
		WHERE env = $1 AND code = $2`, env, code))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("organization %s in environment %s: %w", code, env, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get organization %s: %w", code, err)
	}
	return o, nil
}

// ListOrganizations returns the organizations of env in creation order.
func (s *Store) ListOrganizations(ctx context.Context, env string) ([]Organization, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+orgColumns+` FROM frontdoor.organizations
		WHERE env = $1 ORDER BY code`, env)
	if err != nil {
		return nil, fmt.Errorf("list organizations of environment %s: %w", env, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Organization, error) {
		o, err := scanOrg(row)
		if err != nil {
			return Organization{}, err
		}
		return *o, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list organizations of environment %s: %w", env, err)
	}
	return out, nil
}

// RenameOrganization sets the name of organization code and returns it.
func (s *Store) RenameOrganization(ctx context.Context, env, code, name string) (*Organization, error) {
	if err := checkOrgName(name); err != nil {
		return nil, fmt.Errorf("rename organization %s: %w", code, err)
	}
	o, err := scanOrg(s.pool.QueryRow(ctx, `UPDATE frontdoor.organizations SET name = $3, updated_at = now()
		WHERE env = $1 AND code = $2 RETURNING `+orgColumns, env, code, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("rename organization %s in environment %s: %w", code, env, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("rename organization %s: %w", code, err)
	}
	return o, nil
}

// DeleteOrganization deletes organization code and its memberships.
func (s *Store) DeleteOrganization(ctx context.Context, env, code string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM frontdoor.organizations WHERE env = $1 AND code = $2`, env, code)
	if err != nil {
		return fmt.Errorf("delete organization %s: %w", code, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete organization %s in environment %s: %w", code, env, ErrNotFound)
	}
	return nil
}
