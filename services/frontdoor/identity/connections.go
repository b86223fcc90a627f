package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
)

// ConnectionKind is the kind of sign-in method a connection provides.
type ConnectionKind string

// KindEmailPassword is the email + password connection.
const KindEmailPassword ConnectionKind = "email_password"

// Connection is a sign-in method enabled in an environment, as Kinde
// connections are; its ID (conn_…) appears in trigger events.
type Connection struct {
	ID        string
	Env       string
	Kind      ConnectionKind
	Name      string
	CreatedAt time.Time
}

// EmailPasswordConnection returns the environment's email + password
// connection, creating it on first use. Concurrent first calls return the
// same connection.
func (s *Store) EmailPasswordConnection(ctx context.Context, env string) (*Connection, error) {
	if err := checkEnv(env); err != nil {
		return nil, fmt.Errorf("email + password connection: %w", err)
	}
	const selectConn = `SELECT id, env, kind, name, created_at FROM frontdoor.connections
		WHERE env = $1 AND kind = 'email_password'`
	var c Connection
	scan := func(row pgx.Row) error { return row.Scan(&c.ID, &c.Env, &c.Kind, &c.Name, &c.CreatedAt) }
	// Read first: after the first call the connection exists and nothing
	// needs writing.
	err := scan(s.pool.QueryRow(ctx, selectConn, env))
	if errors.Is(err, pgx.ErrNoRows) {
		err = scan(s.pool.QueryRow(ctx, `INSERT INTO frontdoor.connections (id, env, kind, name)
			VALUES ($1, $2, 'email_password', 'Email + password')
			ON CONFLICT (env) WHERE kind = 'email_password' DO NOTHING
			RETURNING id, env, kind, name, created_at`, ids.New("conn"), env))
		if errors.Is(err, pgx.ErrNoRows) {
			// Another call created it between our read and insert.
			err = scan(s.pool.QueryRow(ctx, selectConn, env))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("email + password connection of environment %s: %w", env, envError(err, env))
	}
	return &c, nil
}
