package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
)

// clientSecretBytes is the entropy of a client secret: 256 bits.
const clientSecretBytes = 32

// maxClientSecretBytes bounds a presented secret before it is hashed.
const maxClientSecretBytes = 256

// newClientSecret returns a fresh client secret (43 characters of
// unpadded base64url) and the hash to store.
//
// Client secrets are hashed with plain SHA-256, not argon2id. A slow hash
// protects a guessable secret, one a person chose; a client secret is 256
// random bits, so even with the stored hash in hand an attacker must try on
// the order of 2^255 candidates, which no amount of stretching changes.
// SHA-256 is preimage resistant at that level, and keeps client
// authentication (every token request of a confidential client) cheap and
// free of the memory cost that would make the token endpoint a
// denial-of-service lever.
func newClientSecret() (secret string, hash []byte, err error) {
	b := make([]byte, clientSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("generate client secret: %w", err)
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, hashClientSecret(secret), nil
}

func hashClientSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// clientSecretMatches reports, in constant time, whether secret hashes to
// stored.
func clientSecretMatches(stored []byte, secret string) bool {
	if len(secret) > maxClientSecretBytes || len(stored) != sha256.Size {
		return false
	}
	return subtle.ConstantTimeCompare(hashClientSecret(secret), stored) == 1
}
