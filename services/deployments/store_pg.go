package deployments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Schema is the PostgreSQL schema the deployments service owns.
const Schema = "deployments"

type pgStore struct{ pool *pgxpool.Pool }

const deploymentColumns = `id, env, workflow_id, trigger, status, sha256, size, settings,
	failure_policy, error, source, created_at, live_at`

func scanDeployment(row pgx.Row, extra ...any) (*api.Deployment, error) {
	var d api.Deployment
	var settings []byte
	var trigger, status string
	dest := append([]any{&d.ID, &d.Env, &d.WorkflowID, &trigger, &status, &d.SHA256, &d.Size,
		&settings, &d.FailurePolicy, &d.Error, &d.Source, &d.CreatedAt, &d.LiveAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errNotFound
		}
		return nil, err
	}
	d.Trigger, d.Status = abi.Trigger(trigger), api.Status(status)
	if len(settings) > 0 {
		if err := json.Unmarshal(settings, &d.Settings); err != nil {
			return nil, fmt.Errorf("decode settings of %s: %w", d.ID, err)
		}
	}
	d.WorkflowName = d.Settings.Name
	return &d, nil
}

func collect(rows pgx.Rows) ([]api.Deployment, error) {
	defer rows.Close()
	out := []api.Deployment{}
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

func (s *pgStore) insertDeployment(ctx context.Context, d *api.Deployment) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO deployments.deployments
		(id, env, status, sha256, size, source, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		d.ID, d.Env, string(d.Status), d.SHA256, d.Size, d.Source, d.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert deployment %s: %w", d.ID, err)
	}
	return nil
}

func (s *pgStore) failDeployment(ctx context.Context, env, id, reason string) error {
	_, err := s.pool.Exec(ctx, `UPDATE deployments.deployments SET status = 'Failed', error = $3
		WHERE env = $1 AND id = $2`, env, id, reason)
	if err != nil {
		return fmt.Errorf("mark deployment %s failed: %w", id, err)
	}
	return nil
}

