package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// Schema is the PostgreSQL schema the MFA service owns.
const Schema = "mfa"

// pgStore is the service's PostgreSQL storage.
type pgStore struct{ pool *pgxpool.Pool }

// factorRow is a factors row (remaining: unused backup codes).
type factorRow struct {
	id, env, userID string
	typ             api.FactorType
	verified        bool
	phone, email    string
	secret          []byte
	lastStep        *int64
	lastSentAt      *time.Time
	createdAt       time.Time
	updatedAt       time.Time
	lastUsedAt      *time.Time
	remaining       int
}

const factorColumns = `f.id, f.env, f.user_id, f.type, f.verified, f.phone_number, f.email, f.secret_ciphertext,
	f.last_step, f.last_sent_at, f.created_at, f.updated_at, f.last_used_at,
	(SELECT count(*) FROM mfa.backup_codes b WHERE b.factor_id = f.id AND b.used_at IS NULL)`

func scanFactor(row pgx.Row) (*factorRow, error) {
	var f factorRow
	var typ string
	if err := row.Scan(&f.id, &f.env, &f.userID, &typ, &f.verified, &f.phone, &f.email, &f.secret,
		&f.lastStep, &f.lastSentAt, &f.createdAt, &f.updatedAt, &f.lastUsedAt, &f.remaining); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	f.typ = api.FactorType(typ)
	return &f, nil
}

// public is the factor as the api shows it.
func (f *factorRow) public() api.Factor {
	out := api.Factor{ID: f.id, Env: f.env, UserID: f.userID, Type: f.typ, Verified: f.verified,
		PhoneNumber: f.phone, Email: f.email, CreatedAt: f.createdAt.UTC(), UpdatedAt: f.updatedAt.UTC()}
	if f.lastUsedAt != nil {
		t := f.lastUsedAt.UTC()
		out.LastUsedAt = &t
	}
	switch f.typ {
	case api.FactorSMS:
		out.Masked = maskPhone(f.phone)
	case api.FactorEmail:
		out.Masked = maskEmail(f.email)
	case api.FactorBackupCode:
		out.Remaining = f.remaining
	}
	return out
}

// lockUser takes the transaction-scoped lock of a user's MFA state. Every
// transaction that reads and then changes a user's factors, challenges,
// backup codes or failure count takes it first, so that they run one at a
// time per user: no count can be raced past its limit (the consecutive
// failures are counted in a row that may not exist yet, which a row lock
// could not cover), and they all lock rows in the same order, so a reset
// or a deletion cannot deadlock with a verification.
func lockUser(ctx context.Context, tx pgx.Tx, env, userID string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('mfa.user:' || $1 || ':' || $2, 0))`, env, userID); err != nil {
		return fmt.Errorf("lock the MFA state of %s: %w", userID, err)
	}
	return nil
}

// insertFactor stores a new factor unless the user has maxFactors already.
func (s *pgStore) insertFactor(ctx context.Context, f *factorRow) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Serialise a user's enrollments so the limit holds.
		if err := lockUser(ctx, tx, f.env, f.userID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM mfa.factors WHERE env = $1 AND user_id = $2`, f.env, f.userID).Scan(&n); err != nil {
			return fmt.Errorf("count the factors of %s: %w", f.userID, err)
		}
		if n >= maxFactors {
			return natsrpc.Errorf(natsrpc.CodeFailedPrecondition, "user %s has %d factors, the most allowed: delete one first", f.userID, n)
		}
		_, err := tx.Exec(ctx, `INSERT INTO mfa.factors (id, env, user_id, type, verified, phone_number, email,
			secret_ciphertext, created_at, updated_at) VALUES ($1, $2, $3, $4, false, $5, $6, $7, $8, $8)`,
			f.id, f.env, f.userID, string(f.typ), f.phone, f.email, f.secret, f.createdAt)
		if err != nil {
			return fmt.Errorf("store factor %s: %w", f.id, err)
		}
		return nil
	})
}

// factor returns a factor of a user, or nil.
func (s *pgStore) factor(ctx context.Context, env, userID, id string) (*factorRow, error) {
	f, err := scanFactor(s.pool.QueryRow(ctx, `SELECT `+factorColumns+` FROM mfa.factors f
		WHERE f.id = $1 AND f.env = $2 AND f.user_id = $3`, id, env, userID))
	if err != nil {
		return nil, fmt.Errorf("read factor %s: %w", id, err)
	}
	return f, nil
}

