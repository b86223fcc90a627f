package identity

import (
	"context"
	"crypto/rand"
	"fmt"
	"runtime"
	"sync/atomic"
)

// PasswordHasher hashes and verifies passwords with argon2id. It runs at
// most a fixed number of hashes at once, so the memory they use is bounded
// (that number × Argon2Params.Memory); callers beyond it wait for a slot or
// for their context to end. It is safe for concurrent use.
type PasswordHasher struct {
	params Argon2Params
	slots  chan struct{}
	// dummy is a hash of no password, verified against when there is no
	// real hash to check, so that path costs what a real check costs.
	dummy *PasswordHash
	// computations counts argon2id derivations.
	computations atomic.Uint64
}

// NewPasswordHasher returns a hasher making new hashes with params and
// running at most maxConcurrent hashes at once (runtime.GOMAXPROCS(0) when
// maxConcurrent <= 0).
func NewPasswordHasher(params Argon2Params, maxConcurrent int) (*PasswordHasher, error) {
	if err := params.Validate(); err != nil {
		return nil, err
	}
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.GOMAXPROCS(0)
	}
	dummy := &PasswordHash{Params: params, Salt: make([]byte, params.SaltLen), Key: make([]byte, params.KeyLen)}
	if _, err := rand.Read(dummy.Salt); err != nil {
		return nil, fmt.Errorf("generate dummy password salt: %w", err)
	}
	if _, err := rand.Read(dummy.Key); err != nil {
		return nil, fmt.Errorf("generate dummy password hash: %w", err)
	}
	return &PasswordHasher{params: params, slots: make(chan struct{}, maxConcurrent), dummy: dummy}, nil
}

// Params returns the parameters new hashes are made with.
func (h *PasswordHasher) Params() Argon2Params { return h.params }

// Hash returns the PHC-format argon2id hash of password with a fresh salt.
// It does not check the password policy (see [CheckPasswordPolicy]).
func (h *PasswordHasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	h.computations.Add(1)
	ph, err := newPasswordHash(password, h.params)
	if err != nil {
		return "", err
	}
	return ph.String(), nil
}

// Verify reports whether password matches the PHC-format hash encoded,
// comparing in constant time. A hash that does not parse is an error
// wrapping [ErrMalformedHash], not a mismatch.
func (h *PasswordHasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	ph, err := ParsePasswordHash(encoded)
	if err != nil {
		return false, err
	}
	return h.verify(ctx, ph, password)
}

// NeedsRehash reports whether encoded was made with parameters other than
// the hasher's (or does not parse), so it should be replaced by a new hash
// of the same password the next time the password is known, at sign-in.
func (h *PasswordHasher) NeedsRehash(encoded string) bool {
	ph, err := ParsePasswordHash(encoded)
	if err != nil {
		return true
	}
	return ph.Params != h.params
}

// verifyDummy spends the time of a real verification with the current
// parameters and returns nothing: it stands in for a check when the user or
// their password does not exist, so timing does not tell the two apart.
func (h *PasswordHasher) verifyDummy(ctx context.Context, password string) error {
	_, err := h.verify(ctx, h.dummy, password)
	return err
}

func (h *PasswordHasher) verify(ctx context.Context, ph *PasswordHash, password string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	h.computations.Add(1)
	return ph.matches(password), nil
}

func (h *PasswordHasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for a password hashing slot: %w", context.Cause(ctx))
	}
}

func (h *PasswordHasher) release() { <-h.slots }
