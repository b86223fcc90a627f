package authstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Stages of a Flow: what it waits for.
const (
	// StageOrganization: the user chooses the organization to sign in to.
	StageOrganization = "organization"
	// StageMFA: the user completes MFA (enrolls a factor, answers a
	// challenge); Flow.MFA holds the step.
	StageMFA = "mfa"
)

// Flow is an authentication in progress between two requests: the user is
// known (they signed in, or have a session) and the authorization request
// waits for a step of theirs.
type Flow struct {
	Env          string
	UserID       string
	ConnectionID string
	// Params is the authorization request's query.
	Params   string
	AuthTime time.Time
	AMR      []string
	NewUser  bool
	// SessionID is set when the flow continues an existing session.
	SessionID string
	OrgCode   string
	Stage     string
	// MFA is the frontdoor's state of the MFA step (JSON), {} otherwise.
	MFA       json.RawMessage
	CreatedAt time.Time
	ExpiresAt time.Time
}

const flowColumns = `env, user_id, connection_id, params, auth_time, amr, new_user, session_id, org_code, stage, mfa, created_at, expires_at`

func scanFlow(row pgx.Row) (*Flow, error) {
	var f Flow
	if err := row.Scan(&f.Env, &f.UserID, &f.ConnectionID, &f.Params, &f.AuthTime, &f.AMR, &f.NewUser,
		&f.SessionID, &f.OrgCode, &f.Stage, &f.MFA, &f.CreatedAt, &f.ExpiresAt); err != nil {
		return nil, err
	}
	return &f, nil
}

// CreateFlow stores f, created at now and lasting ttl, and returns the
// secret token for its cookie.
func (st *Store) CreateFlow(ctx context.Context, f Flow, now time.Time, ttl time.Duration) (string, error) {
	token, hash, err := newSecret()
	if err != nil {
		return "", err
	}
	if f.AMR == nil {
		f.AMR = []string{}
	}
	if len(f.MFA) == 0 {
		f.MFA = json.RawMessage("{}")
	}
	_, err = st.pool.Exec(ctx, `INSERT INTO frontdoor.auth_flows
		(token_hash, env, user_id, connection_id, params, auth_time, amr, new_user, session_id, org_code, stage, mfa, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		hash, f.Env, f.UserID, f.ConnectionID, f.Params, f.AuthTime, f.AMR, f.NewUser, f.SessionID, f.OrgCode,
		f.Stage, f.MFA, now, now.Add(ttl))
	if err != nil {
		return "", fmt.Errorf("create authentication flow of user %s: %w", f.UserID, err)
	}
	return token, nil
}

// FlowByToken returns the flow of env waiting at stage whose cookie value
// is token, or an error wrapping [ErrNotFound] when there is none, it waits
// at another stage, or it expired at now.
func (st *Store) FlowByToken(ctx context.Context, env, token, stage string, now time.Time) (*Flow, error) {
	if !validSecret(token) {
		return nil, fmt.Errorf("authentication flow: %w", ErrNotFound)
	}
	f, err := scanFlow(st.pool.QueryRow(ctx, `SELECT `+flowColumns+` FROM frontdoor.auth_flows
		WHERE token_hash = $1 AND env = $2 AND stage = $3 AND expires_at > $4`, hashSecret(token), env, stage, now))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("authentication flow: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("look up authentication flow: %w", err)
	}
	return f, nil
}

// TakeFlow deletes the flow of env waiting at stage whose cookie value is
// token and returns it: a flow is resumed once. ErrNotFound when there is
// none, it waits at another stage (it is then left as it is), or it
// expired at now.
func (st *Store) TakeFlow(ctx context.Context, env, token, stage string, now time.Time) (*Flow, error) {
	if !validSecret(token) {
		return nil, fmt.Errorf("authentication flow: %w", ErrNotFound)
	}
	f, err := scanFlow(st.pool.QueryRow(ctx, `DELETE FROM frontdoor.auth_flows
		WHERE token_hash = $1 AND env = $2 AND stage = $3 AND expires_at > $4 RETURNING `+flowColumns,
		hashSecret(token), env, stage, now))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("authentication flow: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("take authentication flow: %w", err)
	}
	return f, nil
}

// SetFlowMFA replaces the MFA state of the flow of env waiting at stage
// whose cookie value is token. ErrNotFound when there is none, it waits at
// another stage, or it expired at now.
func (st *Store) SetFlowMFA(ctx context.Context, env, token, stage string, mfa json.RawMessage, now time.Time) error {
	if !validSecret(token) {
		return fmt.Errorf("authentication flow: %w", ErrNotFound)
	}
	tag, err := st.pool.Exec(ctx, `UPDATE frontdoor.auth_flows SET mfa = $5
		WHERE token_hash = $1 AND env = $2 AND stage = $3 AND expires_at > $4`, hashSecret(token), env, stage, now, mfa)
	if err != nil {
		return fmt.Errorf("update authentication flow: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("authentication flow: %w", ErrNotFound)
	}
	return nil
}

// DeleteFlow ends the flow of env whose cookie value is token, whatever its
// stage; it reports whether there was one. The browser signed out, or
// started or finished another sign-in.
func (st *Store) DeleteFlow(ctx context.Context, env, token string) (bool, error) {
	if !validSecret(token) {
		return false, nil
	}
	tag, err := st.pool.Exec(ctx, `DELETE FROM frontdoor.auth_flows WHERE token_hash = $1 AND env = $2`, hashSecret(token), env)
	if err != nil {
		return false, fmt.Errorf("delete authentication flow: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}
