package authstore

import (
	"context"
	"fmt"
	"time"
)

// Retention says how long expired state is kept.
type Retention struct {
	// Codes: how long a code is kept after it expires, so that a late
	// replay is still recognised and revokes its grant.
	Codes time.Duration
	// Attempts: how long an attempt is kept; the longest limit window.
	Attempts time.Duration
}

// Prune deletes the sessions, flows, preview grants and reset links
// expired at now, the codes expired longer
// than ret.Codes ago and the attempts older than ret.Attempts. It returns
// how many rows it deleted.
func (st *Store) Prune(ctx context.Context, now time.Time, ret Retention) (int64, error) {
	var total int64
	for _, q := range []struct {
		what, sql string
		before    time.Time
	}{
		{"sessions", `DELETE FROM frontdoor.sessions WHERE expires_at <= $1`, now},
		{"authorization codes", `DELETE FROM frontdoor.auth_codes WHERE expires_at <= $1`, now.Add(-ret.Codes)},
		{"sign-in attempts", `DELETE FROM frontdoor.login_attempts WHERE at <= $1`, now.Add(-ret.Attempts)},
		{"authentication flows", `DELETE FROM frontdoor.auth_flows WHERE expires_at <= $1`, now},
		{"preview grants", `DELETE FROM frontdoor.preview_grants WHERE expires_at <= $1`, now},
		{"password resets", `DELETE FROM frontdoor.password_resets WHERE expires_at <= $1`, now},
		{"email verifications", `DELETE FROM frontdoor.email_verifications WHERE expires_at <= $1`, now},
	} {
		tag, err := st.pool.Exec(ctx, q.sql, q.before)
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", q.what, err)
		}
		total += tag.RowsAffected()
	}
	return total, nil
}
