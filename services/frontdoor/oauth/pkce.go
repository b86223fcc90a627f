package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// MethodS256 is the only PKCE method accepted (RFC 9700 §2.1.1: plain is not
// allowed).
const MethodS256 = "S256"

// CheckChallenge validates the code_challenge and code_challenge_method of an
// authorization request: S256 only, and a challenge that is the unpadded
// base64url of 32 bytes.
func CheckChallenge(challenge, method string) *Error {
	switch {
	case challenge == "":
		return Errorf(CodeInvalidRequest, "code_challenge is required (PKCE with S256)")
	case method != MethodS256:
		return Errorf(CodeInvalidRequest, "code_challenge_method must be S256 (got %q); plain is not supported", method)
	}
	raw, err := base64.RawURLEncoding.DecodeString(challenge)
	if err != nil || len(raw) != sha256.Size {
		return Errorf(CodeInvalidRequest, "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)")
	}
	return nil
}

// CheckVerifier reports whether verifier (RFC 7636 §4.1: 43–128 characters of
// [A-Za-z0-9-._~]) hashes to challenge, in constant time.
func CheckVerifier(verifier, challenge string) *Error {
	if len(verifier) < 43 || len(verifier) > 128 {
		return Errorf(CodeInvalidGrant, "code_verifier must be 43 to 128 characters")
	}
	for i := 0; i < len(verifier); i++ {
		c := verifier[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return Errorf(CodeInvalidGrant, "code_verifier has a character outside [A-Za-z0-9-._~]")
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) != 1 {
		return Errorf(CodeInvalidGrant, "code_verifier does not match the code_challenge")
	}
	return nil
}
