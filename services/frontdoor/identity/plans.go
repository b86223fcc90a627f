package identity

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Plan is something users subscribe to, as in Kinde billing. Its Code is
// what trigger events carry (context.billing.currentPlanCode…).
type Plan struct {
	Env         string
	Code        string
	Name        string
	Description string
	// Position orders the plans when they are offered, lowest first.
	Position int
	// Default plans are assigned at sign-up; an environment has at most
	// one.
	Default   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewPlan is what [Store.CreatePlan] needs.
type NewPlan struct {
	Env         string
	Code        string
	Name        string
	Description string
	Position    int
	Default     bool
}

// maxDescriptionRunes bounds plan descriptions.
const maxDescriptionRunes = 1024

// planCodePattern is the shape of plan codes; the migration checks it too.
var planCodePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// CheckPlanCode returns an error wrapping [ErrInvalid] unless code is 1 to
// 64 lower-case letters, digits, '_' or '-', starting with a letter or a
// digit.
func CheckPlanCode(code string) error {
	if !planCodePattern.MatchString(code) {
		return fmt.Errorf("%w: plan code %q must be 1 to 64 lower-case letters, digits, '_' or '-', starting with a letter or digit", ErrInvalid, code)
	}
	return nil
}

const planColumns = `env, code, name, description, position, is_default, created_at, updated_at`

func scanPlan(row pgx.Row) (*Plan, error) {
	var p Plan
	if err := row.Scan(&p.Env, &p.Code, &p.Name, &p.Description, &p.Position, &p.Default, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	return &p, nil
}

// CreatePlan creates a plan.
//
// # Errors
//
// [ErrInvalid] for a malformed environment or code, a blank or over-long
// name or an over-long description; [ErrAlreadyExists] when the code is
// taken in the environment, or when np.Default is set and the environment
// already has a default plan; [ErrNotFound] when the environment does not
// exist.
func (s *Store) CreatePlan(ctx context.Context, np NewPlan) (*Plan, error) {
	if err := checkEnv(np.Env); err != nil {
		return nil, fmt.Errorf("create plan: %w", err)
	}
	if err := CheckPlanCode(np.Code); err != nil {
		return nil, fmt.Errorf("create plan: %w", err)
	}
	if strings.TrimSpace(np.Name) == "" {
		return nil, fmt.Errorf("create plan %s: %w: plan name is required", np.Code, ErrInvalid)
	}
	if err := checkName("plan name", np.Name); err != nil {
		return nil, fmt.Errorf("create plan %s: %w", np.Code, err)
	}
	if !utf8.ValidString(np.Description) {
		return nil, fmt.Errorf("create plan %s: %w: plan description is not valid UTF-8", np.Code, ErrInvalid)
	}
	if n := utf8.RuneCountInString(np.Description); n > maxDescriptionRunes {
		return nil, fmt.Errorf("create plan %s: %w: plan description is %d characters long, the limit is %d",
			np.Code, ErrInvalid, n, maxDescriptionRunes)
	}
	p, err := scanPlan(s.pool.QueryRow(ctx, `INSERT INTO frontdoor.plans (env, code, name, description, position, is_default)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+planColumns,
		np.Env, np.Code, np.Name, np.Description, np.Position, np.Default))
	if err != nil {
		switch code, constraint := pgCode(err); {
		case code == pgUniqueViolation && constraint == "plans_pkey":
			err = fmt.Errorf("plan %s exists already in environment %s: %w", np.Code, np.Env, ErrAlreadyExists)
		case code == pgUniqueViolation && constraint == "plans_env_default":
			err = fmt.Errorf("environment %s already has a default plan: %w", np.Env, ErrAlreadyExists)
		case code == pgForeignKeyViolation:
			err = envError(err, np.Env)
		}
		return nil, fmt.Errorf("create plan %s: %w", np.Code, err)
	}
	return p, nil
}

// GetPlan returns plan code of env, or an error wrapping [ErrNotFound].
func (s *Store) GetPlan(ctx context.Context, env, code string) (*Plan, error) {
	p, err := scanPlan(s.pool.QueryRow(ctx, `SELECT `+planColumns+` FROM frontdoor.plans
		WHERE env = $1 AND code = $2`, env, code))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("plan %q in environment %s: %w", code, env, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get plan %q: %w", code, err)
	}
	return p, nil
}

// DefaultPlan returns the default plan of env, or an error wrapping
// [ErrNotFound] when it has none.
func (s *Store) DefaultPlan(ctx context.Context, env string) (*Plan, error) {
	p, err := scanPlan(s.pool.QueryRow(ctx, `SELECT `+planColumns+` FROM frontdoor.plans
		WHERE env = $1 AND is_default`, env))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("default plan of environment %s: %w", env, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get default plan of environment %s: %w", env, err)
	}
	return p, nil
}

// ListPlans returns the plans of env by position, then code.
func (s *Store) ListPlans(ctx context.Context, env string) ([]Plan, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+planColumns+` FROM frontdoor.plans
		WHERE env = $1 ORDER BY position, code`, env)
	if err != nil {
		return nil, fmt.Errorf("list plans of environment %s: %w", env, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Plan, error) {
		p, err := scanPlan(row)
		if err != nil {
			return Plan{}, err
		}
		return *p, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list plans of environment %s: %w", env, err)
	}
	return out, nil
}
