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

// keyRow is a stored workflow encryption key.
type keyRow struct {
	api.WorkflowKey
	ciphertext []byte
}

const keyColumns = `id, env, workflow_id, active, created_at, activated_at, ciphertext`

func scanKey(row pgx.Row) (*keyRow, error) {
	var k keyRow
	var activated *time.Time
	err := row.Scan(&k.ID, &k.Env, &k.WorkflowID, &k.Active, &k.CreatedAt, &activated, &k.ciphertext)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	k.ActivatedAt = activated
	return &k, nil
}

func keyNotFound(env, id string) error {
	return natsrpc.Errorf(natsrpc.CodeNotFound,
		"encryption key %s does not exist in environment %s (it may have been deleted): list the workflow's keys with `gatehouse wf keys list`", id, env)
}

// lockWorkflowKeys serialises changes to an environment's workflow keys, so
// the per workflow limit and the one-active rule hold under concurrency.
func lockWorkflowKeys(ctx context.Context, tx pgx.Tx, env string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('keys:workflow_keys:' || $1))`, env)
	return err
}

// insertKey stores a new key; the first key of a workflow becomes active.
func (s *Service) insertKey(ctx context.Context, id, env, workflowID string, ciphertext []byte) (*keyRow, error) {
	var out *keyRow
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockWorkflowKeys(ctx, tx, env); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM keys.workflow_keys WHERE env = $1 AND workflow_id = $2`,
			env, workflowID).Scan(&n); err != nil {
			return err
		}
		if n >= api.MaxKeysPerWorkflow {
			return natsrpc.Errorf(natsrpc.CodeFailedPrecondition,
				"workflow %s in environment %s already has %d encryption keys, the limit: delete an inactive one first", workflowID, env, n)
		}
		var err error
		out, err = scanKey(tx.QueryRow(ctx, `INSERT INTO keys.workflow_keys (id, env, workflow_id, ciphertext, active, activated_at)
			VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 THEN now() END) RETURNING `+keyColumns,
			id, env, workflowID, ciphertext, n == 0))
		return err
	})
	if err != nil {
		var e *natsrpc.Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, fmt.Errorf("create encryption key for workflow %s in environment %s: %w", workflowID, env, err)
	}
	return out, nil
}

// changeKey runs fn on the locked key row inside a transaction and returns
// the row as it is afterwards (nil if fn deleted it).
func (s *Service) changeKey(ctx context.Context, env, id string, fn func(tx pgx.Tx, k *keyRow) error) (*keyRow, error) {
	var out *keyRow
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockWorkflowKeys(ctx, tx, env); err != nil {
			return err
		}
		k, err := scanKey(tx.QueryRow(ctx, `SELECT `+keyColumns+` FROM keys.workflow_keys WHERE env = $1 AND id = $2 FOR UPDATE`, env, id))
		if errors.Is(err, errNotFound) {
			return keyNotFound(env, id)
		}
		if err != nil {
			return err
		}
		if err := fn(tx, k); err != nil {
			return err
		}
		out, err = scanKey(tx.QueryRow(ctx, `SELECT `+keyColumns+` FROM keys.workflow_keys WHERE id = $1`, id))
		if errors.Is(err, errNotFound) {
			out, err = k, nil
		}
		return err
	})
	if err != nil {
		var e *natsrpc.Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, fmt.Errorf("change encryption key %s in environment %s: %w", id, env, err)
	}
	return out, nil
}

func (s *Service) listKeys(ctx context.Context, env, workflowID string) ([]api.WorkflowKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM keys.workflow_keys WHERE env = $1 AND workflow_id = $2
		ORDER BY created_at DESC, id DESC`, env, workflowID)
	if err != nil {
		return nil, fmt.Errorf("list encryption keys of workflow %s in environment %s: %w", workflowID, env, err)
	}
	defer rows.Close()
	out := []api.WorkflowKey{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list encryption keys of workflow %s: %w", workflowID, err)
		}
		out = append(out, k.WorkflowKey)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list encryption keys of workflow %s: %w", workflowID, err)
	}
	return out, nil
}

func (s *Service) activeKey(ctx context.Context, env, workflowID string) (*keyRow, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM keys.workflow_keys
		WHERE env = $1 AND workflow_id = $2 AND active`, env, workflowID))
	if errors.Is(err, errNotFound) {
		return nil, natsrpc.Errorf(natsrpc.CodeFailedPrecondition,
			"workflow %s in environment %s has no active encryption key: create one with `gatehouse wf keys create`", workflowID, env)
	}
	if err != nil {
		return nil, fmt.Errorf("read the active encryption key of workflow %s in environment %s: %w", workflowID, env, err)
	}
	return k, nil
}
