package devpg

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// CreateDatabase creates database name unless it already exists and returns
// its URL.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	if err := CreateDatabase(ctx, s.DatabaseURL("postgres"), name); err != nil {
		return "", err
	}
	return s.DatabaseURL(name), nil
}

// DropDatabase drops database name if it exists, disconnecting its clients.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	return DropDatabase(ctx, s.DatabaseURL("postgres"), name)
}

// CreateDatabase connects to adminURL and creates database name unless it
// already exists. It works against any server where the role may create
// databases.
func CreateDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("devpg: connect to create database %q: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("devpg: check whether database %q exists: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" {
			// duplicate_database: created concurrently by someone else.
			return nil
		}
		return fmt.Errorf("devpg: create database %q: %w", name, err)
	}
	return nil
}

// DropDatabase connects to adminURL and drops database name if it exists,
// forcing its clients to disconnect.
func DropDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("devpg: connect to drop database %q: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("devpg: drop database %q: %w", name, err)
	}
	return nil
}

func pathEscape(name string) string { return url.PathEscape(name) }