func (s *pgStore) accept(ctx context.Context, d *api.Deployment, live bool, previewHash []byte) (*api.Deployment, error) {
	settings, err := json.Marshal(d.Settings)
	if err != nil {
		return nil, fmt.Errorf("encode settings: %w", err)
	}
	var out *api.Deployment
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Serialise registrations per environment so the clash checks hold.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('deployments:' || $1))`, d.Env); err != nil {
			return err
		}
		var existingTrigger string
		err := tx.QueryRow(ctx, `SELECT trigger FROM deployments.workflows WHERE env = $1 AND id = $2`,
			d.Env, d.WorkflowID).Scan(&existingTrigger)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			var other string
			err := tx.QueryRow(ctx, `SELECT id FROM deployments.workflows WHERE env = $1 AND trigger = $2`,
				d.Env, string(d.Trigger)).Scan(&other)
			if err == nil {
				return &clashError{fmt.Sprintf("more than one workflow assigned to trigger %s: workflow %q already uses it in environment %s (each trigger can only have one workflow; delete %q first or reuse its id)",
					d.Trigger, other, d.Env, other)}
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO deployments.workflows (env, id, name, trigger) VALUES ($1,$2,$3,$4)`,
				d.Env, d.WorkflowID, d.Settings.Name, string(d.Trigger)); err != nil {
				return err
			}
		case err != nil:
			return err
		case existingTrigger != string(d.Trigger):
			return &clashError{fmt.Sprintf("duplicate workflow ID %q: it already belongs to the workflow for trigger %s in environment %s; a workflow id must be unique",
				d.WorkflowID, existingTrigger, d.Env)}
		default:
			if _, err := tx.Exec(ctx, `UPDATE deployments.workflows SET name = $3 WHERE env = $1 AND id = $2`,
				d.Env, d.WorkflowID, d.Settings.Name); err != nil {
				return err
			}
		}
		status := api.StatusDeployed
		if live {
			if _, err := tx.Exec(ctx, `UPDATE deployments.deployments SET status = 'Deployed'
				WHERE env = $1 AND trigger = $2 AND status = 'Live'`, d.Env, string(d.Trigger)); err != nil {
				return err
			}
			status = api.StatusLive
		} else {
			var hasLive bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deployments.deployments
				WHERE env = $1 AND workflow_id = $2 AND status = 'Live')`, d.Env, d.WorkflowID).Scan(&hasLive); err != nil {
				return err
			}
			if !hasLive {
				status = api.StatusDraft
			}
		}
		row := tx.QueryRow(ctx, `UPDATE deployments.deployments SET workflow_id = $3, trigger = $4, status = $5,
			settings = $6, failure_policy = $7, preview_hash = $8,
			live_at = CASE WHEN $5 = 'Live' THEN now() ELSE live_at END
			WHERE env = $1 AND id = $2 RETURNING `+deploymentColumns,
			d.Env, d.ID, d.WorkflowID, string(d.Trigger), string(status), settings, d.FailurePolicy, previewHash)
		out, err = scanDeployment(row)
		return err
	})
	if err != nil {
		var clash *clashError
		if errors.As(err, &clash) {
			return nil, clash
		}
		return nil, fmt.Errorf("accept deployment %s: %w", d.ID, err)
	}
	return out, nil
}

func (s *pgStore) getDeployment(ctx context.Context, env, id string) (*api.Deployment, []byte, error) {
	var hash []byte
	d, err := scanDeployment(s.pool.QueryRow(ctx, `SELECT `+deploymentColumns+`, preview_hash
		FROM deployments.deployments WHERE env = $1 AND id = $2`, env, id), &hash)
	if err != nil {
		return nil, nil, err
	}
	return d, hash, nil
}

func (s *pgStore) setPreviewHash(ctx context.Context, env, id string, hash []byte) (*api.Deployment, error) {
	return s.transition(ctx, env, id, func(tx pgx.Tx, d *api.Deployment) error {
		if d.Status == api.StatusFailed || d.Status == api.StatusProcessing {
			return &stateError{fmt.Sprintf("deployment %s is %s and cannot be previewed", id, d.Status)}
		}
		_, err := tx.Exec(ctx, `UPDATE deployments.deployments SET preview_hash = $3 WHERE env = $1 AND id = $2`, env, id, hash)
		return err
	})
}

func (s *pgStore) listDeployments(ctx context.Context, req api.ListRequest) ([]api.Deployment, error) {
	limit := req.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, `SELECT `+deploymentColumns+` FROM deployments.deployments
		WHERE env = $1 AND ($2 = '' OR workflow_id = $2) AND ($3 = '' OR trigger = $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`, req.Env, req.WorkflowID, string(req.Trigger), limit)
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	return collect(rows)
}

func (s *pgStore) liveDeployment(ctx context.Context, env string, t abi.Trigger) (*api.Deployment, error) {
	return scanDeployment(s.pool.QueryRow(ctx, `SELECT `+deploymentColumns+` FROM deployments.deployments
		WHERE env = $1 AND trigger = $2 AND status = 'Live'`, env, string(t)))
}

func (s *pgStore) liveTriggers(ctx context.Context, env string) ([]api.LiveTrigger, error) {
	rows, err := s.pool.Query(ctx, `SELECT trigger, id, failure_policy FROM deployments.deployments
		WHERE env = $1 AND status = 'Live' ORDER BY trigger`, env)
	if err != nil {
		return nil, fmt.Errorf("list live triggers: %w", err)
	}
	defer rows.Close()
	out := []api.LiveTrigger{}
	for rows.Next() {
		var lt api.LiveTrigger
		var t string
		if err := rows.Scan(&t, &lt.DeploymentID, &lt.FailurePolicy); err != nil {
			return nil, err
		}
		lt.Trigger = abi.Trigger(t)
		out = append(out, lt)
	}
	return out, rows.Err()
}

// transition runs fn on the locked deployment row inside a transaction.
func (s *pgStore) transition(ctx context.Context, env, id string, fn func(tx pgx.Tx, d *api.Deployment) error) (*api.Deployment, error) {
	var out *api.Deployment
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('deployments:' || $1))`, env); err != nil {
			return err
		}
		d, err := scanDeployment(tx.QueryRow(ctx, `SELECT `+deploymentColumns+` FROM deployments.deployments
			WHERE env = $1 AND id = $2 FOR UPDATE`, env, id))
		if err != nil {
			return err
		}
		if err := fn(tx, d); err != nil {
			return err
		}
		out, err = scanDeployment(tx.QueryRow(ctx, `SELECT `+deploymentColumns+` FROM deployments.deployments
			WHERE env = $1 AND id = $2`, env, id))
		if errors.Is(err, errNotFound) {
			out, err = d, nil // deleted inside fn
		}
		return err
	})
	if err != nil {
		var se *stateError
		if errors.As(err, &se) || errors.Is(err, errNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("update deployment %s: %w", id, err)
	}
	return out, nil
}

