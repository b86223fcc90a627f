package tokens

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/sync/singleflight"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// signingKey is a key as the keyring caches it. A cached value is never
// modified: updates replace it.
type signingKey struct {
	id           string
	env          string
	alg          string
	jwk          api.JWK
	public       crypto.PublicKey
	createdAt    time.Time
	supersededAt *time.Time
	// private and signers are nil for a key loaded only to verify.
	private crypto.Signer
	signers map[string]jose.Signer
	// checked is when supersededAt was last read from the database.
	checked time.Time
}

type envAlg struct{ env, alg string }

// activeRef is the cached answer to "which key signs for (env, alg)".
type activeRef struct {
	id      string
	checked time.Time
}

// keyring finds, creates, rotates and caches signing keys.
type keyring struct {
	store      *pgStore
	data       *kapi.DataClient
	defaultAlg string
	overlap    time.Duration
	cacheTTL   time.Duration
	now        func() time.Time
	log        *slog.Logger
	metrics    *metrics
	announce   func(env string)

	mu     sync.Mutex
	byID   map[string]*signingKey
	active map[envAlg]activeRef
	group  singleflight.Group
}

// signer returns the key that signs for (env, alg), making it on first use.
func (k *keyring) signer(ctx context.Context, env, alg string) (*signingKey, error) {
	now := k.now()
	k.mu.Lock()
	if ref, ok := k.active[envAlg{env, alg}]; ok && now.Sub(ref.checked) < k.cacheTTL {
		if key := k.byID[ref.id]; key != nil && key.private != nil {
			k.mu.Unlock()
			return key, nil
		}
	}
	k.mu.Unlock()
	// The load runs detached from any one caller, under its own timeout, so
	// a caller that gives up does not fail the others waiting on it.
	ch := k.group.DoChan("active\x00"+env+"\x00"+alg, func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keyLoadTimeout)
		defer cancel()
		return k.loadActive(lctx, env, alg)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*signingKey), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// keyLoadTimeout bounds loading (or creating) a signing key.
const keyLoadTimeout = 15 * time.Second

func (k *keyring) loadActive(ctx context.Context, env, alg string) (*signingKey, error) {
	row, err := k.store.activeKey(ctx, env, alg)
	if err != nil {
		return nil, err
	}
	if row == nil {
		if row, err = k.createFirst(ctx, env, alg); err != nil {
			return nil, err
		}
	}
	key, err := k.withPrivate(ctx, row)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.active[envAlg{env, alg}] = activeRef{id: key.id, checked: key.checked}
	k.mu.Unlock()
	return key, nil
}

// createFirst makes env's first key for alg. When another replica stores
// one first, that one is returned instead.
func (k *keyring) createFirst(ctx context.Context, env, alg string) (*keyRow, error) {
	row, _, err := k.newKey(ctx, env, alg)
	if err != nil {
		return nil, err
	}
	stored, err := k.store.insertFirstKey(ctx, row)
	if err != nil {
		return nil, err
	}
	if !stored {
		row, err = k.store.activeKey(ctx, env, alg)
		if err != nil {
			return nil, err
		}
		if row == nil {
			return nil, fmt.Errorf("the %s key of %s was superseded while it was being made; retry", alg, env)
		}
		return row, nil
	}
	k.metrics.keyCreated(alg, "first_use")
	k.log.Info("signing key created", "env", env, "alg", alg, "kid", row.id)
	k.announce(env)
	return row, nil
}

// newKey generates a key and encrypts its private half through the keys
// service; the row is not stored yet.
func (k *keyring) newKey(ctx context.Context, env, alg string) (*keyRow, crypto.Signer, error) {
	priv, err := generateKey(alg)
	if err != nil {
		return nil, nil, err
	}
	id := ids.New("sig")
	jwk, err := api.NewJWK(id, alg, priv.Public())
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("encode private key %s: %w", id, err)
	}
	ct, err := k.data.Encrypt(ctx, env, kapi.PurposeSigningKey, id, der)
	clear(der)
	if err != nil {
		return nil, nil, keysServiceError("encrypt the new signing key", err)
	}
	return &keyRow{id: id, env: env, alg: alg, jwk: jwk, ciphertext: ct, createdAt: k.now()}, priv, nil
}

// withPrivate returns row as a key that can sign, decrypting its private
// half unless it is cached.
func (k *keyring) withPrivate(ctx context.Context, row *keyRow) (*signingKey, error) {
	k.mu.Lock()
	cached := k.byID[row.id]
	k.mu.Unlock()
	var priv crypto.Signer
	if cached != nil && cached.private != nil {
		priv = cached.private
	} else {
		der, err := k.data.Decrypt(ctx, row.env, kapi.PurposeSigningKey, row.id, row.ciphertext)
		if err != nil {
			return nil, keysServiceError("decrypt signing key "+row.id, err)
		}
		priv, err = decodePrivate(row.alg, der)
		clear(der)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", row.id, err)
		}
	}
	return k.cache(row, priv)
}

// cache stores row (with its private key, if known) in the cache.
func (k *keyring) cache(row *keyRow, priv crypto.Signer) (*signingKey, error) {
	pub, err := row.jwk.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", row.id, err)
	}
	key := &signingKey{id: row.id, env: row.env, alg: row.alg, jwk: row.jwk, public: pub,
		createdAt: row.createdAt, supersededAt: row.supersededAt, checked: k.now()}
	k.mu.Lock()
	if old := k.byID[row.id]; old != nil && old.private != nil {
		key.private, key.signers = old.private, old.signers
	}
	k.mu.Unlock()
	if key.private == nil && priv != nil {
		signers, err := newSigners(row.id, row.alg, priv)
		if err != nil {
			return nil, err
		}
		key.private, key.signers = priv, signers
	}
	k.mu.Lock()
	k.byID[row.id] = key
	k.mu.Unlock()
	return key, nil
}

