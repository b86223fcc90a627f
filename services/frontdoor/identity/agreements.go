package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
)

// Agreement statuses.
const (
	AgreementActive    = "active"
	AgreementCancelled = "cancelled"
)

// Agreement is a user's subscription to a plan, as in Kinde billing: its
// ID (agreement_… followed by 32 time-ordered hex digits) is the
// context.billing.agreementId of user:plan_cancellation_request. A user has
// at most one active agreement; changing plan changes the plan of that
// agreement, cancelling it ends it.
type Agreement struct {
	ID     string
	Env    string
	UserID string
	// OrgCode is the organization the plan was chosen for, "" when none.
	OrgCode  string
	PlanCode string
	// Status is AgreementActive or AgreementCancelled.
	Status      string
	StartedAt   time.Time
	UpdatedAt   time.Time
	CancelledAt *time.Time // set when cancelled
}

// ErrAgreementChanged is returned, wrapped, when a plan change or a
// cancellation was decided on an agreement that is no longer the user's
// active one on the same plan: another change came first. Reading the
// agreement again and deciding again is safe.
var ErrAgreementChanged = errors.New("the user's plan changed meanwhile")

const agreementColumns = `id, env, user_id, org_code, plan_code, status, started_at, updated_at, cancelled_at`

func scanAgreement(row pgx.Row) (*Agreement, error) {
	var a Agreement
	if err := row.Scan(&a.ID, &a.Env, &a.UserID, &a.OrgCode, &a.PlanCode, &a.Status, &a.StartedAt,
		&a.UpdatedAt, &a.CancelledAt); err != nil {
		return nil, err
	}
	return &a, nil
}

