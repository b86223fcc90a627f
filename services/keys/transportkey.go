package keys

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// serviceTransportInfo separates the derivation of the service's transport
// key from every other use of the master key.
const serviceTransportInfo = "gatehouse keys service transport v1"

// deriveTransportKey returns the service's X25519 transport key, derived
// from the master key with HKDF-SHA256: every replica started with the same
// master key has the same transport key, so any of them opens what a caller
// sealed to it. The key changes with the master key.
func deriveTransportKey(kek []byte) (*ecdh.PrivateKey, error) {
	seed, err := hkdf.Key(sha256.New, kek, nil, serviceTransportInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("keys: derive the service transport key: %w", err)
	}
	defer clear(seed)
	// X25519 clamps the scalar itself, so any 32 bytes are a private key.
	k, err := ecdh.X25519().NewPrivateKey(seed)
	if err != nil {
		return nil, fmt.Errorf("keys: derive the service transport key: %w", err)
	}
	return k, nil
}
