package mfa

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// replaceBackupCodes makes (or keeps) the user's backup_code factor and
// replaces its codes with hashes; the old codes stop working at once.
func (s *pgStore) replaceBackupCodes(ctx context.Context, env, userID, newID string, hashes [][]byte, now time.Time) (*factorRow, error) {
	var f *factorRow
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
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
		rows := make([][]any, len(hashes))
		for i, h := range hashes {
			rows[i] = []any{id, h}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"mfa", "backup_codes"}, []string{"factor_id", "code_hash"}, pgx.CopyFromRows(rows)); err != nil {
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

// useBackupCode uses up the unused backup code whose hash is hash, comparing
// every unused code in constant time. It counts a failure when none
// matches. The factor is nil when the user has no backup codes.
func (s *pgStore) useBackupCode(ctx context.Context, env, userID string, hash []byte, now time.Time) (valid bool, f *factorRow, userLocked bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		valid, f, userLocked = false, nil, false
		var lockedAt *time.Time
		err := tx.QueryRow(ctx, `SELECT locked_at FROM mfa.user_failures WHERE env = $1 AND user_id = $2 FOR UPDATE`, env, userID).Scan(&lockedAt)
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
		var match []byte
		if f != nil {
			rows, err := tx.Query(ctx, `SELECT code_hash FROM mfa.backup_codes WHERE factor_id = $1 AND used_at IS NULL`, f.id)
			if err != nil {
				return fmt.Errorf("read the backup codes of %s: %w", userID, err)
			}
			for rows.Next() {
				var h []byte
				if err := rows.Scan(&h); err != nil {
					rows.Close()
					return err
				}
				if hmac.Equal(h, hash) {
					match = h
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("read the backup codes of %s: %w", userID, err)
			}
		}
		if match == nil {
			userLocked, err = failure(ctx, tx, env, userID, now)
			return err
		}
		valid = true
		if _, err := tx.Exec(ctx, `UPDATE mfa.backup_codes SET used_at = $3 WHERE factor_id = $1 AND code_hash = $2`, f.id, match, now); err != nil {
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
