package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// replaceBackupCodes makes (or keeps) the user's backup_code factor and
// replaces its codes with codes; the old codes stop working at once.
func (s *pgStore) replaceBackupCodes(ctx context.Context, env, userID, newID string, codes []storedBackupCode, now time.Time) (*factorRow, error) {
	var f *factorRow
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockUser(ctx, tx, env, userID); err != nil {
			return err
		}
		var id string
		err := tx.QueryRow(ctx, `INSERT INTO mfa.factors (id, env, user_id, type, verified, created_at, updated_at)
			VALUES ($1, $2, $3, 'backup_code', true, $4, $4)
			ON CONFLICT (env, user_id) WHERE type = 'backup_code' DO UPDATE SET updated_at = EXCLUDED.updated_at
			RETURNING id`, newID, env, userID, now).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM mfa.backup_codes WHERE factor_id = $1`, id); err != nil {
			return err
		}
		rows := make([][]any, len(codes))
		for i, c := range codes {
			rows[i] = []any{id, c.salt, c.iterations, c.hash}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"mfa", "backup_codes"}, []string{"factor_id", "salt", "iterations", "code_hash"},
			pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		f, err = scanFactor(tx.QueryRow(ctx, `SELECT `+factorColumns+` FROM mfa.factors f WHERE f.id = $1`, id))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store the backup codes of %s: %w", userID, err)
	}
	return f, nil
}

// useBackupCode uses up the unused backup code whose keyed hash is
// peppered, under the user's lock (lockUser), comparing it with every
// unused code (matchBackupCode). It counts a failure when none matches.
// The factor is nil when the user has no backup codes.
func (s *pgStore) useBackupCode(ctx context.Context, env, userID string, peppered []byte, now time.Time) (valid bool, f *factorRow, userLocked bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		valid, f, userLocked = false, nil, false
		if err := lockUser(ctx, tx, env, userID); err != nil {
			return err
		}
		var lockedAt *time.Time
		err := tx.QueryRow(ctx, `SELECT locked_at FROM mfa.user_failures WHERE env = $1 AND user_id = $2`, env, userID).Scan(&lockedAt)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read the lock of %s: %w", userID, err)
		}
		if lockedAt != nil {
			return lockedError(userID)
		}
		f, err = scanFactor(tx.QueryRow(ctx, `SELECT `+factorColumns+` FROM mfa.factors f
			WHERE f.env = $1 AND f.user_id = $2 AND f.type = 'backup_code' FOR UPDATE`, env, userID))
		if err != nil {
			return fmt.Errorf("read the backup codes of %s: %w", userID, err)
		}
		var stored []storedBackupCode
		if f != nil {
			rows, err := tx.Query(ctx, `SELECT salt, iterations, code_hash FROM mfa.backup_codes WHERE factor_id = $1 AND used_at IS NULL`, f.id)
			if err != nil {
				return fmt.Errorf("read the backup codes of %s: %w", userID, err)
			}
			if stored, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (storedBackupCode, error) {
				var c storedBackupCode
				err := row.Scan(&c.salt, &c.iterations, &c.hash)
				return c, err
			}); err != nil {
				return fmt.Errorf("read the backup codes of %s: %w", userID, err)
			}
		}
		match, err := matchBackupCode(peppered, stored)
		if err != nil {
			return err
		}
		if match < 0 {
			userLocked, err = failure(ctx, tx, env, userID, now)
			return err
		}
		valid = true
		if _, err := tx.Exec(ctx, `UPDATE mfa.backup_codes SET used_at = $3 WHERE factor_id = $1 AND salt = $2`,
			f.id, stored[match].salt, now); err != nil {
			return fmt.Errorf("use a backup code of %s: %w", userID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE mfa.factors SET last_used_at = $2, updated_at = $2 WHERE id = $1`, f.id, now); err != nil {
			return fmt.Errorf("mark the backup codes of %s used: %w", userID, err)
		}
		f.lastUsedAt, f.updatedAt = &now, now
		f.remaining--
		return clearFailures(ctx, tx, env, userID)
	})
	return valid, f, userLocked, err
}
