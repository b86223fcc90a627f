package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Open connects a pool to the database at url and checks that the database
// answers before ctx is done.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The URL may hold a password: do not repeat it.
		return nil, fmt.Errorf("pgstore: parse database URL: %w", err)
	}
	return open(ctx, cfg)
}

// OpenSchema is [Open] with search_path set to schema on every connection,
// so unqualified table names resolve in the service's schema as they do in
// its migrations.
func OpenSchema(ctx context.Context, url, schema string) (*pgxpool.Pool, error) {
	if err := checkSchema(schema); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: parse database URL: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	return open(ctx, cfg)
}

func open(ctx context.Context, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open pool for %s: %w", describe(cfg), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: connect to PostgreSQL at %s: %w", describe(cfg), err)
	}
	return pool, nil
}

// describe names the server and database without credentials.
func describe(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s:%d database %q as %q", c.Host, c.Port, c.Database, c.User)
}
