package tokens

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// familyRow is a refresh_families row: the grant behind a chain of refresh
// tokens.
type familyRow struct {
	id        string
	env       string
	grantID   string
	clientID  string
	subject   string
	orgCode   string
	scope     []string
	audience  []string
	amr       []string
	acr       string
	authTime  *time.Time
	sessionID string
	createdAt time.Time
	expiresAt time.Time
	revokedAt *time.Time
}

// refreshRow is a refresh_tokens row.
type refreshRow struct {
	hash      []byte
	familyID  string
	env       string
	issuedAt  time.Time
	expiresAt time.Time
	usedAt    *time.Time
}

// accessRow is an access_tokens row.
type accessRow struct {
	jti       string
	env       string
	clientID  string
	subject   string
	familyID  string // "" for none
	grantID   string
	issuedAt  time.Time
	expiresAt time.Time
	revokedAt *time.Time
}

// execer is what pools and transactions share.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func insertFamily(ctx context.Context, tx pgx.Tx, f *familyRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO tokens.refresh_families
		(id, env, grant_id, client_id, subject, org_code, scope, audience, amr, acr, auth_time, session_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		f.id, f.env, f.grantID, f.clientID, f.subject, f.orgCode, nonNil(f.scope), nonNil(f.audience), nonNil(f.amr),
		f.acr, f.authTime, f.sessionID, f.createdAt, f.expiresAt)
	if err != nil {
		return fmt.Errorf("store refresh family %s: %w", f.id, err)
	}
	return nil
}

func insertRefresh(ctx context.Context, tx pgx.Tx, r *refreshRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO tokens.refresh_tokens (token_hash, family_id, env, issued_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, r.hash, r.familyID, r.env, r.issuedAt, r.expiresAt)
	if err != nil {
		return fmt.Errorf("store refresh token of family %s: %w", r.familyID, err)
	}
	return nil
}

