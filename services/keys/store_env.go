package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/keys/api"
)

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// varRow is a stored environment variable: a plain value or a ciphertext.
type varRow struct {
	id, env, key string
	isSecret     bool
	value        *string
	ciphertext   []byte
	createdAt    time.Time
	updatedAt    time.Time
}

// public is the variable as management requests see it: no secret value.
func (r *varRow) public() api.EnvVar {
	v := api.EnvVar{ID: r.id, Env: r.env, Key: r.key, IsSecret: r.isSecret, CreatedAt: r.createdAt, UpdatedAt: r.updatedAt}
	if !r.isSecret && r.value != nil {
		v.Value = *r.value
	}
	return v
}

const varColumns = `id, env, key, is_secret, value, ciphertext, created_at, updated_at`

func scanVar(row pgx.Row) (*varRow, error) {
	var r varRow
	err := row.Scan(&r.id, &r.env, &r.key, &r.isSecret, &r.value, &r.ciphertext, &r.createdAt, &r.updatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

var errNotFound = errors.New("not found")

func varNotFound(env, key string) error {
	return natsrpc.Errorf(natsrpc.CodeNotFound, "variable %s does not exist in environment %s", key, env)
}

// readVar reads one variable, locking its row with forUpdate.
func readVar(ctx context.Context, q querier, env, key string, forUpdate bool) (*varRow, error) {
	sql := `SELECT ` + varColumns + ` FROM keys.env_vars WHERE env = $1 AND key = $2`
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	r, err := scanVar(q.QueryRow(ctx, sql, env, key))
	if errors.Is(err, errNotFound) {
		return nil, varNotFound(env, key)
	}
	if err != nil {
		return nil, fmt.Errorf("read variable %s in environment %s: %w", key, env, err)
	}
	return r, nil
}

// insertVar stores a new variable, enforcing uniqueness and the per
// environment limit under a lock on the environment's variables.
func (s *Service) insertVar(ctx context.Context, r *varRow) (*varRow, error) {
	var out *varRow
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('keys:vars:' || $1))`, r.env); err != nil {
			return err
		}
		var n int
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(bool_or(key = $2), false) FROM keys.env_vars WHERE env = $1`,
			r.env, r.key).Scan(&n, &exists); err != nil {
			return err
		}
		if exists {
			return natsrpc.Errorf(natsrpc.CodeConflict, "variable %s already exists in environment %s: update it instead", r.key, r.env)
		}
		if n >= api.MaxVarsPerEnv {
			return natsrpc.Errorf(natsrpc.CodeFailedPrecondition, "environment %s already has %d variables, the limit: delete one before adding %s",
				r.env, n, r.key)
		}
		var err error
		out, err = scanVar(tx.QueryRow(ctx, `INSERT INTO keys.env_vars (id, env, key, is_secret, value, ciphertext)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+varColumns, r.id, r.env, r.key, r.isSecret, r.value, r.ciphertext))
		return err
	})
	if err != nil {
		var e *natsrpc.Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, fmt.Errorf("create variable %s in environment %s: %w", r.key, r.env, err)
	}
	return out, nil
}

// listVars lists an environment's variables by key.
func (s *Service) listVars(ctx context.Context, env string) ([]api.EnvVar, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+varColumns+` FROM keys.env_vars WHERE env = $1 ORDER BY key`, env)
	if err != nil {
		return nil, fmt.Errorf("list variables of environment %s: %w", env, err)
	}
	defer rows.Close()
	out := []api.EnvVar{}
	for rows.Next() {
		r, err := scanVar(rows)
		if err != nil {
			return nil, fmt.Errorf("list variables of environment %s: %w", env, err)
		}
		out = append(out, r.public())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list variables of environment %s: %w", env, err)
	}
	return out, nil
}

// deleteVar removes a variable.
func (s *Service) deleteVar(ctx context.Context, env, key string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM keys.env_vars WHERE env = $1 AND key = $2`, env, key)
	if err != nil {
		return fmt.Errorf("delete variable %s in environment %s: %w", key, env, err)
	}
	if tag.RowsAffected() == 0 {
		return varNotFound(env, key)
	}
	return nil
}
