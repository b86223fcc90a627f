package tokens_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	"github.com/gatehouse-id/gatehouse/services/tokens"
	"github.com/gatehouse-id/gatehouse/services/tokens/api"
)

func kids(set api.JWKS) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.Kid)
	}
	return out
}

func TestRotationKeepsOldTokensVerifiableDuringTheOverlap(t *testing.T) {
	h := newHarness(t)
	m2m := api.IssueRequest{Grant: api.GrantClientCredentials, ClientID: "m2m_1"}
	before := h.mustIssue(m2m)
	issuedAt := h.clock.Now()

	h.clock.Advance(time.Minute)
	rot := must[api.RotateKeyRequest, api.RotateKeyResponse](t, h.nc, api.SubjectRotateKey, api.RotateKeyRequest{Env: env})
	if len(rot.Keys) != 1 || rot.Keys[0].Alg != api.AlgES256 || rot.Keys[0].ID == before.KeyID || rot.Keys[0].SupersededAt != nil {
		t.Fatalf("rotate: %+v", rot)
	}
	after := h.mustIssue(m2m)
	if after.KeyID != rot.Keys[0].ID {
		t.Fatalf("after rotation signed with %s, want the new key %s", after.KeyID, rot.Keys[0].ID)
	}
	_, set := h.jwks(env)
	if got := kids(set); len(got) != 2 || got[0] != after.KeyID || got[1] != before.KeyID {
		t.Fatalf("JWKS during the overlap: %v, want [new old]", got)
	}
	opts := api.VerifyOptions{Issuer: issuerOf(env), Type: api.TypeAccessToken, Now: h.clock.Now()}
	for _, tok := range []string{before.AccessToken, after.AccessToken} {
		if _, err := api.Verify(set, tok, opts); err != nil {
			t.Fatalf("during the overlap: %v", err)
		}
		if !h.active(tok) {
			t.Fatal("a token of the superseded key reads inactive during the overlap")
		}
	}

	// Past the overlap the old key is retired: gone from the JWKS, and its
	// tokens fail even at a time they had not expired.
	h.clock.Advance(tokens.DefaultKeyOverlap)
	_, set = h.jwks(env)
	if got := kids(set); len(got) != 1 || got[0] != after.KeyID {
		t.Fatalf("JWKS after the overlap: %v, want only %s", got, after.KeyID)
	}
	opts.Now = issuedAt
	if _, err := api.Verify(set, before.AccessToken, opts); !errors.Is(err, api.ErrUnknownKey) {
		t.Fatalf("token of a retired key: %v", err)
	}
	if h.active(before.AccessToken) || h.introspections("unknown_key") != 1 {
		t.Fatalf("introspection of a token of a retired key: active or not counted as unknown_key (%v)",
			h.introspections("unknown_key"))
	}
	// Rotating RS256 leaves ES256 alone; rotating everything covers both.
	rs := h.mustIssue(api.IssueRequest{Grant: api.GrantClientCredentials, ClientID: "m2m_1", Alg: api.AlgRS256})
	one := must[api.RotateKeyRequest, api.RotateKeyResponse](t, h.nc, api.SubjectRotateKey, api.RotateKeyRequest{Env: env, Alg: api.AlgRS256})
	if len(one.Keys) != 1 || one.Keys[0].Alg != api.AlgRS256 || one.Keys[0].ID == rs.KeyID {
		t.Fatalf("rotate RS256: %+v", one)
	}
	all := must[api.RotateKeyRequest, api.RotateKeyResponse](t, h.nc, api.SubjectRotateKey, api.RotateKeyRequest{Env: env})
	if len(all.Keys) != 2 || all.Keys[0].Alg != api.AlgES256 || all.Keys[1].Alg != api.AlgRS256 {
		t.Fatalf("rotate all: %+v", all)
	}
	_, err := call[api.RotateKeyRequest, api.RotateKeyResponse](t, h.nc, api.SubjectRotateKey, api.RotateKeyRequest{Env: env, Alg: "none"})
	wantCode(t, err, natsrpc.CodeInvalidArgument, `alg "none"`)
}

