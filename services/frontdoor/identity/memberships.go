package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Limits on the roles of a membership.
const (
	maxRoles         = 100
	maxRoleKeyLength = 128
)

// Membership makes a user a member of an organization with roles (role
// keys, as in Kinde: "admin", "billing-manager"…).
type Membership struct {
	Env       string
	OrgCode   string
	UserID    string
	Roles     []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UserOrganization is an organization a user belongs to, with their roles
// in it.
type UserOrganization struct {
	Organization
	Roles []string
}

const membershipColumns = `env, org_code, user_id, roles, created_at, updated_at`

func scanMembership(row pgx.Row) (*Membership, error) {
	var m Membership
	if err := row.Scan(&m.Env, &m.OrgCode, &m.UserID, &m.Roles, &m.CreatedAt, &m.UpdatedAt); err != nil {
		return nil, err
	}
	return &m, nil
}

// normalizeRoles returns roles without duplicates, in their first order,
// refusing blank, over-long or too many role keys.
func normalizeRoles(roles []string) ([]string, error) {
	out := make([]string, 0, len(roles))
	seen := make(map[string]bool, len(roles))
	for _, r := range roles {
		switch {
		case strings.TrimSpace(r) == "":
			return nil, fmt.Errorf("%w: a role key is blank", ErrInvalid)
		case r != strings.TrimSpace(r):
			return nil, fmt.Errorf("%w: role key %q has surrounding white space", ErrInvalid, r)
		case !utf8.ValidString(r) || len(r) > maxRoleKeyLength:
			return nil, fmt.Errorf("%w: role key %q must be UTF-8 of at most %d bytes", ErrInvalid, r, maxRoleKeyLength)
		case seen[r]:
			continue
		}
		seen[r] = true
		out = append(out, r)
	}
	if len(out) > maxRoles {
		return nil, fmt.Errorf("%w: %d roles given, the limit is %d per membership", ErrInvalid, len(out), maxRoles)
	}
	return out, nil
}

// SetMembership makes user userID a member of organization orgCode with
// exactly these roles (none is fine), creating the membership or replacing
// its roles. Duplicate roles are dropped.
//
// # Errors
//
// [ErrNotFound] naming the organization or the user when either does not
// exist in env; [ErrInvalid] for blank, over-long or too many roles.
func (s *Store) SetMembership(ctx context.Context, env, orgCode, userID string, roles []string) (*Membership, error) {
	roles, err := normalizeRoles(roles)
	if err != nil {
		return nil, fmt.Errorf("set membership of user %s in organization %s: %w", userID, orgCode, err)
	}
	m, err := scanMembership(s.pool.QueryRow(ctx, `INSERT INTO frontdoor.memberships (env, org_code, user_id, roles)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (env, org_code, user_id) DO UPDATE SET roles = EXCLUDED.roles, updated_at = now()
		WHERE frontdoor.memberships.env = EXCLUDED.env
		RETURNING `+membershipColumns, env, orgCode, userID, roles))
	if err != nil {
		switch code, constraint := pgCode(err); {
		case code == pgForeignKeyViolation && constraint == "memberships_org_fkey":
			err = fmt.Errorf("organization %s in environment %s: %w", orgCode, env, ErrNotFound)
		case code == pgForeignKeyViolation && constraint == "memberships_user_fkey":
			err = fmt.Errorf("user %s in environment %s: %w", userID, env, ErrNotFound)
		}
		return nil, fmt.Errorf("set membership of user %s in organization %s: %w", userID, orgCode, err)
	}
	return m, nil
}

// GetMembership returns the membership of userID in orgCode, or an error
// wrapping [ErrNotFound] when the user is not a member.
func (s *Store) GetMembership(ctx context.Context, env, orgCode, userID string) (*Membership, error) {
	m, err := scanMembership(s.pool.QueryRow(ctx, `SELECT `+membershipColumns+` FROM frontdoor.memberships
		WHERE env = $1 AND org_code = $2 AND user_id = $3`, env, orgCode, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("membership of user %s in organization %s (environment %s): %w", userID, orgCode, env, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get membership of user %s in organization %s: %w", userID, orgCode, err)
	}
	return m, nil
}

// RemoveMembership removes userID from orgCode, or returns an error wrapping
// [ErrNotFound] when the user is not a member.
func (s *Store) RemoveMembership(ctx context.Context, env, orgCode, userID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM frontdoor.memberships WHERE env = $1 AND org_code = $2 AND user_id = $3`,
		env, orgCode, userID)
	if err != nil {
		return fmt.Errorf("remove user %s from organization %s: %w", userID, orgCode, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("remove user %s from organization %s (environment %s): not a member: %w", userID, orgCode, env, ErrNotFound)
	}
	return nil
}

// ListMembers returns the memberships of organization orgCode, oldest
// first, or an error wrapping [ErrNotFound] when the organization does not
// exist.
func (s *Store) ListMembers(ctx context.Context, env, orgCode string) ([]Membership, error) {
	var out []Membership
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM frontdoor.organizations WHERE env = $1 AND code = $2)`,
			env, orgCode).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("no such organization in environment %s: %w", env, ErrNotFound)
		}
		rows, err := tx.Query(ctx, `SELECT `+membershipColumns+` FROM frontdoor.memberships
			WHERE env = $1 AND org_code = $2 ORDER BY created_at, user_id`, env, orgCode)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Membership, error) {
			m, err := scanMembership(row)
			if err != nil {
				return Membership{}, err
			}
			return *m, nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list members of organization %s: %w", orgCode, err)
	}
	return out, nil
}

// ListUserOrganizations returns the organizations userID belongs to in env,
// with the user's roles in each, in the organizations' creation order. An
// unknown user belongs to none.
func (s *Store) ListUserOrganizations(ctx context.Context, env, userID string) ([]UserOrganization, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+prefixed("o.", orgColumns)+`, m.roles
		FROM frontdoor.memberships m
		JOIN frontdoor.organizations o ON o.env = m.env AND o.code = m.org_code
		WHERE m.env = $1 AND m.user_id = $2 ORDER BY o.code`, env, userID)
	if err != nil {
		return nil, fmt.Errorf("list organizations of user %s: %w", userID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (UserOrganization, error) {
		var uo UserOrganization
		o, err := scanOrg(row, &uo.Roles)
		if err != nil {
			return UserOrganization{}, err
		}
		uo.Organization = *o
		return uo, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list organizations of user %s: %w", userID, err)
	}
	return out, nil
}
