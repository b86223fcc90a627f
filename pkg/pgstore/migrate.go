package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// VersionTable is the goose version table created in each schema.
const VersionTable = "goose_db_version"

// Migrate applies the goose migrations in fsys (NNNNN_name.sql files at its
// root) that schema has not applied yet, creating the schema if needed. See
// the package documentation for how names resolve.
//
// # Errors
//
// A failing migration stops the run; the error names its file. Migrations
// applied before it stay applied (each migration runs in its own
// transaction). An fsys without migrations is an error, since it usually
// means the wrong directory was passed.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string, fsys fs.FS) error {
	if err := checkSchema(schema); err != nil {
		return err
	}
	conn, unlock, err := lockSchema(ctx, pool, schema)
	if err != nil {
		return err
	}
	defer unlock()

	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		return fmt.Errorf("pgstore: create schema %s: %w", schema, err)
	}

	connCfg := pool.Config().ConnConfig.Copy()
	connCfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*connCfg)
	defer db.Close()
	db.SetMaxOpenConns(1)

	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithTableName(schema+"."+VersionTable),
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	)
	if errors.Is(err, goose.ErrNoMigrations) {
		return fmt.Errorf("pgstore: migrate schema %s: no NNNNN_name.sql migrations at the root of the given file system: %w", schema, err)
	}
	if err != nil {
		return fmt.Errorf("pgstore: migrate schema %s: %w", schema, err)
	}
	if _, err := provider.Up(ctx); err != nil {
		var partial *goose.PartialError
		if errors.As(err, &partial) && partial.Failed != nil {
			return fmt.Errorf("pgstore: migrate schema %s: migration %s failed: %w", schema, partial.Failed.Source.Path, partial.Err)
		}
		return fmt.Errorf("pgstore: migrate schema %s: %w", schema, err)
	}
	return nil
}

// lockSchema takes a session-level advisory lock keyed by schema on a
// connection of its own, waiting until it is free or ctx is done. It returns
// that connection and a function that releases the lock and the connection.
func lockSchema(ctx context.Context, pool *pgxpool.Pool, schema string) (conn *pgxpool.Conn, unlock func(), err error) {
	key := lockKey(schema)
	conn, err = pool.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("pgstore: migrate schema %s: acquire connection: %w", schema, err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		// Whether the lock was taken is unknown: closing the session
		// releases it in any case.
		_ = conn.Hijack().Close(context.WithoutCancel(ctx))
		return nil, nil, fmt.Errorf("pgstore: migrate schema %s: wait for migration lock: %w", schema, err)
	}
	return conn, func() {
		uctx := context.WithoutCancel(ctx)
		if _, err := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", key); err != nil {
			_ = conn.Hijack().Close(uctx)
			return
		}
		conn.Release()
	}, nil
}

// lockKey maps a schema to the advisory lock key guarding its migrations.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("gatehouse/pgstore/migrate/" + schema))
	return int64(h.Sum64())
}
