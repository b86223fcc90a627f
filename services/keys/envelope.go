package keys

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
)

// dataKeySize is the size of a per-environment data key (AES-256).
const dataKeySize = 32

// errNoDataKey: the environment has no data key yet.
var errNoDataKey = errors.New("no data key")

// errDecrypt: a ciphertext does not open with the key and associated data.
var errDecrypt = errors.New("does not decrypt")

// encrypt seals plaintext with AES-256-GCM under key, bound to aad. The
// output is nonce (12) ‖ ciphertext ‖ tag.
func encrypt(key, plaintext, aad []byte) ([]byte, error) {
	g, err := gcm(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, g.NonceSize(), g.NonceSize()+len(plaintext)+g.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return g.Seal(out, out, plaintext, aad), nil
}

// decrypt opens what encrypt sealed; any failure is errDecrypt.
func decrypt(key, sealed, aad []byte) ([]byte, error) {
	g, err := gcm(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < g.NonceSize()+g.Overhead() {
		return nil, errDecrypt
	}
	plain, err := g.Open(nil, sealed[:g.NonceSize()], sealed[g.NonceSize():], aad)
	if err != nil {
		return nil, errDecrypt
	}
	return plain, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	return cipher.NewGCM(block)
}

// wrapAAD is the associated data of an environment's wrapped data key: the
// row id of data_keys.
func wrapAAD(env string) []byte { return []byte(env) }

// dataKeys hands out unwrapped per-environment data keys, creating them on
// first use and caching them in memory.
type dataKeys struct {
	pool  *pgxpool.Pool
	kek   []byte
	kekID string

	mu    sync.Mutex
	cache map[string][]byte
}

func newDataKeys(pool *pgxpool.Pool, kek []byte) *dataKeys {
	return &dataKeys{pool: pool, kek: kek, kekID: kekID(kek), cache: map[string][]byte{}}
}

// get returns env's data key. With create, a missing key is made (two
// replicas racing both end up with the one stored first); without, a
// missing key is errNoDataKey. A key wrapped by another master key, or
// altered, is a CodeInternal *natsrpc.Error that says so.
func (d *dataKeys) get(ctx context.Context, env string, create bool) ([]byte, error) {
	d.mu.Lock()
	dk, ok := d.cache[env]
	d.mu.Unlock()
	if ok {
		return dk, nil
	}
	if create {
		fresh := make([]byte, dataKeySize)
		if _, err := rand.Read(fresh); err != nil {
			return nil, fmt.Errorf("generate data key for environment %s: %w", env, err)
		}
		wrapped, err := encrypt(d.kek, fresh, wrapAAD(env))
		if err != nil {
			return nil, fmt.Errorf("wrap data key for environment %s: %w", env, err)
		}
		// Never next to data keys wrapped by another master key: a service
		// still running with the old key after a rotation (or a replica
		// started with the wrong one) must not create keys nobody can open
		// with the current master key. Rotation locks the table, so this
		// check sees its result.
		if _, err := d.pool.Exec(ctx, `INSERT INTO keys.data_keys (env, kek_id, wrapped)
			SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM keys.data_keys WHERE kek_id <> $2)
			ON CONFLICT (env) DO NOTHING`, env, d.kekID, wrapped); err != nil {
			return nil, fmt.Errorf("store data key for environment %s: %w", env, err)
		}
	}
	var storedID string
	var wrapped []byte
	err := d.pool.QueryRow(ctx, `SELECT kek_id, wrapped FROM keys.data_keys WHERE env = $1`, env).Scan(&storedID, &wrapped)
	if errors.Is(err, pgx.ErrNoRows) {
		if create {
			return nil, natsrpc.Errorf(natsrpc.CodeInternal, "no data key created for environment %s: the stored data keys were wrapped by another master key than this service's (%s); restart it with the current master key",
				env, d.kekID)
		}
		return nil, errNoDataKey
	}
	if err != nil {
		return nil, fmt.Errorf("read data key for environment %s: %w", env, err)
	}
	if storedID != d.kekID {
		return nil, natsrpc.Errorf(natsrpc.CodeInternal, "the data key of environment %s was wrapped by master key %s, but this service runs with master key %s: restart it with the current master key",
			env, storedID, d.kekID)
	}
	dk, err = decrypt(d.kek, wrapped, wrapAAD(env))
	if err != nil {
		return nil, natsrpc.Errorf(natsrpc.CodeInternal, "the data key of environment %s does not unwrap with master key %s: it was altered", env, d.kekID)
	}
	d.mu.Lock()
	d.cache[env] = dk
	d.mu.Unlock()
	return dk, nil
}
