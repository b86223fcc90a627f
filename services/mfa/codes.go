package mfa

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"

	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// codeKeyContext is the keys service context of the per-environment hash
// key.
const codeKeyContext = "code_key"

// codeKeys holds each environment's hash key, read (or made) on first use
// and kept in memory.
type codeKeys struct {
	store *pgStore
	data  *kapi.DataClient

	mu   sync.Mutex
	keys map[string][]byte
}

// key returns env's hash key.
func (c *codeKeys) key(ctx context.Context, env string) ([]byte, error) {
	c.mu.Lock()
	k, ok := c.keys[env]
	c.mu.Unlock()
	if ok {
		return k, nil
	}
	ct, err := c.store.codeKey(ctx, env)
	if err != nil {
		return nil, err
	}
	if ct == nil {
		fresh := make([]byte, 32)
		if _, err := rand.Read(fresh); err != nil {
			return nil, fmt.Errorf("make the code key of %s: %w", env, err)
		}
		sealed, err := c.data.Encrypt(ctx, env, kapi.PurposeTOTPSecret, codeKeyContext, fresh)
		if err != nil {
			return nil, fmt.Errorf("encrypt the code key of %s: %w", env, err)
		}
		// Another replica may have made one first: keep whichever is stored.
		if ct, err = c.store.insertCodeKey(ctx, env, sealed); err != nil {
			return nil, err
		}
	}
	k, err = c.data.Decrypt(ctx, env, kapi.PurposeTOTPSecret, codeKeyContext, ct)
	if err != nil {
		return nil, fmt.Errorf("decrypt the code key of %s: %w", env, err)
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("the code key of %s is %d bytes, not 32", env, len(k))
	}
	c.mu.Lock()
	c.keys[env] = k
	c.mu.Unlock()
	return k, nil
}

// keyedHash is HMAC-SHA-256 under key of the parts, each length-prefixed
// so that no two lists of parts hash alike.
func keyedHash(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		fmt.Fprintf(m, "%d:", len(p))
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// randomDigits returns n uniformly random decimal digits.
func randomDigits(n int) (string, error) {
	var b strings.Builder
	ten := big.NewInt(10)
	for range n {
		d, err := rand.Int(rand.Reader, ten)
		if err != nil {
			return "", fmt.Errorf("random code: %w", err)
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String(), nil
}

// backupAlphabet has no 0/o, 1/l/i: codes are read off paper.
const backupAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// backupCodeLen is the length of a backup code without its hyphen.
const backupCodeLen = 10

// Backup code hashing. A backup code has about 49 bits of entropy, under
// the 112 bits below which ASVS 5.0 (6.5.2) asks for a salted password
// hash rather than a plain one: each code is stored as PBKDF2-HMAC-SHA-256,
// with its own random salt, of its keyed hash under the environment's code
// key. A copy of the database alone is useless without the code key, and
// with it each code still costs 2^48 guesses of backupHashIterations
// iterations on average, one code at a time (years of a GPU's work each).
// The iteration count is far below a password's because the secret is
// random, not chosen; it keeps a verification, which hashes the guess once
// per stored code, at a few tens of milliseconds.
const (
	backupHashIterations = 5000
	backupSaltLen        = 16
	// maxBackupHashIterations bounds a stored count, so a corrupted row
	// cannot make one verification take minutes.
	maxBackupHashIterations = 1_000_000
)

// storedBackupCode is a backup code as stored.
type storedBackupCode struct {
	salt       []byte
	iterations int
	hash       []byte
}

// newStoredBackupCode hashes the keyed hash of a code with a new salt.
func newStoredBackupCode(peppered []byte) (storedBackupCode, error) {
	salt := make([]byte, backupSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return storedBackupCode{}, fmt.Errorf("random backup code salt: %w", err)
	}
	h, err := backupPasswordHash(peppered, salt, backupHashIterations)
	if err != nil {
		return storedBackupCode{}, err
	}
	return storedBackupCode{salt: salt, iterations: backupHashIterations, hash: h}, nil
}

// backupPasswordHash is PBKDF2-HMAC-SHA-256 of peppered (a code's keyed
// hash) with salt.
func backupPasswordHash(peppered, salt []byte, iterations int) ([]byte, error) {
	if iterations < 1 || iterations > maxBackupHashIterations {
		return nil, fmt.Errorf("a stored backup code has %d PBKDF2 iterations, out of range", iterations)
	}
	h, err := pbkdf2.Key(sha256.New, string(peppered), salt, iterations, sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("hash a backup code: %w", err)
	}
	return h, nil
}

// matchBackupCode returns the index of the stored code peppered is, or -1.
// It hashes the guess for every stored code, and as many times again as
// the set lacks of api.BackupCodeCount, so the time taken says neither
// which code matched nor how many are left.
func matchBackupCode(peppered []byte, stored []storedBackupCode) (int, error) {
	match := -1
	for i, c := range stored {
		h, err := backupPasswordHash(peppered, c.salt, c.iterations)
		if err != nil {
			return -1, err
		}
		if hmac.Equal(h, c.hash) {
			match = i
		}
	}
	pad := make([]byte, backupSaltLen)
	for i := len(stored); i < api.BackupCodeCount; i++ {
		if _, err := backupPasswordHash(peppered, pad, backupHashIterations); err != nil {
			return -1, err
		}
	}
	return match, nil
}

// newBackupCode returns a code like "k7cxq-m2dtr" (about 49 bits).
func newBackupCode() (string, error) {
	var b strings.Builder
	n := big.NewInt(int64(len(backupAlphabet)))
	for i := range backupCodeLen {
		if i == backupCodeLen/2 {
			b.WriteByte('-')
		}
		d, err := rand.Int(rand.Reader, n)
		if err != nil {
			return "", fmt.Errorf("random backup code: %w", err)
		}
		b.WriteByte(backupAlphabet[d.Int64()])
	}
	return b.String(), nil
}

// normalizeBackupCode returns code lower-cased without spaces and hyphens,
// or an error when it cannot be a backup code.
func normalizeBackupCode(code string) (string, error) {
	c := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, code)
	if len(c) != backupCodeLen {
		return "", errors.New("not a backup code")
	}
	for _, r := range c {
		if !strings.ContainsRune(backupAlphabet, r) {
			return "", errors.New("not a backup code")
		}
	}
	return c, nil
}