func insertAccess(ctx context.Context, q execer, a *accessRow) error {
	var family *string
	if a.familyID != "" {
		family = &a.familyID
	}
	_, err := q.Exec(ctx, `INSERT INTO tokens.access_tokens
		(jti, env, client_id, subject, family_id, grant_id, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		a.jti, a.env, a.clientID, a.subject, family, a.grantID, a.issuedAt, a.expiresAt)
	if err != nil {
		return fmt.Errorf("record access token %s: %w", a.jti, err)
	}
	return nil
}

// recordIssue stores what an authorization-code or client-credentials
// issue made: the access token's record and, when a refresh token was
// issued, its new family and token.
func (s *pgStore) recordIssue(ctx context.Context, a *accessRow, f *familyRow, r *refreshRow) error {
	if f == nil {
		return insertAccess(ctx, s.pool, a)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := insertFamily(ctx, tx, f); err != nil {
			return err
		}
		if err := insertRefresh(ctx, tx, r); err != nil {
			return err
		}
		return insertAccess(ctx, tx, a)
	})
}

const refreshJoinColumns = `t.token_hash, t.family_id, t.env, t.issued_at, t.expires_at, t.used_at,
	f.id, f.env, f.grant_id, f.client_id, f.subject, f.org_code, f.scope, f.audience, f.amr, f.acr,
	f.auth_time, f.session_id, f.created_at, f.expires_at, f.revoked_at`

func scanRefresh(row pgx.Row) (*refreshRow, *familyRow, error) {
	var r refreshRow
	var f familyRow
	err := row.Scan(&r.hash, &r.familyID, &r.env, &r.issuedAt, &r.expiresAt, &r.usedAt,
		&f.id, &f.env, &f.grantID, &f.clientID, &f.subject, &f.orgCode, &f.scope, &f.audience, &f.amr, &f.acr,
		&f.authTime, &f.sessionID, &f.createdAt, &f.expiresAt, &f.revokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &r, &f, nil
}

// lookupRefresh returns a refresh token and its family by the token's hash,
// or nils.
func (s *pgStore) lookupRefresh(ctx context.Context, hash []byte) (*refreshRow, *familyRow, error) {
	r, f, err := scanRefresh(s.pool.QueryRow(ctx, `SELECT `+refreshJoinColumns+`
		FROM tokens.refresh_tokens t JOIN tokens.refresh_families f ON f.id = t.family_id
		WHERE t.token_hash = $1`, hash))
	if err != nil {
		return nil, nil, fmt.Errorf("read refresh token: %w", err)
	}
	return r, f, nil
}

// rotation is what check decided for a locked refresh token: the token to
// store in its place and the access token to record.
type rotation struct {
	next   *refreshRow
	access *accessRow
}

// rotateRefresh locks the refresh token hash and its family, hands them to
// check (which so sees the state left by any concurrent rotation), and then,
// unless check fails, marks the token used, stores its successor, extends
// the family and records the access token, all in one transaction. When
// check returns a *reuseError the family is revoked in the same
// transaction, which commits, and the *reuseError is returned.
func (s *pgStore) rotateRefresh(ctx context.Context, hash []byte, now time.Time,
	check func(*refreshRow, *familyRow) (*rotation, error)) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("rotate refresh token: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	r, f, err := scanRefresh(tx.QueryRow(ctx, `SELECT `+refreshJoinColumns+`
		FROM tokens.refresh_tokens t JOIN tokens.refresh_families f ON f.id = t.family_id
		WHERE t.token_hash = $1 FOR UPDATE OF t, f`, hash))
	if err != nil {
		return fmt.Errorf("lock refresh token: %w", err)
	}
	rot, checkErr := check(r, f)
	var reuse *reuseError
	if errors.As(checkErr, &reuse) {
		n, revoked, err := revokeFamily(ctx, tx, f.id, "refresh_token_reused", now)
		if err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("revoke refresh family %s: %w", f.id, err)
		}
		reuse.newlyRevoked, reuse.accessRevoked = revoked, n
		return checkErr
	}
	if checkErr != nil {
		return checkErr
	}
	tag, err := tx.Exec(ctx, `UPDATE tokens.refresh_tokens SET used_at = $2
		WHERE token_hash = $1 AND used_at IS NULL`, hash, now)
	if err != nil {
		return fmt.Errorf("mark refresh token used: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return errors.New("mark refresh token used: the locked token was already used")
	}
	if err := insertRefresh(ctx, tx, rot.next); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE tokens.refresh_families SET expires_at = GREATEST(expires_at, $2)
		WHERE id = $1`, f.id, rot.next.expiresAt); err != nil {
		return fmt.Errorf("extend refresh family %s: %w", f.id, err)
	}
	if err := insertAccess(ctx, tx, rot.access); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("rotate refresh token of family %s: %w", f.id, err)
	}
	return nil
}

// revokeFamily revokes a refresh family and the access tokens issued from
// it. It reports how many access tokens it newly revoked and whether the
// family was still unrevoked.
func revokeFamily(ctx context.Context, q execer, familyID, reason string, now time.Time) (int, bool, error) {
	tag, err := q.Exec(ctx, `UPDATE tokens.refresh_families SET revoked_at = $2, revoke_reason = $3
		WHERE id = $1 AND revoked_at IS NULL`, familyID, now, reason)
	if err != nil {
		return 0, false, fmt.Errorf("revoke refresh family %s: %w", familyID, err)
	}
	at, err := q.Exec(ctx, `UPDATE tokens.access_tokens SET revoked_at = $2
		WHERE family_id = $1 AND revoked_at IS NULL`, familyID, now)
	if err != nil {
		return 0, false, fmt.Errorf("revoke access tokens of family %s: %w", familyID, err)
	}
	return int(at.RowsAffected()), tag.RowsAffected() == 1, nil
}

// revokeFamily revokes one family outside any other transaction.
func (s *pgStore) revokeFamily(ctx context.Context, familyID, reason string, now time.Time) (int, bool, error) {
	var n int
	var revoked bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		n, revoked, err = revokeFamily(ctx, tx, familyID, reason, now)
		return err
	})
	return n, revoked, err
}

