package tokens

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// rsaBits is the size of new RS256 keys.
const rsaBits = 2048

// generateKey makes a private key for alg.
func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case api.AlgES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate ES256 key: %w", err)
		}
		return k, nil
	case api.AlgRS256:
		k, err := rsa.GenerateKey(rand.Reader, rsaBits)
		if err != nil {
			return nil, fmt.Errorf("generate RS256 key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("signing algorithm %q is not supported", alg)
}

// decodePrivate parses a PKCS #8 key and checks that it suits alg.
func decodePrivate(alg string, der []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot sign", k)
	}
	if _, err := api.NewJWK("check", alg, signer.Public()); err != nil {
		return nil, err
	}
	return signer, nil
}

// newSigners makes a JWS signer per typ header the key signs with.
func newSigners(id, alg string, priv crypto.Signer) (map[string]jose.Signer, error) {
	out := make(map[string]jose.Signer, 2)
	for _, typ := range []string{api.TypeAccessToken, api.TypeIDToken} {
		s, err := jose.NewSigner(jose.SigningKey{
			Algorithm: jose.SignatureAlgorithm(alg),
			Key:       jose.JSONWebKey{Key: priv, KeyID: id, Algorithm: alg},
		}, (&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
		if err != nil {
			return nil, fmt.Errorf("signer for key %s: %w", id, err)
		}
		out[typ] = s
	}
	return out, nil
}

// sign serialises claims and signs them with typ in the header.
func (k *signingKey) sign(typ string, claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	s, ok := k.signers[typ]
	if !ok {
		return "", fmt.Errorf("key %s has no signer for typ %q", k.id, typ)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign with key %s: %w", k.id, err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("serialise token: %w", err)
	}
	return out, nil
}
