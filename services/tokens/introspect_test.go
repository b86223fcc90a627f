package tokens_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/tokens"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

// forge signs payload with key under alg, with kid and typ in the header.
func forge(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, payload []byte) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func payloadOf(t *testing.T, token string) []byte {
	t.Helper()
	p, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestIntrospectionInactiveCases(t *testing.T) {
	var issuer atomic.Value
	issuer.Store(issuerOf(env))
	h := newHarness(t, func(c *tokens.Config) {
		c.Issuer = func(e string) string {
			if e == env {
				return issuer.Load().(string)
			}
			return issuerOf(e)
		}
	})
	real := h.mustIssue(api.IssueRequest{Grant: api.GrantAuthorizationCode, Subject: "kp_alice", Scope: []string{"openid"}})
	kid := real.KeyID
	payload := payloadOf(t, real.AccessToken)
	_, set := h.jwks(env)
	ecForeign, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaForeign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := set.Keys[0].PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	jwkJSON, err := json.Marshal(set.Keys[0])
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(real.AccessToken, ".")
	tampered := map[string]any{}
	if err := json.Unmarshal(payload, &tampered); err != nil {
		t.Fatal(err)
	}
	tampered["sub"] = "kp_mallory"
	tamperedJSON, _ := json.Marshal(tampered)
	staging, err := call[api.IssueRequest, api.IssueResponse](t, h.nc, api.SubjectIssue,
		api.IssueRequest{Env: "staging", ClientID: client, Grant: api.GrantClientCredentials})
	if err != nil {
		t.Fatal(err)
	}

	if !h.active(real.AccessToken) {
		t.Fatal("the genuine token is inactive")
	}
	for _, tc := range []struct {
		name, token, result string
	}{
		{"alg none", b64(`{"alg":"none","kid":"`+kid+`","typ":"at+jwt"}`) + "." + parts[1] + ".", "algorithm"},
		{"alg none with the real signature", b64(`{"alg":"none","kid":"`+kid+`","typ":"at+jwt"}`) + "." + parts[1] + "." + parts[2], "algorithm"},
		{"HS256 with the PEM public key as secret", forge(t, jose.HS256, pubPEM, kid, payload), "algorithm"},
		{"HS256 with the JWK as secret", forge(t, jose.HS256, jwkJSON, kid, payload), "algorithm"},
		{"foreign key with the real kid", forge(t, jose.ES256, ecForeign, kid, payload), "bad_signature"},
		{"foreign key with its own kid", forge(t, jose.ES256, ecForeign, "sig_foreign", payload), "unknown_key"},
		{"RS256 foreign key with the real ES256 kid", forge(t, jose.RS256, rsaForeign, kid, payload), "algorithm"},
		{"tampered payload", parts[0] + "." + b64(string(tamperedJSON)) + "." + parts[2], "bad_signature"},
		{"ID token", real.IDToken, "wrong_type"},
		{"key of another environment", staging.AccessToken, "unknown_key"},
		{"garbage", "garbage", "malformed"},
		{"three garbage parts", "a.b.c", "malformed"},
		{"header without payload", parts[0] + "..", "malformed"},
		{"JWS JSON serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.introspections(tc.result)
			if got := h.introspect(tc.token); got.Active || got.Sub != "" || got.Scope != "" {
				t.Fatalf("introspection: %+v, want only active=false", got)
			}
			if h.introspections(tc.result) != before+1 {
				t.Fatalf("not counted as %s", tc.result)
			}
		})
	}

	t.Run("wrong issuer", func(t *testing.T) {
		issuer.Store("https://moved.example.test")
		defer issuer.Store(issuerOf(env))
		if h.active(real.AccessToken) || h.introspections("wrong_issuer") != 1 {
			t.Fatal("a token of another issuer is active")
		}
	})
	t.Run("expired", func(t *testing.T) {
		if !h.active(real.AccessToken) {
			t.Fatal("the genuine token is inactive")
		}
		h.clock.Advance(time.Hour)
		if h.active(real.AccessToken) || h.introspections("expired") != 1 {
			t.Fatal("an expired token is active")
		}
	})
	t.Run("empty token", func(t *testing.T) {
		_, err := call[api.IntrospectRequest, api.IntrospectResponse](t, h.nc, api.SubjectIntrospect, api.IntrospectRequest{Env: env})
		wantCode(t, err, natsrpc.CodeInvalidArgument, "token is required")
	})
}
