package keys

import (
	"context"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/keys/api"
)

// maxDataContextBytes bounds the Context of a data request.
const maxDataContextBytes = 200

// dataVersion is the first byte of every data ciphertext: the format
// version ‖ nonce (12) ‖ ciphertext ‖ tag, AES-256-GCM under the
// environment's data key with dataAAD.
const dataVersion byte = 1

// dataOverhead is what a data ciphertext adds to its plaintext.
const dataOverhead = 1 + 12 + 16

// sealedOverhead is what api.Seal adds to its plaintext.
const sealedOverhead = 32 + 12 + 16

// errDataMismatch is the one answer for a ciphertext that does not decrypt,
// whatever the reason, so callers learn nothing about which part differs.
func errDataMismatch() error {
	return invalid("the ciphertext does not decrypt for this environment, purpose and context")
}

// dataAAD binds a data ciphertext to its environment, purpose and context.
// Secrets and workflow keys use their row id (env_…, wfk_…) as associated
// data, so this prefix keeps a data ciphertext from opening as either, and
// the reverse.
func dataAAD(env, purpose, about string) []byte {
	return []byte("gatehouse data v1\x00" + env + "\x00" + purpose + "\x00" + about)
}

func validPurpose(p string) bool {
	return p == api.PurposeSigningKey || p == api.PurposeTOTPSecret
}

// validateData checks the env, purpose and context of a data request.
func validateData(env, purpose, about string) error {
	if err := validateEnv(env); err != nil {
		return err
	}
	switch {
	case purpose == "":
		return invalid("purpose is required: one of %s, %s", api.PurposeSigningKey, api.PurposeTOTPSecret)
	case !validPurpose(purpose):
		return invalid("purpose %q is unknown: use one of %s, %s", purpose, api.PurposeSigningKey, api.PurposeTOTPSecret)
	}
	switch {
	case about == "":
		return invalid("context is required: name what the data belongs to (a key id, a factor id)")
	case len(about) > maxDataContextBytes:
		return invalid("context is %d bytes long; the limit is %d", len(about), maxDataContextBytes)
	case !utf8.ValidString(about):
		return invalid("context is not valid UTF-8")
	}
	for _, r := range about {
		if unicode.IsControl(r) {
			return invalid("context %q is invalid: it must not contain control characters", about)
		}
	}
	return nil
}

// transportKey returns the service's X25519 public key, to which callers
// seal what they send for encryption.
func (s *Service) transportKey(context.Context, struct{}) (api.TransportKeyResponse, error) {
	return api.TransportKeyResponse{PublicKey: s.transport.PublicKey().Bytes()}, nil
}

// encryptData encrypts a caller's plaintext, which arrives sealed to the
// service's transport key, with the environment's data key.
func (s *Service) encryptData(ctx context.Context, req api.EncryptRequest) (api.EncryptResponse, error) {
	if err := validateData(req.Env, req.Purpose, req.Context); err != nil {
		return api.EncryptResponse{}, err
	}
	switch {
	case len(req.Sealed) == 0:
		return api.EncryptResponse{}, invalid("sealed is required: the plaintext sealed to the keys service's transport key")
	case len(req.Sealed) > api.MaxDataBytes+sealedOverhead:
		return api.EncryptResponse{}, invalid("the plaintext is %d bytes; the limit is %d bytes",
			len(req.Sealed)-sealedOverhead, api.MaxDataBytes)
	}
	plain, err := api.Open(s.transport, req.Sealed, api.AADData(req.Env, req.Purpose, req.Context))
	if err != nil {
		return api.EncryptResponse{}, natsrpc.Errorf(natsrpc.CodeFailedPrecondition,
			"the data was sealed to another transport key (fetch %s again)", api.SubjectTransportKey)
	}
	defer clear(plain)
	if len(plain) > api.MaxDataBytes {
		return api.EncryptResponse{}, invalid("the plaintext is %d bytes; the limit is %d bytes", len(plain), api.MaxDataBytes)
	}
	dk, err := s.dk.get(ctx, req.Env, true)
	if err != nil {
		return api.EncryptResponse{}, err
	}
	ct, err := encrypt(dk, plain, dataAAD(req.Env, req.Purpose, req.Context))
	if err != nil {
		return api.EncryptResponse{}, fmt.Errorf("encrypt %s data in environment %s: %w", req.Purpose, req.Env, err)
	}
	out := make([]byte, 0, 1+len(ct))
	out = append(append(out, dataVersion), ct...)
	return api.EncryptResponse{Ciphertext: out}, nil
}

// decryptData decrypts a ciphertext made by encryptData and seals the
// plaintext to the caller's transport key.
func (s *Service) decryptData(ctx context.Context, req api.DecryptRequest) (api.DecryptResponse, error) {
	if err := validateData(req.Env, req.Purpose, req.Context); err != nil {
		return api.DecryptResponse{}, err
	}
	if err := validateTransportKey(req.TransportKey); err != nil {
		return api.DecryptResponse{}, err
	}
	switch {
	case len(req.Ciphertext) == 0:
		return api.DecryptResponse{}, invalid("ciphertext is required")
	case req.Ciphertext[0] != dataVersion:
		return api.DecryptResponse{}, invalid("the ciphertext does not decrypt for this environment, purpose and context: it has format version %d, and this service reads version %d",
			req.Ciphertext[0], dataVersion)
	case len(req.Ciphertext) < dataOverhead, len(req.Ciphertext) > api.MaxDataBytes+dataOverhead:
		return api.DecryptResponse{}, errDataMismatch()
	}
	dk, err := s.dk.get(ctx, req.Env, false)
	if errors.Is(err, errNoDataKey) {
		// Nothing was ever encrypted in this environment.
		return api.DecryptResponse{}, errDataMismatch()
	}
	if err != nil {
		return api.DecryptResponse{}, err
	}
	plain, err := decrypt(dk, req.Ciphertext[1:], dataAAD(req.Env, req.Purpose, req.Context))
	if errors.Is(err, errDecrypt) {
		s.log.Warn("data ciphertext does not decrypt", "env", req.Env, "purpose", req.Purpose, "context", req.Context)
		return api.DecryptResponse{}, errDataMismatch()
	}
	if err != nil {
		return api.DecryptResponse{}, fmt.Errorf("decrypt %s data in environment %s: %w", req.Purpose, req.Env, err)
	}
	sealed, err := api.Seal(req.TransportKey, plain, api.AADData(req.Env, req.Purpose, req.Context))
	clear(plain)
	if err != nil {
		return api.DecryptResponse{}, invalid("transport key is not a usable X25519 public key")
	}
	return api.DecryptResponse{Sealed: sealed}, nil
}
