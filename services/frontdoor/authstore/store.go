package authstore

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors matched with errors.Is.
var (
	// ErrNotFound: the session or code is unknown, expired, or belongs to
	// another environment.
	ErrNotFound = errors.New("not found")
	// ErrCodeReused: the authorization code was redeemed before.
	ErrCodeReused = errors.New("authorization code was already used")
	// ErrCodeExpired: the authorization code is past its lifetime.
	ErrCodeExpired = errors.New("authorization code has expired")
)

// secretBytes is the entropy of session tokens and authorization codes.
const secretBytes = 32

// maxSecretLen bounds a presented secret before it is hashed: 43
// characters of base64url, with room for a mistaken copy.
const maxSecretLen = 256

// Store reads and writes sessions, codes and sign-in attempts. It is safe
// for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store on pool, whose database must be migrated
// (identity.Migrate applies every frontdoor migration).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// newSecret returns 256 random bits as unpadded base64url, and its hash.
func newSecret() (secret string, hash []byte, err error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("generate a random secret: %w", err)
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, hashSecret(secret), nil
}

func hashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// validSecret refuses what cannot be one of our secrets before any query.
func validSecret(s string) bool { return s != "" && len(s) <= maxSecretLen }