// ActiveAgreement returns the active agreement of user userID, or an error
// wrapping [ErrNotFound] when the user has none (or does not exist).
func (s *Store) ActiveAgreement(ctx context.Context, env, userID string) (*Agreement, error) {
	a, err := scanAgreement(s.pool.QueryRow(ctx, `SELECT `+agreementColumns+` FROM frontdoor.agreements
		WHERE env = $1 AND user_id = $2 AND status = 'active'`, env, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("active plan of user %s in environment %s: %w", userID, env, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get active plan of user %s: %w", userID, err)
	}
	return a, nil
}

// LatestAgreement returns the active agreement of user userID or, when
// there is none, the one most recently started; an error wrapping
// [ErrNotFound] when the user never had one.
func (s *Store) LatestAgreement(ctx context.Context, env, userID string) (*Agreement, error) {
	a, err := scanAgreement(s.pool.QueryRow(ctx, `SELECT `+agreementColumns+` FROM frontdoor.agreements
		WHERE env = $1 AND user_id = $2 ORDER BY status = 'active' DESC, id DESC LIMIT 1`, env, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("plan of user %s in environment %s: %w", userID, env, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get plan of user %s: %w", userID, err)
	}
	return a, nil
}

// PlanChange is what [Store.ChangePlan] needs.
type PlanChange struct {
	Env    string
	UserID string
	// PlanCode is the plan the user moves to.
	PlanCode string
	// OrgCode is the organization the plan is chosen for; "" keeps the
	// active agreement's (or none for a new one).
	OrgCode string
	// From is the active agreement the change was decided on, nil when the
	// user had none. The change applies only if it is still the user's
	// active agreement, on the same plan.
	From *Agreement
}

// ChangePlan puts a user on plan pc.PlanCode: it changes the plan of the
// active agreement pc.From, or starts a new agreement when pc.From is nil.
// It runs no workflow: the caller fires user:plan_selection first.
//
// # Errors
//
// [ErrAgreementChanged] when pc.From is no longer the user's active
// agreement on the same plan, or when the user got an active agreement
// after pc.From was read as nil; [ErrNotFound] naming the plan or the user
// when either does not exist in the environment; [ErrInvalid] for a
// malformed plan code.
func (s *Store) ChangePlan(ctx context.Context, pc PlanChange) (*Agreement, error) {
	if err := CheckPlanCode(pc.PlanCode); err != nil {
		return nil, fmt.Errorf("change plan of user %s: %w", pc.UserID, err)
	}
	var (
		a   *Agreement
		err error
	)
	if pc.From == nil {
		a, err = scanAgreement(s.pool.QueryRow(ctx, `INSERT INTO frontdoor.agreements (id, env, user_id, org_code, plan_code, status)
			VALUES ($1, $2, $3, $4, $5, 'active') RETURNING `+agreementColumns,
			ids.New("agreement"), pc.Env, pc.UserID, pc.OrgCode, pc.PlanCode))
	} else {
		a, err = scanAgreement(s.pool.QueryRow(ctx, `UPDATE frontdoor.agreements
			SET plan_code = $5, org_code = CASE WHEN $6 = '' THEN org_code ELSE $6 END, updated_at = now()
			WHERE env = $1 AND user_id = $2 AND id = $3 AND plan_code = $4 AND status = 'active'
			RETURNING `+agreementColumns, pc.Env, pc.UserID, pc.From.ID, pc.From.PlanCode, pc.PlanCode, pc.OrgCode))
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("change plan of user %s: agreement %s is no longer active on plan %s: %w",
			pc.UserID, pc.From.ID, pc.From.PlanCode, ErrAgreementChanged)
	}
	if err != nil {
		return nil, fmt.Errorf("change plan of user %s to %s: %w", pc.UserID, pc.PlanCode, agreementError(err, pc.Env, pc.UserID, pc.PlanCode))
	}
	return a, nil
}

// CancelAgreement cancels the active agreement from of user userID. It
// runs no workflow: the caller fires user:plan_cancellation_request first.
//
// # Errors
//
// [ErrAgreementChanged] when from is no longer the user's active agreement
// on the same plan.
func (s *Store) CancelAgreement(ctx context.Context, env, userID string, from *Agreement) (*Agreement, error) {
	a, err := scanAgreement(s.pool.QueryRow(ctx, `UPDATE frontdoor.agreements
		SET status = 'cancelled', cancelled_at = now(), updated_at = now()
		WHERE env = $1 AND user_id = $2 AND id = $3 AND plan_code = $4 AND status = 'active'
		RETURNING `+agreementColumns, env, userID, from.ID, from.PlanCode))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("cancel plan of user %s: agreement %s is no longer active on plan %s: %w",
			userID, from.ID, from.PlanCode, ErrAgreementChanged)
	}
	if err != nil {
		return nil, fmt.Errorf("cancel plan of user %s: %w", userID, err)
	}
	return a, nil
}

// AssignDefaultPlan starts an agreement on the default plan of env for a
// user who has no active one (a new user). It returns nil and no error when
// the environment has no default plan or the user already has an active
// agreement. It runs no workflow: user:plan_selection does not fire for
// automatic assignments.
func (s *Store) AssignDefaultPlan(ctx context.Context, env, userID string) (*Agreement, error) {
	a, err := scanAgreement(s.pool.QueryRow(ctx, `INSERT INTO frontdoor.agreements (id, env, user_id, plan_code, status)
		SELECT $1, env, $3, code, 'active' FROM frontdoor.plans WHERE env = $2 AND is_default
		ON CONFLICT (env, user_id) WHERE status = 'active' DO NOTHING
		RETURNING `+agreementColumns, ids.New("agreement"), env, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("assign the default plan to user %s: %w", userID, agreementError(err, env, userID, ""))
	}
	return a, nil
}

// agreementError names what a failed agreement write ran into.
func agreementError(err error, env, userID, planCode string) error {
	switch code, constraint := pgCode(err); {
	case code == pgUniqueViolation && constraint == "agreements_active_user":
		return fmt.Errorf("user %s got an active plan meanwhile: %w", userID, ErrAgreementChanged)
	case code == pgForeignKeyViolation && constraint == "agreements_user_fkey":
		return fmt.Errorf("user %s in environment %s: %w", userID, env, ErrNotFound)
	case code == pgForeignKeyViolation && constraint == "agreements_plan_fkey":
		return fmt.Errorf("plan %q in environment %s: %w", planCode, env, ErrNotFound)
	}
	return err
}
