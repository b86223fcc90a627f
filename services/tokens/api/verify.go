package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Verification failures; the errors Verify returns wrap one of these.
var (
	ErrMalformed   = errors.New("token is malformed")
	ErrAlgorithm   = errors.New("token algorithm is not allowed")
	ErrUnknownKey  = errors.New("token signing key is unknown")
	ErrSignature   = errors.New("token signature does not verify")
	ErrType        = errors.New("token type is not the one expected")
	ErrIssuer      = errors.New("token issuer is not the one expected")
	ErrAudience    = errors.New("token audience does not include the expected one")
	ErrExpired     = errors.New("token has expired")
	ErrNotYetValid = errors.New("token is not valid yet")
)

// allowedAlgs are the only algorithms a Gatehouse token may carry: never
// "none", never a symmetric algorithm (an HS256 token made with the public
// key as secret is refused before any key is looked at).
var allowedAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.RS256}

// VerifyOptions says what a token must be.
type VerifyOptions struct {
	// Issuer is required and must equal the iss claim exactly.
	Issuer string
	// Audience, when set, must be one of the aud values.
	Audience string
	// Type, when set, is the required typ header: TypeAccessToken (which
	// also accepts "application/at+jwt", RFC 9068 §4) or TypeIDToken. An
	// access-token verifier must set it, so that an ID token is not taken
	// for an access token.
	Type string
	// Now is the time to check exp, nbf and iat against; zero means
	// time.Now().
	Now time.Time
	// Leeway tolerates clock skew on exp, nbf and iat.
	Leeway time.Duration
}

// Token is a verified JWT.
type Token struct {
	KeyID     string
	Alg       string
	Type      string // the typ header
	Issuer    string
	Subject   string
	Audience  []string
	ID        string // jti
	ExpiresAt time.Time
	IssuedAt  time.Time // zero without iat
	NotBefore time.Time // zero without nbf
	// Claims holds every claim of the payload, standard ones included.
	Claims map[string]json.RawMessage
}

// Claim decodes the claim name into v; it reports false when the token
// does not have the claim.
func (t *Token) Claim(name string, v any) (bool, error) {
	raw, ok := t.Claims[name]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("claim %q: %w", name, err)
	}
	return true, nil
}

// Verify checks a token against a JWK set (the SubjectJWKS reply, or a set
// fetched from the frontdoor's jwks_uri) and returns its claims. It refuses
// alg "none" and every algorithm but ES256 and RS256, keys not in the set,
// a key used with another alg, a bad signature, a wrong issuer, type or
// audience, a missing or past exp, and a future nbf or iat.
//
// Verify does not know about revocation: a resource server that must honour
// it introspects the token (SubjectIntrospect, or the frontdoor's
// introspection endpoint).
func Verify(set JWKS, token string, opts VerifyOptions) (*Token, error) {
	return VerifyWith(token, set.KeySource(), opts)
}

// VerifyWith is Verify with keys looked up by keys.
func VerifyWith(token string, keys KeySource, opts VerifyOptions) (*Token, error) {
	if opts.Issuer == "" {
		return nil, errors.New("verify token: VerifyOptions.Issuer is required")
	}
	if len(token) > MaxTokenBytes {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrMalformed, len(token), MaxTokenBytes)
	}
	h, err := peekHeader(token)
	if err != nil {
		return nil, err
	}
	if h.Alg != AlgES256 && h.Alg != AlgRS256 {
		return nil, fmt.Errorf("%w: %q (allowed: %s, %s)", ErrAlgorithm, h.Alg, AlgES256, AlgRS256)
	}
	if parts := strings.Split(token, "."); parts[1] == "" || parts[2] == "" {
		return nil, fmt.Errorf("%w: empty payload or signature", ErrMalformed)
	}
	if len(h.Crit) > 0 {
		return nil, fmt.Errorf("%w: critical header parameters %v are not supported", ErrMalformed, h.Crit)
	}
	if opts.Type != "" && !typeMatches(h.Typ, opts.Type) {
		return nil, fmt.Errorf("%w: typ %q, want %q", ErrType, h.Typ, opts.Type)
	}
	if h.Kid == "" {
		return nil, fmt.Errorf("%w: the token has no kid", ErrUnknownKey)
	}
	jws, err := jose.ParseSignedCompact(token, allowedAlgs)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: %d signatures", ErrMalformed, len(jws.Signatures))
	}
	sig := jws.Signatures[0].Header
	if sig.Algorithm != h.Alg || sig.KeyID != h.Kid {
		return nil, fmt.Errorf("%w: inconsistent header", ErrMalformed)
	}
	pub, err := keys(h.Kid, h.Alg)
	if err != nil {
		return nil, err
	}
	if err := checkKey(h.Alg, pub); err != nil {
		return nil, err
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return nil, fmt.Errorf("%w (key %s)", ErrSignature, h.Kid)
	}
	return checkClaims(payload, h, opts)
}