// factors returns a user's factors, oldest first.
func (s *pgStore) factors(ctx context.Context, env, userID string) ([]*factorRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+factorColumns+` FROM mfa.factors f
		WHERE f.env = $1 AND f.user_id = $2 ORDER BY f.created_at, f.id`, env, userID)
	if err != nil {
		return nil, fmt.Errorf("list the factors of %s: %w", userID, err)
	}
	defer rows.Close()
	var out []*factorRow
	for rows.Next() {
		f, err := scanFactor(rows)
		if err != nil {
			return nil, fmt.Errorf("list the factors of %s: %w", userID, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the factors of %s: %w", userID, err)
	}
	return out, nil
}

// deleteFactor deletes a factor (and its challenges and codes); false when
// there was none.
func (s *pgStore) deleteFactor(ctx context.Context, env, userID, id string) (bool, error) {
	deleted := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockUser(ctx, tx, env, userID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM mfa.factors WHERE id = $1 AND env = $2 AND user_id = $3`, id, env, userID)
		deleted = err == nil && tag.RowsAffected() > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("delete factor %s: %w", id, err)
	}
	return deleted, nil
}

// reset deletes every factor of a user and clears their failures; it
// returns the number of factors deleted.
func (s *pgStore) reset(ctx context.Context, env, userID string) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockUser(ctx, tx, env, userID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM mfa.factors WHERE env = $1 AND user_id = $2`, env, userID)
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		_, err = tx.Exec(ctx, `DELETE FROM mfa.user_failures WHERE env = $1 AND user_id = $2`, env, userID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reset the factors of %s: %w", userID, err)
	}
	return n, nil
}

// lockedAt returns when the user's factors were locked, or nil.
func (s *pgStore) lockedAt(ctx context.Context, env, userID string) (*time.Time, error) {
	var at *time.Time
	err := s.pool.QueryRow(ctx, `SELECT locked_at FROM mfa.user_failures WHERE env = $1 AND user_id = $2`, env, userID).Scan(&at)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("read the lock of %s: %w", userID, err)
	}
	return at, nil
}

// codeKey returns the encrypted hash key of env, or nil.
func (s *pgStore) codeKey(ctx context.Context, env string) ([]byte, error) {
	var ct []byte
	err := s.pool.QueryRow(ctx, `SELECT ciphertext FROM mfa.code_keys WHERE env = $1`, env).Scan(&ct)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("read the code key of %s: %w", env, err)
	}
	return ct, nil
}

// insertCodeKey stores ct as env's hash key unless one exists, and returns
// the one stored.
func (s *pgStore) insertCodeKey(ctx context.Context, env string, ct []byte) ([]byte, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO mfa.code_keys (env, ciphertext, created_at) VALUES ($1, $2, now())
		ON CONFLICT (env) DO NOTHING`, env, ct); err != nil {
		return nil, fmt.Errorf("store the code key of %s: %w", env, err)
	}
	stored, err := s.codeKey(ctx, env)
	if err == nil && stored == nil {
		err = fmt.Errorf("the code key of %s vanished after it was stored", env)
	}
	return stored, err
}

// prune deletes challenges created before challengesBefore and send
// records older than sendsBefore.
func (s *pgStore) prune(ctx context.Context, challengesBefore, sendsBefore time.Time) (int64, error) {
	a, err := s.pool.Exec(ctx, `DELETE FROM mfa.challenges WHERE created_at < $1`, challengesBefore)
	if err != nil {
		return 0, fmt.Errorf("prune challenges: %w", err)
	}
	b, err := s.pool.Exec(ctx, `DELETE FROM mfa.sends WHERE sent_at < $1`, sendsBefore)
	if err != nil {
		return 0, fmt.Errorf("prune send records: %w", err)
	}
	return a.RowsAffected() + b.RowsAffected(), nil
}

// pruneBatch is how many users' abandoned factors pruneUnverified looks up
// at a time.
const pruneBatch = 500

// pruneUnverified deletes the factors never verified that were enrolled
// before before, with their encrypted secrets and (by cascade) their
// challenges; it returns how many. Each user's are deleted under the
// user's lock (lockUser), checked again there, so a factor being verified
// at that moment is either verified first and kept, or gone before its
// verification reads it.
func (s *pgStore) pruneUnverified(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		rows, err := s.pool.Query(ctx, `SELECT DISTINCT env, user_id FROM mfa.factors
			WHERE NOT verified AND created_at < $1 LIMIT $2`, before, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("find abandoned unverified factors: %w", err)
		}
		type user struct{ env, id string }
		users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (user, error) {
			var u user
			return u, row.Scan(&u.env, &u.id)
		})
		if err != nil {
			return total, fmt.Errorf("find abandoned unverified factors: %w", err)
		}
		for _, u := range users {
			err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
				if err := lockUser(ctx, tx, u.env, u.id); err != nil {
					return err
				}
				tag, err := tx.Exec(ctx, `DELETE FROM mfa.factors WHERE env = $1 AND user_id = $2
					AND NOT verified AND created_at < $3`, u.env, u.id, before)
				total += tag.RowsAffected()
				return err
			})
			if err != nil {
				return total, fmt.Errorf("prune the unverified factors of %s: %w", u.id, err)
			}
		}
		if len(users) < pruneBatch {
			return total, nil
		}
	}
}