// revokeGrant revokes every family and access token of a grant.
func (s *pgStore) revokeGrant(ctx context.Context, env, grantID, reason string, now time.Time) (families, access int, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE tokens.refresh_families SET revoked_at = $3, revoke_reason = $4
			WHERE env = $1 AND grant_id = $2 AND revoked_at IS NULL RETURNING id`, env, grantID, now, reason)
		if err != nil {
			return fmt.Errorf("revoke families of grant %s: %w", grantID, err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("revoke families of grant %s: %w", grantID, err)
		}
		tag, err := tx.Exec(ctx, `UPDATE tokens.access_tokens SET revoked_at = $3
			WHERE env = $1 AND (grant_id = $2 OR family_id = ANY($4)) AND revoked_at IS NULL`, env, grantID, now, ids)
		if err != nil {
			return fmt.Errorf("revoke access tokens of grant %s: %w", grantID, err)
		}
		families, access = len(ids), int(tag.RowsAffected())
		return nil
	})
	return families, access, err
}

// revokeSubject revokes every family and access token of a subject.
func (s *pgStore) revokeSubject(ctx context.Context, env, subject, reason string, now time.Time) (families, access int, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tokens.refresh_families SET revoked_at = $3, revoke_reason = $4
			WHERE env = $1 AND subject = $2 AND revoked_at IS NULL`, env, subject, now, reason)
		if err != nil {
			return fmt.Errorf("revoke families of subject %s: %w", subject, err)
		}
		families = int(tag.RowsAffected())
		tag, err = tx.Exec(ctx, `UPDATE tokens.access_tokens SET revoked_at = $3
			WHERE env = $1 AND subject = $2 AND revoked_at IS NULL`, env, subject, now)
		if err != nil {
			return fmt.Errorf("revoke access tokens of subject %s: %w", subject, err)
		}
		access = int(tag.RowsAffected())
		return nil
	})
	return families, access, err
}

// accessRecord returns the record of an access token, or nil.
func (s *pgStore) accessRecord(ctx context.Context, env, jti string) (*accessRow, error) {
	var a accessRow
	var family *string
	err := s.pool.QueryRow(ctx, `SELECT jti, env, client_id, subject, family_id, grant_id, issued_at, expires_at, revoked_at
		FROM tokens.access_tokens WHERE jti = $1 AND env = $2`, jti, env).
		Scan(&a.jti, &a.env, &a.clientID, &a.subject, &family, &a.grantID, &a.issuedAt, &a.expiresAt, &a.revokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read access token record %s: %w", jti, err)
	}
	if family != nil {
		a.familyID = *family
	}
	return &a, nil
}

// revokeAccess puts an access token on the revoked list; it reports whether
// it was not revoked already.
func (s *pgStore) revokeAccess(ctx context.Context, env, jti string, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE tokens.access_tokens SET revoked_at = $3
		WHERE jti = $1 AND env = $2 AND revoked_at IS NULL`, jti, env, now)
	if err != nil {
		return false, fmt.Errorf("revoke access token %s: %w", jti, err)
	}
	return tag.RowsAffected() == 1, nil
}

// pruneBatch bounds one DELETE so pruning never holds long locks.
const pruneBatch = 5000

// prune deletes access token records that expired before before, and
// families (with their tokens) whose newest token expired before it.
func (s *pgStore) prune(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM tokens.access_tokens WHERE jti IN
			(SELECT jti FROM tokens.access_tokens WHERE expires_at < $1 LIMIT $2)`,
		`DELETE FROM tokens.refresh_families WHERE id IN
			(SELECT id FROM tokens.refresh_families WHERE expires_at < $1 LIMIT $2)`,
	} {
		for {
			tag, err := s.pool.Exec(ctx, q, before, pruneBatch)
			if err != nil {
				return total, fmt.Errorf("prune expired tokens: %w", err)
			}
			total += tag.RowsAffected()
			if tag.RowsAffected() < pruneBatch {
				break
			}
		}
	}
	return total, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