type header struct {
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid"`
	Typ  string   `json:"typ"`
	Crit []string `json:"crit"`
}

// peekHeader reads the protected header without trusting it.
func peekHeader(token string) (header, error) {
	var h header
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return h, fmt.Errorf("%w: not a compact JWS (%d parts)", ErrMalformed, len(parts))
	}

	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return h, fmt.Errorf("%w: header is not base64url", ErrMalformed)
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, fmt.Errorf("%w: header is not JSON", ErrMalformed)
	}
	return h, nil
}

func typeMatches(got, want string) bool {
	got = strings.ToLower(got)
	want = strings.ToLower(want)
	return got == want || got == "application/"+want
}

func checkClaims(payload []byte, h header, opts VerifyOptions) (*Token, error) {
	var std struct {
		Issuer    string
		Subject   string
		Audience  jwt.Audience
		Expiry    *jwt.NumericDate
		NotBefore *jwt.NumericDate
		IssuedAt  *jwt.NumericDate
		ID        string
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(payload, &all); err != nil {
		return nil, fmt.Errorf("%w: payload is not a JSON object", ErrMalformed)
	}
	// Each standard claim is read by its exact name: decoding the payload
	// into a struct would match names case-insensitively ("ſub" as "sub").
	for _, c := range []struct {
		name string
		dst  any
	}{{"iss", &std.Issuer}, {"sub", &std.Subject}, {"aud", &std.Audience}, {"exp", &std.Expiry},
		{"nbf", &std.NotBefore}, {"iat", &std.IssuedAt}, {"jti", &std.ID}} {
		raw, ok := all[c.name]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, c.dst); err != nil {
			return nil, fmt.Errorf("%w: claim %s: %v", ErrMalformed, c.name, err)
		}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	if std.Issuer != opts.Issuer {
		return nil, fmt.Errorf("%w: %q", ErrIssuer, std.Issuer)
	}
	if opts.Audience != "" && !std.Audience.Contains(opts.Audience) {
		return nil, fmt.Errorf("%w: %q", ErrAudience, opts.Audience)
	}
	if std.Expiry == nil {
		return nil, fmt.Errorf("%w: no exp claim", ErrMalformed)
	}
	t := &Token{KeyID: h.Kid, Alg: h.Alg, Type: h.Typ, Issuer: std.Issuer, Subject: std.Subject,
		Audience: []string(std.Audience), ID: std.ID, ExpiresAt: std.Expiry.Time(), Claims: all}
	if !now.Before(t.ExpiresAt.Add(opts.Leeway)) {
		return nil, fmt.Errorf("%w: at %s", ErrExpired, t.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if std.NotBefore != nil {
		t.NotBefore = std.NotBefore.Time()
		if now.Add(opts.Leeway).Before(t.NotBefore) {
			return nil, fmt.Errorf("%w: nbf %s", ErrNotYetValid, t.NotBefore.UTC().Format(time.RFC3339))
		}
	}
	if std.IssuedAt != nil {
		t.IssuedAt = std.IssuedAt.Time()
		if now.Add(opts.Leeway).Before(t.IssuedAt) {
			return nil, fmt.Errorf("%w: issued in the future (%s)", ErrNotYetValid, t.IssuedAt.UTC().Format(time.RFC3339))
		}
	}
	return t, nil
}
