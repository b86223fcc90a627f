package authstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PreviewGrant lets the authorization requests of ClientID in Env run
// deployment DeployID instead of the live workflows, after its preview
// password was given.
type PreviewGrant struct {
	Env       string
	DeployID  string
	ClientID  string
	ExpiresAt time.Time
}

// CreatePreviewGrant stores g, created at now and lasting ttl, and returns
// the secret token for its cookie.
func (st *Store) CreatePreviewGrant(ctx context.Context, g PreviewGrant, now time.Time, ttl time.Duration) (string, error) {
	token, hash, err := newSecret()
	if err != nil {
		return "", err
	}
	_, err = st.pool.Exec(ctx, `INSERT INTO frontdoor.preview_grants (token_hash, env, deploy_id, client_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, hash, g.Env, g.DeployID, g.ClientID, now, now.Add(ttl))
	if err != nil {
		return "", fmt.Errorf("create preview grant for deployment %s: %w", g.DeployID, err)
	}
	return token, nil
}

// PreviewGrantByToken returns the grant of env whose cookie value is token,
// or an error wrapping [ErrNotFound] when there is none or it expired at
// now.
func (st *Store) PreviewGrantByToken(ctx context.Context, env, token string, now time.Time) (*PreviewGrant, error) {
	if !validSecret(token) {
		return nil, fmt.Errorf("preview grant: %w", ErrNotFound)
	}
	var g PreviewGrant
	err := st.pool.QueryRow(ctx, `SELECT env, deploy_id, client_id, expires_at FROM frontdoor.preview_grants
		WHERE token_hash = $1 AND env = $2 AND expires_at > $3`, hashSecret(token), env, now).
		Scan(&g.Env, &g.DeployID, &g.ClientID, &g.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("preview grant: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("look up preview grant: %w", err)
	}
	return &g, nil
}
