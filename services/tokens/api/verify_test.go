package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

const iss = "https://auth.example.test"

type signer struct {
	t   *testing.T
	key *ecdsa.PrivateKey
	kid string
	set api.JWKS
}

func newSigner(t *testing.T) *signer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := api.NewJWK("sig_1", api.AlgES256, key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if jwk.Kty != "EC" || jwk.Crv != "P-256" || jwk.Use != "sig" || jwk.Alg != "ES256" || jwk.Kid != "sig_1" {
		t.Fatalf("JWK %+v", jwk)
	}
	return &signer{t: t, key: key, kid: "sig_1", set: api.JWKS{Keys: []api.JWK{jwk}}}
}

// sign makes a token with the given header additions and claims.
func (s *signer) sign(typ string, headers map[jose.HeaderKey]any, claims map[string]any) string {
	s.t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	for k, v := range headers {
		opts.WithHeader(k, v)
	}
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: s.key, KeyID: s.kid}}, opts)
	if err != nil {
		s.t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		s.t.Fatal(err)
	}
	jws, err := sg.Sign(payload)
	if err != nil {
		s.t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

func TestVerify(t *testing.T) {
	s := newSigner(t)
	now := time.Unix(1_800_000_000, 0)
	claims := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"iss": iss, "sub": "kp_1", "aud": []string{"api", "other"}, "jti": "at_1",
			"iat": now.Unix() - 10, "exp": now.Unix() + 60, "scope": "read"}
		if mod != nil {
			mod(c)
		}
		return c
	}
	opts := api.VerifyOptions{Issuer: iss, Type: api.TypeAccessToken, Audience: "api", Now: now}
	good := s.sign("at+jwt", nil, claims(nil))
	tok, err := api.Verify(s.set, good, opts)
	if err != nil {
		t.Fatal(err)
	}
	var scope string
	if ok, err := tok.Claim("scope", &scope); !ok || err != nil || scope != "read" || tok.Subject != "kp_1" ||
		tok.ID != "at_1" || tok.KeyID != "sig_1" || tok.Alg != "ES256" || tok.Type != "at+jwt" ||
		!tok.ExpiresAt.Equal(now.Add(time.Minute)) || len(tok.Audience) != 2 {
		t.Fatalf("token %+v (scope %q)", tok, scope)
	}
	if _, err := api.Verify(s.set, s.sign("application/at+jwt", nil, claims(nil)), opts); err != nil {
		t.Fatalf("typ application/at+jwt (RFC 9068 §4): %v", err)
	}

	header := base64.RawURLEncoding.EncodeToString
	parts := strings.Split(good, ".")
	hs256, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256,
		Key: jose.JSONWebKey{Key: []byte(s.set.Keys[0].X + s.set.Keys[0].Y), KeyID: s.kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hsJWS, _ := hs256.Sign([]byte(`{"iss":"` + iss + `","exp":9999999999}`))
	hsToken, _ := hsJWS.CompactSerialize()

	for _, tc := range []struct {
		name  string
		token string
		opts  api.VerifyOptions
		want  error
	}{
		{"expired", s.sign("at+jwt", nil, claims(func(c map[string]any) { c["exp"] = now.Unix() })), opts, api.ErrExpired},
		{"no exp", s.sign("at+jwt", nil, claims(func(c map[string]any) { delete(c, "exp") })), opts, api.ErrMalformed},
		{"nbf ahead", s.sign("at+jwt", nil, claims(func(c map[string]any) { c["nbf"] = now.Unix() + 30 })), opts, api.ErrNotYetValid},
		{"iat ahead", s.sign("at+jwt", nil, claims(func(c map[string]any) { c["iat"] = now.Unix() + 30 })), opts, api.ErrNotYetValid},
		{"wrong issuer", s.sign("at+jwt", nil, claims(func(c map[string]any) { c["iss"] = iss + "/" })), opts, api.ErrIssuer},
		{"wrong audience", good, api.VerifyOptions{Issuer: iss, Audience: "billing", Now: now}, api.ErrAudience},
		{"ID token as access token", s.sign("JWT", nil, claims(nil)), opts, api.ErrType},
		{"no typ", s.sign("", nil, claims(nil)), opts, api.ErrType},
		{"alg none", header([]byte(`{"alg":"none","kid":"sig_1","typ":"at+jwt"}`)) + "." + parts[1] + ".", opts, api.ErrAlgorithm},
		{"HS256", hsToken, api.VerifyOptions{Issuer: iss, Now: now}, api.ErrAlgorithm},
		{"unknown kid", header([]byte(`{"alg":"ES256","kid":"sig_2","typ":"at+jwt"}`)) + "." + parts[1] + "." + parts[2], opts, api.ErrUnknownKey},
		{"no kid", header([]byte(`{"alg":"ES256","typ":"at+jwt"}`)) + "." + parts[1] + "." + parts[2], opts, api.ErrUnknownKey},
		{"crit header", s.sign("at+jwt", map[jose.HeaderKey]any{"crit": []string{"exp"}, "exp": 1}, claims(nil)), opts, api.ErrMalformed},
		{"signature of another payload", parts[0] + "." + header([]byte(`{"iss":"`+iss+`","exp":9999999999}`)) + "." + parts[2], opts, api.ErrSignature},
		{"not a JWS", "nope", opts, api.ErrMalformed},
		{"too big", strings.Repeat("a", api.MaxTokenBytes+1), opts, api.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := api.Verify(s.set, tc.token, tc.opts); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}

	t.Run("leeway", func(t *testing.T) {
		late := opts
		late.Now = now.Add(90 * time.Second)
		if _, err := api.Verify(s.set, good, late); !errors.Is(err, api.ErrExpired) {
			t.Fatalf("30s after exp: %v", err)
		}
		late.Leeway = time.Minute
		if _, err := api.Verify(s.set, good, late); err != nil {
			t.Fatalf("30s after exp with a minute of leeway: %v", err)
		}
	})
	t.Run("key published for another alg", func(t *testing.T) {
		set := api.JWKS{Keys: []api.JWK{s.set.Keys[0]}}
		set.Keys[0].Alg = api.AlgRS256
		if _, err := api.Verify(set, good, opts); !errors.Is(err, api.ErrAlgorithm) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("issuer is required", func(t *testing.T) {
		if _, err := api.Verify(s.set, good, api.VerifyOptions{}); err == nil || !strings.Contains(err.Error(), "Issuer is required") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestNewJWKRefusesWeakOrWrongKeys(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.NewJWK("k", api.AlgRS256, small.Public()); !errors.Is(err, api.ErrAlgorithm) {
		t.Fatalf("1024-bit RSA: %v", err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.NewJWK("k", api.AlgES256, p384.Public()); !errors.Is(err, api.ErrAlgorithm) {
		t.Fatalf("P-384 for ES256: %v", err)
	}
	if _, err := api.NewJWK("k", "HS256", []byte("secret")); !errors.Is(err, api.ErrAlgorithm) {
		t.Fatalf("HS256: %v", err)
	}
}

func TestReasonOf(t *testing.T) {
	err := api.Errorf(natsrpc.CodeFailedPrecondition, api.ReasonRefreshTokenReused, "family %s revoked", "rtf_1")
	if api.ReasonOf(err) != api.ReasonRefreshTokenReused || err.Message != "refresh_token_reused: family rtf_1 revoked" {
		t.Fatalf("%v", err)
	}
	if api.ReasonOf(fmt.Errorf("refresh: %w", err)) != api.ReasonRefreshTokenReused {
		t.Fatal("a wrapped error lost its reason")
	}
	for _, e := range []error{nil, errors.New("refresh_token_reused: plain"),
		natsrpc.Errorf(natsrpc.CodeInternal, "internal error"), natsrpc.Errorf(natsrpc.CodeInvalidArgument, "made_up: x")} {
		if r := api.ReasonOf(e); r != "" {
			t.Fatalf("ReasonOf(%v) = %q", e, r)
		}
	}
	if got := api.ReservedClaims(api.KindIDToken); !contains(got, "updated_at") || !contains(got, "amr") || contains(got, "org_code") {
		t.Fatalf("ID token reserved claims: %v", got)
	}
	if got := api.ReservedClaims(api.KindM2MToken); !contains(got, "gty") || !contains(got, "scp") {
		t.Fatalf("M2M reserved claims: %v", got)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestVerifyReadsStandardClaimsByExactName: a payload with both "sub" and a
// case-folded look-alike ("ſub", "SUB") yields the real sub.
func TestVerifyReadsStandardClaimsByExactName(t *testing.T) {
	s := newSigner(t)
	now := time.Unix(1_800_000_000, 0)
	tok, err := api.Verify(s.set, s.sign("at+jwt", nil, map[string]any{"iss": iss, "sub": "kp_real",
		"\u017fub": "kp_forged", "SUB": "kp_forged", "exp": now.Unix() + 60, "EXP": now.Unix() - 60, "Iss": "https://evil.example"}),
		api.VerifyOptions{Issuer: iss, Type: api.TypeAccessToken, Now: now})
	if err != nil || tok.Subject != "kp_real" {
		t.Fatalf("subject %v, %v", tok, err)
	}
}
