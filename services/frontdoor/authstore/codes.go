package authstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
)

// Code is what an authorization code stands for: the request it answers
// (client, redirect URI, PKCE challenge, nonce, scope) and the sign-in it
// carries (user, session, auth_time, amr). GrantID names the grant: every
// token issued from the code is recorded under it by the tokens service, so
// a replayed code can revoke them all.
type Code struct {
	GrantID       string
	Env           string
	ClientID      string
	RedirectURI   string
	CodeChallenge string
	Nonce         string
	Scope         []string
	UserID        string
	SessionID     string
	ConnectionID  string
	OrgCode       string
	AuthTime      time.Time
	AMR           []string
	// ExistingSession is true when the code was issued from an existing
	// session, without a sign-in in this request.
	ExistingSession bool
	// DeployID is the deployment previewed in the request, if any.
	DeployID string
	// ACR is the session's assurance ("mfa" after MFA).
	ACR       string
	CreatedAt time.Time
	ExpiresAt time.Time
}

const codeColumns = `grant_id, env, client_id, redirect_uri, code_challenge, nonce, scope, user_id,
	session_id, connection_id, org_code, auth_time, amr, existing_session, deploy_id, acr, created_at, expires_at`

func scanCode(row pgx.Row, extra ...any) (*Code, error) {
	var c Code
	dest := append([]any{&c.GrantID, &c.Env, &c.ClientID, &c.RedirectURI, &c.CodeChallenge, &c.Nonce, &c.Scope,
		&c.UserID, &c.SessionID, &c.ConnectionID, &c.OrgCode, &c.AuthTime, &c.AMR, &c.ExistingSession,
		&c.DeployID, &c.ACR, &c.CreatedAt, &c.ExpiresAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	return &c, nil
}

// CreateCode stores c, created at now and valid for ttl, with a new grant id,
// and returns it with the code to hand to the client (the only time the
// code exists in clear).
func (st *Store) CreateCode(ctx context.Context, c Code, now time.Time, ttl time.Duration) (*Code, string, error) {
	code, hash, err := newSecret()
	if err != nil {
		return nil, "", err
	}
	if c.Scope == nil {
		c.Scope = []string{}
	}
	if c.AMR == nil {
		c.AMR = []string{}
	}
	out, err := scanCode(st.pool.QueryRow(ctx, `INSERT INTO frontdoor.auth_codes
		(code_hash, grant_id, env, client_id, redirect_uri, code_challenge, nonce, scope, user_id,
		 session_id, connection_id, org_code, auth_time, amr, existing_session, deploy_id, acr, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		RETURNING `+codeColumns,
		hash, ids.New("grant"), c.Env, c.ClientID, c.RedirectURI, c.CodeChallenge, c.Nonce, c.Scope, c.UserID,
		c.SessionID, c.ConnectionID, c.OrgCode, c.AuthTime, c.AMR, c.ExistingSession, c.DeployID, c.ACR, now, now.Add(ttl)))
	if err != nil {
		return nil, "", fmt.Errorf("create authorization code for client %s: %w", c.ClientID, err)
	}
	return out, code, nil
}

// RedeemCode marks the code of env used at now and returns what it stands
// for. It is the single point where a code is consumed: of any number of
// concurrent redemptions exactly one succeeds.
//
// # Errors
//
//   - [ErrNotFound]: no such code in env.
//   - [ErrCodeReused]: the code was redeemed before; the code is returned
//     with the error so that the caller can revoke its grant, and the
//     replay is recorded (see [Store.CodeReplayed]).
//   - [ErrCodeExpired]: the code is past its lifetime; it is consumed all
//     the same and returned with the error.
func (st *Store) RedeemCode(ctx context.Context, env, code string, now time.Time) (*Code, error) {
	if !validSecret(code) {
		return nil, fmt.Errorf("authorization code: %w", ErrNotFound)
	}
	hash := hashSecret(code)
	var (
		out      *Code
		usedAt   *time.Time
		redeemed bool
	)
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		c, err := scanCode(tx.QueryRow(ctx, `SELECT `+codeColumns+`, used_at FROM frontdoor.auth_codes
			WHERE code_hash = $1 AND env = $2 FOR UPDATE`, hash, env), &usedAt)
		if err != nil {
			return err
		}
		out = c
		if usedAt != nil {
			_, err = tx.Exec(ctx, `UPDATE frontdoor.auth_codes SET reused_at = coalesce(reused_at, $2)
				WHERE code_hash = $1`, hash, now)
			return err
		}
		redeemed = true
		_, err = tx.Exec(ctx, `UPDATE frontdoor.auth_codes SET used_at = $2 WHERE code_hash = $1`, hash, now)
		return err
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, fmt.Errorf("authorization code: %w", ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("redeem authorization code: %w", err)
	case !redeemed:
		return out, fmt.Errorf("authorization code of grant %s, first used at %s: %w",
			out.GrantID, usedAt.UTC().Format(time.RFC3339), ErrCodeReused)
	case !now.Before(out.ExpiresAt):
		return out, fmt.Errorf("authorization code of grant %s expired at %s: %w",
			out.GrantID, out.ExpiresAt.UTC().Format(time.RFC3339), ErrCodeExpired)
	}
	return out, nil
}

// CodeReplayed reports whether the code of grantID was presented again after
// its redemption. The token endpoint asks once it has issued tokens, so
// that a replay racing the first redemption still revokes them.
func (st *Store) CodeReplayed(ctx context.Context, grantID string) (bool, error) {
	var replayed bool
	err := st.pool.QueryRow(ctx, `SELECT reused_at IS NOT NULL FROM frontdoor.auth_codes WHERE grant_id = $1`,
		grantID).Scan(&replayed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check replay of grant %s: %w", grantID, err)
	}
	return replayed, nil
}
