package securefetch

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Sizes of the parts of an encrypted body.
const (
	KeySize   = 32 // AES-256
	NonceSize = 12
	TagSize   = 16
)

// ErrDecrypt is returned for every body that does not decrypt: wrong key,
// truncated, altered or malformed. It says no more, on purpose.
var ErrDecrypt = errors.New("securefetch: the body does not decrypt with this key")

// ParseKey reads a workflow encryption key as shown when it was created.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.RawURLEncoding.DecodeString,
		base64.URLEncoding.DecodeString,
		base64.StdEncoding.DecodeString,
		base64.RawStdEncoding.DecodeString,
		hex.DecodeString,
	} {
		if k, err := dec(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("securefetch: a key is %d bytes in base64url, base64 or hex", KeySize)
}

// FormatKey writes a key the way ParseKey reads it (unpadded base64url).
func FormatKey(key []byte) string { return base64.RawURLEncoding.EncodeToString(key) }

// NewKey returns a random key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := io.ReadFull(rand.Reader, k); err != nil {
		return nil, fmt.Errorf("securefetch: generate key: %w", err)
	}
	return k, nil
}

func aead(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("securefetch: the key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("securefetch: %w", err)
	}
	return cipher.NewGCM(block)
}

// Encrypt seals plaintext with key and a fresh random nonce.
func Encrypt(key, plaintext []byte) (string, error) {
	nonce := make([]byte, NonceSize)
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return "", fmt.Errorf("securefetch: nonce: %w", err)
	}
	return EncryptWithNonce(key, nonce, plaintext)
}

// EncryptWithNonce seals plaintext with the given nonce. A nonce must never
// be used twice with one key; Encrypt picks a random one. This form exists
// for test vectors.
func EncryptWithNonce(key, nonce, plaintext []byte) (string, error) {
	g, err := aead(key)
	if err != nil {
		return "", err
	}
	if len(nonce) != NonceSize {
		return "", fmt.Errorf("securefetch: the nonce is %d bytes, want %d", len(nonce), NonceSize)
	}
	sealed := g.Seal(nil, nonce, plaintext, nil) // ciphertext ‖ tag
	ct, tag := sealed[:len(sealed)-TagSize], sealed[len(sealed)-TagSize:]
	out := make([]byte, 0, NonceSize+TagSize+len(ct))
	out = append(out, nonce...)
	out = append(out, tag...)
	out = append(out, ct...)
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// Decrypt opens a body written by Encrypt. Surrounding white space and
// base64 padding are ignored.
func Decrypt(key []byte, body string) ([]byte, error) {
	g, err := aead(key)
	if err != nil {
		return nil, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(body), "="))
	if err != nil || len(raw) < NonceSize+TagSize {
		return nil, ErrDecrypt
	}
	nonce, tag, ct := raw[:NonceSize], raw[NonceSize:NonceSize+TagSize], raw[NonceSize+TagSize:]
	sealed := make([]byte, 0, len(ct)+TagSize)
	sealed = append(sealed, ct...)
	sealed = append(sealed, tag...)
	plain, err := g.Open(nil, nonce, sealed, nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}