func (s *pgStore) makeLive(ctx context.Context, env, id string) (*api.Deployment, error) {
	return s.transition(ctx, env, id, func(tx pgx.Tx, d *api.Deployment) error {
		switch d.Status {
		case api.StatusLive:
			return nil
		case api.StatusFailed, api.StatusProcessing:
			return &stateError{fmt.Sprintf("deployment %s is %s and cannot be made live", id, d.Status)}
		}
		if _, err := tx.Exec(ctx, `UPDATE deployments.deployments SET status = 'Deployed'
			WHERE env = $1 AND trigger = $2 AND status = 'Live'`, env, string(d.Trigger)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE deployments.deployments SET status = 'Live', live_at = now()
			WHERE env = $1 AND id = $2`, env, id)
		return err
	})
}

func (s *pgStore) deactivate(ctx context.Context, env, id string) (*api.Deployment, error) {
	return s.transition(ctx, env, id, func(tx pgx.Tx, d *api.Deployment) error {
		if d.Status != api.StatusLive {
			return &stateError{fmt.Sprintf("deployment %s is %s; only the live deployment can be deactivated", id, d.Status)}
		}
		_, err := tx.Exec(ctx, `UPDATE deployments.deployments SET status = 'Deactivated' WHERE env = $1 AND id = $2`, env, id)
		return err
	})
}

func (s *pgStore) deleteDeployment(ctx context.Context, env, id string) (*api.Deployment, error) {
	return s.transition(ctx, env, id, func(tx pgx.Tx, d *api.Deployment) error {
		if d.Status == api.StatusLive {
			return &stateError{fmt.Sprintf("deployment %s is live; deactivate it or make another deployment live before deleting it", id)}
		}
		_, err := tx.Exec(ctx, `DELETE FROM deployments.deployments WHERE env = $1 AND id = $2`, env, id)
		return err
	})
}

func (s *pgStore) deleteWorkflow(ctx context.Context, env, workflowID string) ([]api.Deployment, error) {
	var out []api.Deployment
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM deployments.workflows WHERE env = $1 AND id = $2`, env, workflowID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errNotFound
		}
		rows, err := tx.Query(ctx, `DELETE FROM deployments.deployments WHERE env = $1 AND workflow_id = $2
			RETURNING `+deploymentColumns, env, workflowID)
		if err != nil {
			return err
		}
		out, err = collect(rows)
		return err
	})
	if err != nil && !errors.Is(err, errNotFound) {
		return nil, fmt.Errorf("delete workflow %s: %w", workflowID, err)
	}
	return out, err
}

func (s *pgStore) workflows(ctx context.Context, env string) ([]api.Workflow, error) {
	rows, err := s.pool.Query(ctx, `SELECT w.env, w.id, w.name, w.trigger, w.created_at,
		COALESCE(l.id, ''),
		CASE WHEN l.id IS NOT NULL THEN 'Live'
		     WHEN EXISTS (SELECT 1 FROM deployments.deployments x WHERE x.env = w.env AND x.workflow_id = w.id AND x.status = 'Deactivated') THEN 'Deactivated'
		     ELSE 'Draft' END
		FROM deployments.workflows w
		LEFT JOIN deployments.deployments l ON l.env = w.env AND l.workflow_id = w.id AND l.status = 'Live'
		WHERE w.env = $1 ORDER BY w.trigger`, env)
	if err != nil {
		return nil, fmt.Errorf("list workflows: %w", err)
	}
	defer rows.Close()
	out := []api.Workflow{}
	for rows.Next() {
		var w api.Workflow
		var t string
		if err := rows.Scan(&w.Env, &w.ID, &w.Name, &t, &w.CreatedAt, &w.LiveDeploymentID, &w.Status); err != nil {
			return nil, err
		}
		w.Trigger = abi.Trigger(t)
		out = append(out, w)
	}
	return out, rows.Err()
}

func (s *pgStore) shaInUse(ctx context.Context, sha string) (bool, error) {
	var used bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deployments.deployments WHERE sha256 = $1)`, sha).Scan(&used)
	return used, err
}

func (s *pgStore) envSettings(ctx context.Context, env string) (api.EnvSettings, error) {
	out := api.EnvSettings{Env: env, AutoLive: true}
	err := s.pool.QueryRow(ctx, `SELECT auto_live FROM deployments.env_settings WHERE env = $1`, env).Scan(&out.AutoLive)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return out, fmt.Errorf("read settings of %s: %w", env, err)
	}
	return out, nil
}

func (s *pgStore) setEnvSettings(ctx context.Context, es api.EnvSettings) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO deployments.env_settings (env, auto_live) VALUES ($1,$2)
		ON CONFLICT (env) DO UPDATE SET auto_live = EXCLUDED.auto_live`, es.Env, es.AutoLive)
	if err != nil {
		return fmt.Errorf("save settings of %s: %w", es.Env, err)
	}
	return nil
}

var _ = time.Now
