package keys

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RotateMaster re-wraps every environment's data key, under oldKEK today,
// with newKEK, in one transaction; the values and workflow keys those data
// keys encrypt are not touched. It returns how many data keys it re-wrapped.
//
// It refuses, changing nothing, if a data key was wrapped by neither key or
// does not unwrap with oldKEK. Keys already wrapped by newKEK are left as
// they are, so an interrupted rotation can be run again. The table is locked
// for the transaction, and services create data keys only when every stored
// key has their master key: a service still running with oldKEK can read
// what it cached but creates no key for a new environment until it is
// restarted with newKEK.
func RotateMaster(ctx context.Context, pool *pgxpool.Pool, oldKEK, newKEK []byte) (rewrapped int, err error) {
	if len(oldKEK) != masterKeySize || len(newKEK) != masterKeySize {
		return 0, fmt.Errorf("keys: rotate master key: master keys are %d bytes; got %d (old) and %d (new)",
			masterKeySize, len(oldKEK), len(newKEK))
	}
	oldID, newID := kekID(oldKEK), kekID(newKEK)
	if oldID == newID {
		return 0, fmt.Errorf("keys: rotate master key: the new master key is the old one (%s)", oldID)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Blocks data key inserts (ROW EXCLUSIVE) until the commit.
		if _, err := tx.Exec(ctx, `LOCK TABLE keys.data_keys IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock data keys: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT env, kek_id, wrapped FROM keys.data_keys ORDER BY env`)
		if err != nil {
			return fmt.Errorf("read data keys: %w", err)
		}
		type wrappedKey struct {
			env, kekID string
			wrapped    []byte
		}
		var all []wrappedKey
		for rows.Next() {
			var w wrappedKey
			if err := rows.Scan(&w.env, &w.kekID, &w.wrapped); err != nil {
				rows.Close()
				return fmt.Errorf("read data keys: %w", err)
			}
			all = append(all, w)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read data keys: %w", err)
		}
		for _, w := range all {
			if w.kekID == newID {
				continue // re-wrapped by an earlier, interrupted run
			}
			if w.kekID != oldID {
				return fmt.Errorf("the data key of environment %s was wrapped by master key %s, not by the old key given (%s): nothing was changed",
					w.env, w.kekID, oldID)
			}
			dk, err := decrypt(oldKEK, w.wrapped, wrapAAD(w.env))
			if err != nil {
				return fmt.Errorf("the data key of environment %s does not unwrap with the old master key %s: nothing was changed", w.env, oldID)
			}
			again, err := encrypt(newKEK, dk, wrapAAD(w.env))
			if err != nil {
				return fmt.Errorf("wrap the data key of environment %s: %w", w.env, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE keys.data_keys SET kek_id = $2, wrapped = $3, rewrapped_at = now()
				WHERE env = $1`, w.env, newID, again); err != nil {
				return fmt.Errorf("store the data key of environment %s: %w", w.env, err)
			}
			rewrapped++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("keys: rotate master key %s to %s: %w", oldID, newID, err)
	}
	return rewrapped, nil
}

// checkMasterKey refuses a master key other than the one that wrapped the
// stored data keys.
func checkMasterKey(ctx context.Context, pool *pgxpool.Pool, kek []byte) error {
	id := kekID(kek)
	var other string
	err := pool.QueryRow(ctx, `SELECT kek_id FROM keys.data_keys WHERE kek_id <> $1 LIMIT 1`, id).Scan(&other)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("keys: read data keys (is the %s schema migrated?): %w", Schema, err)
	}
	return fmt.Errorf("keys: the stored data keys were wrapped by master key %s, but the configured master key is %s: "+
		"start with the master key they were wrapped with, or re-wrap them with rotate-master", other, id)
}
