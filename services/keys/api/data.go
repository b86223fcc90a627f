package api

import (
	"context"
	"crypto/ecdh"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
)

// Data encryption for other services: the tokens service's signing keys, the
// MFA service's TOTP secrets. The keys service encrypts with the
// environment's data key (AES-256-GCM, associated data env, purpose and
// context); the caller stores the opaque ciphertext. Plaintext crosses the
// bus sealed both ways: to the keys service's transport key on the way in,
// to the caller's on the way out.
const (
	// SubjectTransportKey returns the keys service's X25519 public key
	// (TransportKeyResponse). Every replica derives the same key from the
	// master key, so any replica opens what was sealed to it.
	SubjectTransportKey = "gatehouse.keys.transport_key"
	SubjectDataEncrypt  = "gatehouse.keys.data.encrypt"
	SubjectDataDecrypt  = "gatehouse.keys.data.decrypt"
)

// Purposes of data encryption; a ciphertext opens only for its purpose.
const (
	PurposeSigningKey = "signing_key" // tokens: private JWS keys
	PurposeTOTPSecret = "totp_secret" // mfa: TOTP shared secrets
)

// MaxDataBytes caps one plaintext.
const MaxDataBytes = 16 << 10

// TransportKeyResponse carries the keys service's X25519 public key.
type TransportKeyResponse struct {
	PublicKey []byte `json:"publicKey"`
}

// EncryptRequest asks for plaintext to be encrypted. Sealed is the plaintext
// sealed with Seal to the keys service's transport key and
// AADData(env, purpose, context). Context names the thing (a key id, a
// factor id) so a ciphertext moved to another row does not open.
type EncryptRequest struct {
	Env     string `json:"env"`
	Purpose string `json:"purpose"`
	Context string `json:"context"`
	Sealed  []byte `json:"sealed"`
}

// EncryptResponse is the ciphertext to store.
type EncryptResponse struct {
	Ciphertext []byte `json:"ciphertext"`
}

// DecryptRequest asks for a ciphertext back, sealed to TransportKey.
type DecryptRequest struct {
	Env          string `json:"env"`
	Purpose      string `json:"purpose"`
	Context      string `json:"context"`
	Ciphertext   []byte `json:"ciphertext"`
	TransportKey []byte `json:"transportKey"`
}

// DecryptResponse carries the plaintext sealed to the caller; open it with
// AADData(env, purpose, context).
type DecryptResponse struct {
	Sealed []byte `json:"sealed"`
}

// AADData is the associated data of data sealed for encryption or
// decryption.
func AADData(env, purpose, context string) []byte {
	return []byte("data\x00" + env + "\x00" + purpose + "\x00" + context)
}

// DataClient encrypts and decrypts through the keys service. It is safe for
// concurrent use.
type DataClient struct {
	nc        *nats.Conn
	transport *ecdh.PrivateKey

	mu     sync.Mutex
	server []byte // the keys service's transport key, fetched on first use
}

// NewDataClient makes a client with its own transport key.
func NewDataClient(nc *nats.Conn) (*DataClient, error) {
	tk, err := NewTransportKey()
	if err != nil {
		return nil, err
	}
	return &DataClient{nc: nc, transport: tk}, nil
}

// Encrypt returns the ciphertext of plaintext for (env, purpose, about);
// about is the request's Context.
func (c *DataClient) Encrypt(ctx context.Context, env, purpose, about string, plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxDataBytes {
		return nil, fmt.Errorf("keys: %d bytes to encrypt, over the %d-byte limit", len(plaintext), MaxDataBytes)
	}
	aad := AADData(env, purpose, about)
	for attempt := 0; ; attempt++ {
		server, err := c.serverKey(ctx, attempt > 0)
		if err != nil {
			return nil, err
		}
		sealed, err := Seal(server, plaintext, aad)
		if err != nil {
			return nil, err
		}
		resp, err := natsrpc.Call[EncryptRequest, EncryptResponse](ctx, c.nc, SubjectDataEncrypt,
			EncryptRequest{Env: env, Purpose: purpose, Context: about, Sealed: sealed})
		// A rotated master key changes the service's transport key: fetch it
		// again once.
		if attempt == 0 && natsrpc.IsCode(err, natsrpc.CodeFailedPrecondition) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("keys: encrypt %s: %w", purpose, err)
		}
		return resp.Ciphertext, nil
	}
}

// Decrypt returns the plaintext of a ciphertext made by Encrypt with the
// same env, purpose and about.
func (c *DataClient) Decrypt(ctx context.Context, env, purpose, about string, ciphertext []byte) ([]byte, error) {
	resp, err := natsrpc.Call[DecryptRequest, DecryptResponse](ctx, c.nc, SubjectDataDecrypt, DecryptRequest{
		Env: env, Purpose: purpose, Context: about, Ciphertext: ciphertext, TransportKey: c.transport.PublicKey().Bytes()})
	if err != nil {
		return nil, fmt.Errorf("keys: decrypt %s: %w", purpose, err)
	}
	plain, err := Open(c.transport, resp.Sealed, AADData(env, purpose, about))
	if err != nil {
		return nil, fmt.Errorf("keys: decrypt %s: %w", purpose, err)
	}
	return plain, nil
}

func (c *DataClient) serverKey(ctx context.Context, refresh bool) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.server != nil && !refresh {
		return c.server, nil
	}
	resp, err := natsrpc.Call[struct{}, TransportKeyResponse](ctx, c.nc, SubjectTransportKey, struct{}{})
	if err != nil {
		return nil, fmt.Errorf("keys: transport key: %w", err)
	}
	if len(resp.PublicKey) != 32 {
		return nil, errors.New("keys: the keys service sent a malformed transport key")
	}
	c.server = resp.PublicKey
	return c.server, nil
}