// verifier returns the public key kid of env for verification. A key of
// another environment, an unknown key and a retired key are all
// api.ErrUnknownKey.
func (k *keyring) verifier(ctx context.Context, env, kid string) (*signingKey, error) {
	now := k.now()
	k.mu.Lock()
	key := k.byID[kid]
	k.mu.Unlock()
	if key == nil || (key.supersededAt == nil && now.Sub(key.checked) >= k.cacheTTL) {
		row, err := k.store.keyByID(ctx, kid)
		if err != nil {
			return nil, err
		}
		if row == nil {
			return nil, fmt.Errorf("%w: no signing key %q", api.ErrUnknownKey, kid)
		}
		if key, err = k.cache(row, nil); err != nil {
			return nil, err
		}
	}
	if key.env != env {
		return nil, fmt.Errorf("%w: key %s belongs to another environment", api.ErrUnknownKey, kid)
	}
	if key.supersededAt != nil && !now.Before(key.supersededAt.Add(k.overlap)) {
		return nil, fmt.Errorf("%w: key %s was retired at %s", api.ErrUnknownKey, kid,
			key.supersededAt.Add(k.overlap).UTC().Format(time.RFC3339))
	}
	return key, nil
}

// keySource adapts verifier to api.VerifyWith.
func (k *keyring) keySource(ctx context.Context, env string) api.KeySource {
	return func(kid, alg string) (crypto.PublicKey, error) {
		key, err := k.verifier(ctx, env, kid)
		if err != nil {
			return nil, err
		}
		if key.alg != alg {
			return nil, fmt.Errorf("%w: key %s is for %s, the token says %s", api.ErrAlgorithm, kid, key.alg, alg)
		}
		return key.public, nil
	}
}

// rotate makes a new active key for (env, alg) and supersedes the old one.
func (k *keyring) rotate(ctx context.Context, env, alg string) (*signingKey, error) {
	for attempt := 0; ; attempt++ {
		row, priv, err := k.newKey(ctx, env, alg)
		if err != nil {
			return nil, err
		}
		err = k.store.rotateKey(ctx, row, k.now())
		if errors.Is(err, errConcurrentRotation) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, err
		}
		k.invalidate(env)
		key, err := k.cache(row, priv)
		if err != nil {
			return nil, err
		}
		k.mu.Lock()
		k.active[envAlg{env, alg}] = activeRef{id: key.id, checked: key.checked}
		k.mu.Unlock()
		k.metrics.keyCreated(alg, "rotation")
		k.log.Info("signing key rotated", "env", env, "alg", alg, "kid", key.id)
		k.announce(env)
		return key, nil
	}
}

// rotateAll rotates every algorithm in use in env, and the default one.
func (k *keyring) rotateAll(ctx context.Context, env string) ([]*signingKey, error) {
	algs, err := k.store.activeAlgs(ctx, env)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(algs, k.defaultAlg) {
		algs = append(algs, k.defaultAlg)
	}
	slices.Sort(algs)
	var out []*signingKey
	for _, alg := range algs {
		key, err := k.rotate(ctx, env, alg)
		if err != nil {
			return out, err
		}
		out = append(out, key)
	}
	return out, nil
}

// published returns env's JWKS, making the environment's first key if it
// has none.
func (k *keyring) published(ctx context.Context, env string) (api.JWKS, error) {
	if _, err := k.signer(ctx, env, k.defaultAlg); err != nil {
		return api.JWKS{}, err
	}
	rows, err := k.store.publishedKeys(ctx, env, k.now().Add(-k.overlap))
	if err != nil {
		return api.JWKS{}, err
	}
	set := api.JWKS{Keys: make([]api.JWK, 0, len(rows))}
	for _, r := range rows {
		set.Keys = append(set.Keys, r.jwk)
	}
	return set, nil
}

// invalidate forgets what the cache believes about env's active keys, after
// a rotation here or elsewhere. Decrypted private keys stay cached.
func (k *keyring) invalidate(env string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for ea := range k.active {
		if ea.env == env {
			delete(k.active, ea)
		}
	}
	for id, key := range k.byID {
		if key.env == env && key.supersededAt == nil {
			stale := *key
			stale.checked = time.Time{}
			k.byID[id] = &stale
		}
	}
}

// describe returns the api view of a key.
func (k *keyring) describe(key *signingKey) api.SigningKey {
	out := api.SigningKey{ID: key.id, Env: key.env, Alg: key.alg, CreatedAt: key.createdAt}
	if key.supersededAt != nil {
		s := *key.supersededAt
		r := s.Add(k.overlap)
		out.SupersededAt, out.RetiresAt = &s, &r
	}
	return out
}

// keysServiceError turns a failure of the keys service into an error for our
// caller: unavailable when it is down or slow, internal otherwise. The keys
// service's own code is deliberately not wrapped: its invalid_argument is our
// internal error, not the caller's mistake.
func keysServiceError(what string, err error) error {
	switch natsrpc.CodeOf(err) {
	case natsrpc.CodeUnavailable, natsrpc.CodeDeadlineExceeded, natsrpc.CodeOverloaded:
		return natsrpc.Errorf(natsrpc.CodeUnavailable, "cannot %s: the keys service did not answer (%v)", what, err)
	}
	return fmt.Errorf("%s: %s", what, err.Error())
}
