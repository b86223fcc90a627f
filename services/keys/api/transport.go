package api

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// transportInfo separates this use of HKDF from any other.
const transportInfo = "gatehouse keys transport v1"

// ErrOpen is returned for a sealed value that does not open: wrong key,
// altered, truncated, or sealed for another purpose.
var ErrOpen = errors.New("keys: the sealed value does not open with this transport key")

// NewTransportKey returns a fresh X25519 key. A worker makes one at start and
// sends its public half (PublicKey().Bytes()) with resolve requests.
func NewTransportKey() (*ecdh.PrivateKey, error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keys: transport key: %w", err)
	}
	return k, nil
}

// AADEnv is the associated data of a sealed environment variable.
func AADEnv(env, key string) []byte { return []byte("env\x00" + env + "\x00" + key) }

// AADWorkflowKey is the associated data of a sealed workflow key.
func AADWorkflowKey(env, workflowID, keyID string) []byte {
	return []byte("wfk\x00" + env + "\x00" + workflowID + "\x00" + keyID)
}

// Seal encrypts plaintext to the X25519 public key to: an ephemeral key
// agreement, HKDF-SHA256, then AES-256-GCM with aad. The output is
// ephemeral public key (32) ‖ nonce (12) ‖ ciphertext ‖ tag.
func Seal(to, plaintext, aad []byte) ([]byte, error) {
	peer, err := ecdh.X25519().NewPublicKey(to)
	if err != nil {
		return nil, fmt.Errorf("keys: the transport key is not an X25519 public key: %w", err)
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keys: ephemeral key: %w", err)
	}
	g, err := transportAEAD(eph, peer, eph.PublicKey().Bytes(), to)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 32+g.NonceSize()+len(plaintext)+g.Overhead())
	out = append(out, eph.PublicKey().Bytes()...)
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("keys: nonce: %w", err)
	}
	out = append(out, nonce...)
	return g.Seal(out, nonce, plaintext, aad), nil
}

// Open decrypts what Seal sealed to priv's public key.
func Open(priv *ecdh.PrivateKey, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 32+12+16 {
		return nil, ErrOpen
	}
	peer, err := ecdh.X25519().NewPublicKey(sealed[:32])
	if err != nil {
		return nil, ErrOpen
	}
	g, err := transportAEAD(priv, peer, sealed[:32], priv.PublicKey().Bytes())
	if err != nil {
		return nil, ErrOpen
	}
	nonce := sealed[32 : 32+g.NonceSize()]
	plain, err := g.Open(nil, nonce, sealed[32+g.NonceSize():], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// transportAEAD derives the AES-256-GCM key from the shared secret, bound to
// both public keys.
func transportAEAD(priv *ecdh.PrivateKey, peer *ecdh.PublicKey, ephPub, recipientPub []byte) (cipher.AEAD, error) {
	shared, err := priv.ECDH(peer)
	if err != nil {
		return nil, fmt.Errorf("keys: key agreement: %w", err)
	}
	salt := append(append([]byte{}, ephPub...), recipientPub...)
	key, err := hkdf.Key(sha256.New, shared, salt, transportInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("keys: derive: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return cipher.NewGCM(block)
}
