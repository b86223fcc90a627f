package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// Schema is the PostgreSQL schema the tokens service owns.
const Schema = "tokens"

// pgStore is the service's PostgreSQL storage.
type pgStore struct{ pool *pgxpool.Pool }

// keyRow is a signing_keys row.
type keyRow struct {
	id           string
	env          string
	alg          string
	jwk          api.JWK
	ciphertext   []byte
	createdAt    time.Time
	supersededAt *time.Time
}

const keyColumns = `id, env, alg, public_jwk, ciphertext, created_at, superseded_at`

func scanKey(row pgx.Row) (*keyRow, error) {
	var k keyRow
	var jwk []byte
	if err := row.Scan(&k.id, &k.env, &k.alg, &jwk, &k.ciphertext, &k.createdAt, &k.supersededAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	if err := json.Unmarshal(jwk, &k.jwk); err != nil {
		return nil, fmt.Errorf("decode public key of %s: %w", k.id, err)
	}
	return &k, nil
}

// activeKey returns the key that signs for (env, alg), or nil.
func (s *pgStore) activeKey(ctx context.Context, env, alg string) (*keyRow, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM tokens.signing_keys
		WHERE env = $1 AND alg = $2 AND superseded_at IS NULL`, env, alg))
	if err != nil {
		return nil, fmt.Errorf("read active %s key of %s: %w", alg, env, err)
	}
	return k, nil
}

// keyByID returns a key by id, or nil.
func (s *pgStore) keyByID(ctx context.Context, id string) (*keyRow, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM tokens.signing_keys WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("read signing key %s: %w", id, err)
	}
	return k, nil
}

// insertFirstKey stores k as the active key of its (env, alg) unless
// another replica got there first; it reports whether k was stored.
func (s *pgStore) insertFirstKey(ctx context.Context, k *keyRow) (bool, error) {
	jwk, err := json.Marshal(k.jwk)
	if err != nil {
		return false, err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO tokens.signing_keys (id, env, alg, public_jwk, ciphertext, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (env, alg) WHERE superseded_at IS NULL DO NOTHING`,
		k.id, k.env, k.alg, jwk, k.ciphertext, k.createdAt)
	if err != nil {
		return false, fmt.Errorf("store signing key %s: %w", k.id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// errConcurrentRotation reports that another rotation of the same (env, alg)
// committed first.
var errConcurrentRotation = errors.New("another rotation of this key committed first")

// rotateKey supersedes the active key of k's (env, alg) at now and stores k
// as the new active key, in one transaction.
func (s *pgStore) rotateKey(ctx context.Context, k *keyRow, now time.Time) error {
	jwk, err := json.Marshal(k.jwk)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE tokens.signing_keys SET superseded_at = $3
			WHERE env = $1 AND alg = $2 AND superseded_at IS NULL`, k.env, k.alg, now); err != nil {
			return fmt.Errorf("supersede the %s key of %s: %w", k.alg, k.env, err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO tokens.signing_keys (id, env, alg, public_jwk, ciphertext, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, k.id, k.env, k.alg, jwk, k.ciphertext, k.createdAt)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return errConcurrentRotation
		}
		if err != nil {
			return fmt.Errorf("store signing key %s: %w", k.id, err)
		}
		return nil
	})
}

// publishedKeys returns env's active keys and those superseded after
// since, newest first.
func (s *pgStore) publishedKeys(ctx context.Context, env string, since time.Time) ([]keyRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM tokens.signing_keys
		WHERE env = $1 AND (superseded_at IS NULL OR superseded_at > $2)
		ORDER BY created_at DESC, id DESC`, env, since)
	if err != nil {
		return nil, fmt.Errorf("list signing keys of %s: %w", env, err)
	}
	defer rows.Close()
	var out []keyRow
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list signing keys of %s: %w", env, err)
		}
		out = append(out, *k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list signing keys of %s: %w", env, err)
	}
	return out, nil
}

// activeAlgs lists the algorithms with an active key in env.
func (s *pgStore) activeAlgs(ctx context.Context, env string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT alg FROM tokens.signing_keys
		WHERE env = $1 AND superseded_at IS NULL ORDER BY alg`, env)
	if err != nil {
		return nil, fmt.Errorf("list key algorithms of %s: %w", env, err)
	}
	algs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list key algorithms of %s: %w", env, err)
	}
	return algs, nil
}
