package api

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// JWK is a public signing key as RFC 7517 writes it: kty "EC" with crv,
// x, y for ES256, kty "RSA" with n, e for RS256; use is always "sig".
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	Kid string `json:"kid,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// JWKS is a JWK Set (RFC 7517 §5): the reply of SubjectJWKS, which the
// frontdoor serves as it is at its jwks_uri. It lists the active keys (one
// per algorithm in use) and the superseded keys still in their overlap
// period, newest first.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// NewJWK describes the public key pub (an *ecdsa.PublicKey on P-256 for
// ES256, an *rsa.PublicKey of at least 2048 bits for RS256).
func NewJWK(kid, alg string, pub crypto.PublicKey) (JWK, error) {
	if err := checkKey(alg, pub); err != nil {
		return JWK{}, err
	}
	data, err := jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"}.MarshalJSON()
	if err != nil {
		return JWK{}, fmt.Errorf("encode key %s as a JWK: %w", kid, err)
	}
	var k JWK
	if err := json.Unmarshal(data, &k); err != nil {
		return JWK{}, fmt.Errorf("encode key %s as a JWK: %w", kid, err)
	}
	return k, nil
}

// PublicKey decodes the key, checking that it suits its alg.
func (k JWK) PublicKey() (crypto.PublicKey, error) {
	data, err := json.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("JWK %s: %w", k.Kid, err)
	}
	var jk jose.JSONWebKey
	if err := jk.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("JWK %s: %w", k.Kid, err)
	}
	if !jk.IsPublic() {
		return nil, fmt.Errorf("JWK %s is not a public key", k.Kid)
	}
	if err := checkKey(k.Alg, jk.Key); err != nil {
		return nil, err
	}
	return jk.Key, nil
}

// KeySource finds the public key for a token's kid and alg. It returns an
// error wrapping ErrUnknownKey when there is no such key.
type KeySource func(kid, alg string) (crypto.PublicKey, error)

// KeySource looks keys up in the set. A key whose alg differs from the
// token's is not used.
func (s JWKS) KeySource() KeySource {
	return func(kid, alg string) (crypto.PublicKey, error) {
		for _, k := range s.Keys {
			if k.Kid != kid || (k.Use != "" && k.Use != "sig") {
				continue
			}
			if k.Alg != alg {
				return nil, fmt.Errorf("%w: key %s is for %s, the token says %s", ErrAlgorithm, kid, k.Alg, alg)
			}
			return k.PublicKey()
		}
		return nil, fmt.Errorf("%w: no key %q in the set", ErrUnknownKey, kid)
	}
}

// checkKey accepts the key types and sizes each algorithm is allowed.
func checkKey(alg string, pub crypto.PublicKey) error {
	switch alg {
	case AlgES256:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P256() {
			return fmt.Errorf("%w: ES256 needs a P-256 ECDSA key, got %T", ErrAlgorithm, pub)
		}
	case AlgRS256:
		k, ok := pub.(*rsa.PublicKey)
		if !ok || k.N.BitLen() < 2048 {
			return fmt.Errorf("%w: RS256 needs an RSA key of at least 2048 bits", ErrAlgorithm)
		}
	default:
		return fmt.Errorf("%w: %q (allowed: %s, %s)", ErrAlgorithm, alg, AlgES256, AlgRS256)
	}
	return nil
}
