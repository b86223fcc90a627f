package authstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Limit allows Max attempts per Window for one key.
type Limit struct {
	Key    string // what is limited, e.g. "account:production:ann@example.com"
	Max    int
	Window time.Duration
}

// Reservation is a set of attempts counted by [Store.ReserveAttempts].
type Reservation struct {
	ids []int64
}

// ReserveAttempts counts one attempt against each limit at now, unless one
// of them is already reached: then nothing is counted, allowed is false and
// retryAfter says when the first limit reached lets an attempt through
// again. Reserving before the attempt runs keeps concurrent attempts from
// overshooting a limit: each key is locked while it is counted.
//
// A failed attempt keeps its reservation. A successful one gives it back
// with [Store.Release].
func (st *Store) ReserveAttempts(ctx context.Context, now time.Time, limits ...Limit) (r Reservation, allowed bool, retryAfter time.Duration, err error) {
	err = pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		r = Reservation{}
		allowed, retryAfter = true, 0
		for _, l := range limits {
			sum := sha256.Sum256([]byte(l.Key))
			// Serialise the attempts on one key: a transaction-scoped
			// advisory lock on 64 bits of its hash.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(binary.BigEndian.Uint64(sum[:8]))); err != nil {
				return err
			}
			since := now.Add(-l.Window)
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM frontdoor.login_attempts WHERE key_hash = $1 AND at > $2`,
				sum[:], since).Scan(&n); err != nil {
				return err
			}
			if n >= l.Max {
				// The limit lifts when the attempt that made it full leaves
				// the window.
				var at time.Time
				if err := tx.QueryRow(ctx, `SELECT at FROM frontdoor.login_attempts WHERE key_hash = $1 AND at > $2
					ORDER BY at DESC OFFSET $3 LIMIT 1`, sum[:], since, l.Max-1).Scan(&at); err != nil {
					return err
				}
				allowed = false
				retryAfter = max(retryAfter, at.Add(l.Window).Sub(now))
				continue
			}
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO frontdoor.login_attempts (key_hash, at) VALUES ($1, $2) RETURNING id`,
				sum[:], now).Scan(&id); err != nil {
				return err
			}
			r.ids = append(r.ids, id)
		}
		if !allowed {
			r.ids = nil
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		return Reservation{}, false, retryAfter, nil
	}
	if err != nil {
		return Reservation{}, false, 0, fmt.Errorf("count sign-in attempts: %w", err)
	}
	return r, true, 0, nil
}

// errRollback makes pgx.BeginFunc roll back without it being a failure.
var errRollback = errors.New("roll back")

// Release gives back the attempts of r, for an attempt that succeeded.
func (st *Store) Release(ctx context.Context, r Reservation) error {
	if len(r.ids) == 0 {
		return nil
	}
	if _, err := st.pool.Exec(ctx, `DELETE FROM frontdoor.login_attempts WHERE id = ANY($1)`, r.ids); err != nil {
		return fmt.Errorf("release sign-in attempts: %w", err)
	}
	return nil
}

// ClearAttempts forgets every attempt counted against key, as a successful
// sign-in does for its account.
func (st *Store) ClearAttempts(ctx context.Context, key string) error {
	sum := sha256.Sum256([]byte(key))
	if _, err := st.pool.Exec(ctx, `DELETE FROM frontdoor.login_attempts WHERE key_hash = $1`, sum[:]); err != nil {
		return fmt.Errorf("clear sign-in attempts: %w", err)
	}
	return nil
}