func TestReplicasFollowARotation(t *testing.T) {
	h := newHarness(t)
	h.start() // a second replica: requests go to either
	m2m := api.IssueRequest{Grant: api.GrantClientCredentials, ClientID: "m2m_1"}
	first := h.mustIssue(m2m)
	for range 20 { // both replicas now sign with, and cache, the first key
		if r := h.mustIssue(m2m); r.KeyID != first.KeyID {
			t.Fatalf("two active keys before any rotation: %s and %s", first.KeyID, r.KeyID)
		}
	}
	rot := must[api.RotateKeyRequest, api.RotateKeyResponse](t, h.nc, api.SubjectRotateKey, api.RotateKeyRequest{Env: env, Alg: api.AlgES256})
	newKey := rot.Keys[0].ID
	// The clock stands still, so only the change event can tell the replica
	// that did not rotate to stop using its cached key.
	deadline := time.Now().Add(5 * time.Second)
	for streak := 0; streak < 20; {
		r := h.mustIssue(m2m)
		if r.KeyID == newKey {
			streak++
			continue
		}
		streak = 0
		if time.Now().After(deadline) {
			t.Fatalf("a replica still signs with the superseded key %s", r.KeyID)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFirstKeyIsMadeOnceUnderConcurrency(t *testing.T) {
	h := newHarness(t)
	h.start()
	const n = 8
	got := make(chan string, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			r, err := h.issue(api.IssueRequest{Grant: api.GrantClientCredentials, ClientID: fmt.Sprintf("m2m_%d", i)})
			errs <- err
			got <- r.KeyID
		}()
	}
	kid := ""
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		k := <-got
		if kid != "" && k != kid {
			t.Fatalf("two first keys: %s and %s", kid, k)
		}
		kid = k
	}
	var count int
	if err := h.pool.QueryRow(t.Context(), `SELECT count(*) FROM tokens.signing_keys`).Scan(&count); err != nil || count != 1 {
		t.Fatalf("%d keys stored (%v), want 1", count, err)
	}
}

// dump returns every row of the service's tables as text, binary columns in
// hex.
func dump(t *testing.T, h *harness) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"signing_keys", "refresh_families", "refresh_tokens", "access_tokens"} {
		rows, err := h.pool.Query(t.Context(), `SELECT to_jsonb(x)::text FROM tokens.`+table+` x`)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(strings.Join(lines, "\n"))
	}
	return strings.ToLower(b.String())
}

func TestSecretsAreNeverStoredInClear(t *testing.T) {
	h := newHarness(t)
	es := h.login("kp_alice")
	rs := h.mustIssue(api.IssueRequest{Grant: api.GrantClientCredentials, ClientID: "m2m_1", Alg: api.AlgRS256})
	table := dump(t, h)

	data, err := kapi.NewDataClient(h.nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, kid := range []string{es.KeyID, rs.KeyID} {
		var ct []byte
		if err := h.pool.QueryRow(t.Context(), `SELECT ciphertext FROM tokens.signing_keys WHERE id = $1`, kid).Scan(&ct); err != nil {
			t.Fatal(err)
		}
		if _, err := x509.ParsePKCS8PrivateKey(ct); err == nil {
			t.Fatalf("key %s is stored as a plain PKCS #8 key", kid)
		}
		// Only the keys service can open it, and only for this key id.
		der, err := data.Decrypt(context.Background(), env, kapi.PurposeSigningKey, kid, ct)
		if err != nil {
			t.Fatalf("decrypt %s: %v", kid, err)
		}
		if _, err := data.Decrypt(context.Background(), env, kapi.PurposeSigningKey, "sig_other", ct); err == nil {
			t.Fatalf("the ciphertext of %s opens for another key id", kid)
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			t.Fatal(err)
		}
		var secrets [][]byte
		switch k := priv.(type) {
		case *ecdsa.PrivateKey:
			d, err := k.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			secrets = append(secrets, d)
		case *rsa.PrivateKey:
			secrets = append(secrets, k.D.Bytes(), k.Primes[0].Bytes(), k.Primes[1].Bytes())
		}
		secrets = append(secrets, der)
		for _, s := range secrets {
			if strings.Contains(table, hex.EncodeToString(s[:16])) {
				t.Fatalf("private material of key %s appears in the database", kid)
			}
		}
		// And the key is the one published.
		_, set := h.jwks(env)
		for _, k := range set.Keys {
			if k.Kid != kid {
				continue
			}
			pub, err := k.PublicKey()
			if err != nil {
				t.Fatal(err)
			}
			if !priv.(crypto.Signer).Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
				t.Fatalf("the decrypted key %s is not the published one", kid)
			}
		}
	}
	for _, secret := range []string{es.RefreshToken, strings.TrimPrefix(es.RefreshToken, api.RefreshTokenPrefix)} {
		if strings.Contains(table, strings.ToLower(secret)) || bytes.Contains([]byte(table), []byte(hex.EncodeToString([]byte(secret)))) {
			t.Fatal("a refresh token is stored in clear")
		}
	}
}

func TestSigningSurvivesAKeysServiceOutageOnceKeysAreLoaded(t *testing.T) {
	h := newHarness(t)
	m2m := api.IssueRequest{Grant: api.GrantClientCredentials, ClientID: "m2m_1"}
	loaded := h.mustIssue(m2m)
	if err := h.keys.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The decrypted key is cached: production keeps issuing.
	if r := h.mustIssue(m2m); r.KeyID != loaded.KeyID {
		t.Fatalf("signed with %s, want the cached %s", r.KeyID, loaded.KeyID)
	}
	// A new environment needs the keys service to store its first key.
	_, err := call[api.IssueRequest, api.IssueResponse](t, h.nc, api.SubjectIssue,
		api.IssueRequest{Env: "staging", ClientID: "m2m_1", Grant: api.GrantClientCredentials})
	wantCode(t, err, natsrpc.CodeUnavailable, "the keys service did not answer")
	var count int
	if err := h.pool.QueryRow(t.Context(), `SELECT count(*) FROM tokens.signing_keys WHERE env = 'staging'`).Scan(&count); err != nil || count != 0 {
		t.Fatalf("%d staging keys stored without the keys service (%v)", count, err)
	}
}
