package keys_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/keys"
	"github.com/gatehouse-id/gatehouse/services/keys/api"
)

const mismatch = "the ciphertext does not decrypt for this environment, purpose and context"

func newDataClient(t *testing.T, nc *nats.Conn) *api.DataClient {
	t.Helper()
	c, err := api.NewDataClient(nc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// serverKey asks whichever keys service answers for its transport key.
func serverKey(t *testing.T, nc *nats.Conn) []byte {
	t.Helper()
	resp := must[struct{}, api.TransportKeyResponse](t, nc, api.SubjectTransportKey, struct{}{})
	if len(resp.PublicKey) != 32 {
		t.Fatalf("transport key is %d bytes", len(resp.PublicKey))
	}
	return resp.PublicKey
}

// encryptSealedTo sends plaintext sealed to the transport key to, bypassing
// DataClient's checks.
func encryptSealedTo(t *testing.T, nc *nats.Conn, to []byte, env, purpose, about string, plaintext []byte) (api.EncryptResponse, error) {
	t.Helper()
	sealed, err := api.Seal(to, plaintext, api.AADData(env, purpose, about))
	if err != nil {
		t.Fatal(err)
	}
	return call[api.EncryptRequest, api.EncryptResponse](t, nc, api.SubjectDataEncrypt,
		api.EncryptRequest{Env: env, Purpose: purpose, Context: about, Sealed: sealed})
}

// opCount reads gatehouse_keys_operations_total{op, outcome} from reg.
func opCount(t *testing.T, reg *prometheus.Registry, op, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "gatehouse_keys_operations_total" {
			continue
		}
		for _, m := range mf.Metric {
			labels := map[string]string{}
			for _, l := range m.Label {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["op"] == op && labels["outcome"] == outcome {
				return m.Counter.GetValue()
			}
		}
	}
	return 0
}

// dumpSchema returns every row of every table of the keys schema as text.
func dumpSchema(t *testing.T, h *harness) string {
	t.Helper()
	ctx := context.Background()
	rows, err := h.pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, keys.Schema)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 3 {
		t.Fatalf("keys schema has tables %v", tables)
	}
	var out strings.Builder
	for _, table := range tables {
		rows, err := h.pool.Query(ctx, fmt.Sprintf(`SELECT t::text FROM %s.%q t`, keys.Schema, table))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out.WriteString(table + ": " + s + "\n")
		}
		rows.Close()
	}
	return out.String()
}

// busRecorder records every message on the NATS server.
type busRecorder struct {
	mu   sync.Mutex
	msgs [][]byte
}

func recordBus(t *testing.T, nc *nats.Conn) *busRecorder {
	t.Helper()
	r := &busRecorder{}
	sub, err := nc.Subscribe(">", func(m *nats.Msg) {
		r.mu.Lock()
		r.msgs = append(r.msgs, append([]byte(nil), m.Data...))
		r.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return r
}

// contains reports whether any recorded message holds secret, as is or in
// base64 (how JSON carries bytes).
func (r *busRecorder) contains(t *testing.T, nc *nats.Conn, secret []byte) bool {
	t.Helper()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.msgs) == 0 {
		t.Fatal("recorded nothing on the bus")
	}
	b64 := []byte(base64.StdEncoding.EncodeToString(secret))
	for _, m := range r.msgs {
		if bytes.Contains(m, secret) || bytes.Contains(m, b64) {
			return true
		}
	}
	return false
}

func TestDataRoundTrip(t *testing.T) {
	h := newHarness(t)
	ctx := testCtx(t)
	bus := recordBus(t, h.nc)
	c := newDataClient(t, h.nc)

	signing := []byte("-----BEGIN PRIVATE KEY----- signing-key-material-7f3a9c")
	totp := []byte("JBSWY3DPEHPK3PXPTOTPSECRET")
	for _, tc := range []struct {
		purpose, about string
		plain          []byte
	}{
		{api.PurposeSigningKey, "sk_01HZX", signing},
		{api.PurposeTOTPSecret, "mfa_factor_01HZX", totp},
	} {
		ct, err := c.Encrypt(ctx, env, tc.purpose, tc.about, tc.plain)
		if err != nil {
			t.Fatalf("encrypt %s: %v", tc.purpose, err)
		}
		if ct[0] != 1 || len(ct) != len(tc.plain)+1+12+16 || bytes.Contains(ct, tc.plain) {
			t.Fatalf("%s ciphertext is not version 1 ‖ nonce ‖ sealed: %x", tc.purpose, ct)
		}
		again, err := c.Encrypt(ctx, env, tc.purpose, tc.about, tc.plain)
		if err != nil || bytes.Equal(again, ct) {
			t.Fatalf("encrypting twice gave the same ciphertext (%v)", err)
		}
		for _, x := range [][]byte{ct, again} {
			got, err := c.Decrypt(ctx, env, tc.purpose, tc.about, x)
			if err != nil || !bytes.Equal(got, tc.plain) {
				t.Fatalf("decrypt %s = %q, %v", tc.purpose, got, err)
			}
		}
	}
	// The plaintext can be empty or exactly at the limit.
	for _, plain := range [][]byte{{}, bytes.Repeat([]byte{0xA5}, api.MaxDataBytes)} {
		ct, err := c.Encrypt(ctx, env, api.PurposeSigningKey, "edge", plain)
		if err != nil {
			t.Fatalf("encrypt %d bytes: %v", len(plain), err)
		}
		if got, err := c.Decrypt(ctx, env, api.PurposeSigningKey, "edge", ct); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("decrypt %d bytes: %d bytes, %v", len(plain), len(got), err)
		}
	}

	// The environment got a data key on first use; nothing else is stored,
	// and the plaintext is nowhere: not in the database, on the bus or in
	// the log.
	dump := dumpSchema(t, h)
	if n := strings.Count(dump, "data_keys: "); n != 1 {
		t.Fatalf("want one data key, got:\n%s", dump)
	}
	for _, plain := range [][]byte{signing, totp} {
		if strings.Contains(dump, string(plain)) || strings.Contains(dump, hex.EncodeToString(plain)) {
			t.Fatalf("the database contains the plaintext:\n%s", dump)
		}
		if bus.contains(t, h.nc, plain) {
			t.Fatalf("the plaintext %q crossed the bus in the clear", plain)
		}
		if strings.Contains(h.logs.String(), string(plain)) {
			t.Fatalf("the service log contains the plaintext:\n%s", h.logs.String())
		}
	}

	if got := opCount(t, h.reg, "data_encrypt", "ok"); got != 6 {
		t.Fatalf("data_encrypt ok = %v, want 6", got)
	}
	if got := opCount(t, h.reg, "data_decrypt", "ok"); got != 6 {
		t.Fatalf("data_decrypt ok = %v, want 6", got)
	}
	if got := opCount(t, h.reg, "transport_key", "ok"); got != 1 {
		t.Fatalf("transport_key ok = %v, want 1 (the client caches the key)", got)
	}
}

// TestDataCiphertextIsBound: a ciphertext opens only for the environment,
// purpose and context it was made for.
func TestDataCiphertextIsBound(t *testing.T) {
	h := newHarness(t)
	ctx := testCtx(t)
	c := newDataClient(t, h.nc)
	plain := []byte("bound-signing-key")
	ct, err := c.Encrypt(ctx, env, api.PurposeSigningKey, "sk_1", plain)
	if err != nil {
		t.Fatal(err)
	}

	// "staging" has no data key yet; "other" has its own.
	if _, err := c.Encrypt(ctx, "other", api.PurposeSigningKey, "sk_1", plain); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, env, purpose, about string }{
		{"environment without a data key", "staging", api.PurposeSigningKey, "sk_1"},
		{"environment with its own data key", "other", api.PurposeSigningKey, "sk_1"},
		{"purpose", env, api.PurposeTOTPSecret, "sk_1"},
		{"context", env, api.PurposeSigningKey, "sk_2"},
		{"context prefix", env, api.PurposeSigningKey, "sk_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Decrypt(ctx, tc.env, tc.purpose, tc.about, ct)
			wantCode(t, err, natsrpc.CodeInvalidArgument, mismatch)
		})
	}
	if got, err := c.Decrypt(ctx, env, api.PurposeSigningKey, "sk_1", ct); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("the right triple no longer decrypts: %q, %v", got, err)
	}

	// A secret variable's ciphertext, under the same data key, does not
	// open as data either, even with its row id as the context.
	v := h.createEnv("PASSWORD", "variable-secret", true)
	var stored []byte
	if err := h.pool.QueryRow(ctx, `SELECT ciphertext FROM keys.env_vars WHERE id = $1`, v.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	_, err = c.Decrypt(ctx, env, api.PurposeSigningKey, v.ID, append([]byte{1}, stored...))
	wantCode(t, err, natsrpc.CodeInvalidArgument, mismatch)
}

func TestDataTamperedCiphertext(t *testing.T) {
	h := newHarness(t)
	ctx := testCtx(t)
	c := newDataClient(t, h.nc)
	plain := []byte("totp-secret-to-tamper")
	ct, err := c.Encrypt(ctx, env, api.PurposeTOTPSecret, "f1", plain)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := append([]byte(nil), ct...)
		b[i] ^= 0x01
		return b
	}
	for _, tc := range []struct {
		name string
		ct   []byte
	}{
		{"version byte", flip(0)},
		{"nonce", flip(5)},
		{"body", flip(1 + 12 + 3)},
		{"tag", flip(len(ct) - 1)},
		{"truncated", ct[:len(ct)-1]},
		{"too short", ct[:20]},
		{"extended", append(append([]byte(nil), ct...), 0)},
		{"too long", append([]byte{1}, make([]byte, api.MaxDataBytes+1+12+16)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Decrypt(ctx, env, api.PurposeTOTPSecret, "f1", tc.ct)
			wantCode(t, err, natsrpc.CodeInvalidArgument, mismatch)
		})
	}
	_, err = c.Decrypt(ctx, env, api.PurposeTOTPSecret, "f1", nil)
	wantCode(t, err, natsrpc.CodeInvalidArgument, "ciphertext is required")
	// The service is unharmed and the original still decrypts.
	if got, err := c.Decrypt(ctx, env, api.PurposeTOTPSecret, "f1", ct); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("after tampering: %q, %v", got, err)
	}
	if got := opCount(t, h.reg, "data_decrypt", "invalid_argument"); got != 9 {
		t.Fatalf("data_decrypt invalid_argument = %v, want 9", got)
	}
}

func TestDataOversizePlaintext(t *testing.T) {
	h := newHarness(t)
	ctx := testCtx(t)
	c := newDataClient(t, h.nc)
	big := bytes.Repeat([]byte("x"), api.MaxDataBytes+1)
	if _, err := c.Encrypt(ctx, env, api.PurposeSigningKey, "sk_big", big); err == nil ||
		!strings.Contains(err.Error(), "16385 bytes to encrypt, over the 16384-byte limit") {
		t.Fatalf("client-side limit: %v", err)
	}
	// A caller that skips the check is refused by the service.
	_, err := encryptSealedTo(t, h.nc, serverKey(t, h.nc), env, api.PurposeSigningKey, "sk_big", big)
	wantCode(t, err, natsrpc.CodeInvalidArgument, "the plaintext is 16385 bytes; the limit is 16384 bytes")
	if n := strings.Count(dumpSchema(t, h), "data_keys: "); n != 0 {
		t.Fatalf("a refused request created %d data keys", n)
	}
}

func TestDataValidation(t *testing.T) {
	h := newHarness(t)
	ctx := testCtx(t)
	c := newDataClient(t, h.nc)
	server := serverKey(t, h.nc)
	ct, err := c.Encrypt(ctx, env, api.PurposeSigningKey, "sk_1", []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	enc := func(env, purpose, about string) func() error {
		return func() error {
			_, err := encryptSealedTo(t, h.nc, server, env, purpose, about, []byte("k"))
			return err
		}
	}
	dec := func(req api.DecryptRequest) func() error {
		return func() error {
			_, err := call[api.DecryptRequest, api.DecryptResponse](t, h.nc, api.SubjectDataDecrypt, req)
			return err
		}
	}
	tk := h.transport.PublicKey().Bytes()
	for _, tc := range []struct {
		name     string
		call     func() error
		fragment string
	}{
		{"unknown purpose", enc(env, "password", "x"), `purpose "password" is unknown: use one of signing_key, totp_secret`},
		{"no purpose", enc(env, "", "x"), "purpose is required"},
		{"no context", enc(env, api.PurposeSigningKey, ""), "context is required"},
		{"long context", enc(env, api.PurposeSigningKey, strings.Repeat("c", 201)), "context is 201 bytes long; the limit is 200"},
		{"control character in context", enc(env, api.PurposeSigningKey, "a\nb"), "must not contain control characters"},
		{"invalid environment", enc("Prod!", api.PurposeSigningKey, "x"), `environment name "Prod!" is invalid`},
		{"nothing sealed", func() error {
			_, err := call[api.EncryptRequest, api.EncryptResponse](t, h.nc, api.SubjectDataEncrypt,
				api.EncryptRequest{Env: env, Purpose: api.PurposeSigningKey, Context: "x"})
			return err
		}, "sealed is required"},
		{"decrypt unknown purpose", dec(api.DecryptRequest{Env: env, Purpose: "other", Context: "sk_1", Ciphertext: ct, TransportKey: tk}),
			`purpose "other" is unknown`},
		{"decrypt short transport key", dec(api.DecryptRequest{Env: env, Purpose: api.PurposeSigningKey, Context: "sk_1", Ciphertext: ct,
			TransportKey: []byte("short")}), "transport key is 5 bytes"},
		{"decrypt unusable transport key", dec(api.DecryptRequest{Env: env, Purpose: api.PurposeSigningKey, Context: "sk_1", Ciphertext: ct,
			TransportKey: make([]byte, 32)}), "transport key is not a usable X25519 public key"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), natsrpc.CodeInvalidArgument, tc.fragment) })
	}
	// Through the client too, and with context exactly at the limit.
	_, err = c.Encrypt(ctx, env, "password", "x", []byte("k"))
	wantCode(t, err, natsrpc.CodeInvalidArgument, `purpose "password" is unknown`)
	long := strings.Repeat("c", 200)
	if ct, err := c.Encrypt(ctx, env, api.PurposeTOTPSecret, long, []byte("k")); err != nil {
		t.Fatal(err)
	} else if got, err := c.Decrypt(ctx, env, api.PurposeTOTPSecret, long, ct); err != nil || string(got) != "k" {
		t.Fatalf("200-byte context: %q, %v", got, err)
	}
	if got := opCount(t, h.reg, "data_encrypt", "invalid_argument"); got != 8 {
		t.Fatalf("data_encrypt invalid_argument = %v, want 8", got)
	}
}

// TestDataStaleTransportKey: a client holding the transport key of a service
// with another master key (as after a rotation) is told to fetch it again,
// and DataClient does so once and succeeds.
func TestDataStaleTransportKey(t *testing.T) {
	h := newHarness(t)
	ctx := testCtx(t)
	c := newDataClient(t, h.nc)
	current := serverKey(t, h.nc)
	h.stop()

	// The client first talks to a service with another master key (on its
	// own database: it would not start next to data keys it cannot open).
	otherReg := prometheus.NewRegistry()
	other, err := keys.Start(ctx, h.nc, migratedPool(t), keys.Config{
		Logger: slog.New(slog.NewTextHandler(h.logs, nil)), Registerer: otherReg, MasterKey: randomKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	stale := serverKey(t, h.nc)
	if bytes.Equal(stale, current) {
		t.Fatal("two master keys gave the same transport key")
	}
	if _, err := c.Encrypt(ctx, env, api.PurposeSigningKey, "warm-up", []byte("cached the other key")); err != nil {
		t.Fatal(err)
	}
	if err := other.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.start(h.kek); err != nil {
		t.Fatal(err)
	}
	if got := serverKey(t, h.nc); !bytes.Equal(got, current) {
		t.Fatal("the transport key changed across a restart with the same master key")
	}

	_, err = encryptSealedTo(t, h.nc, stale, env, api.PurposeSigningKey, "sk_1", []byte("signing key"))
	wantCode(t, err, natsrpc.CodeFailedPrecondition,
		"the data was sealed to another transport key (fetch gatehouse.keys.transport_key again)")

	ct, err := c.Encrypt(ctx, env, api.PurposeSigningKey, "sk_1", []byte("signing key"))
	if err != nil {
		t.Fatalf("the client did not recover from a stale transport key: %v", err)
	}
	if got, err := c.Decrypt(ctx, env, api.PurposeSigningKey, "sk_1", ct); err != nil || string(got) != "signing key" {
		t.Fatalf("decrypt = %q, %v", got, err)
	}
	if got := opCount(t, h.reg, "data_encrypt", "failed_precondition"); got != 2 {
		t.Fatalf("data_encrypt failed_precondition = %v, want 2 (the raw request and the client's first attempt)", got)
	}
	if got := opCount(t, h.reg, "data_encrypt", "ok"); got != 1 {
		t.Fatalf("data_encrypt ok = %v, want 1", got)
	}
}

// TestDataReplicas: replicas with the same master key share the transport
// key and the data keys, so either one serves any request.
func TestDataReplicas(t *testing.T) {
	h := newHarness(t)
	ctx := testCtx(t)
	c := newDataClient(t, h.nc)
	first := h.svc

	ct, err := c.Encrypt(ctx, env, api.PurposeTOTPSecret, "f1", []byte("encrypted by the first"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := h.start(h.kek)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// The second replica decrypts, and opens what the client sealed to the
	// key it fetched from the first.
	if got, err := c.Decrypt(ctx, env, api.PurposeTOTPSecret, "f1", ct); err != nil || string(got) != "encrypted by the first" {
		t.Fatalf("second replica decrypt = %q, %v", got, err)
	}
	ct2, err := c.Encrypt(ctx, env, api.PurposeTOTPSecret, "f2", []byte("encrypted by the second"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.start(h.kek); err != nil {
		t.Fatal(err)
	}
	if err := second.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Decrypt(ctx, env, api.PurposeTOTPSecret, "f2", ct2); err != nil || string(got) != "encrypted by the second" {
		t.Fatalf("third replica decrypt = %q, %v", got, err)
	}

	// Two replicas at once, requests spread over both by the queue group.
	if _, err := h.start(h.kek); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			about := fmt.Sprintf("f-%d", i)
			plain := []byte("concurrent " + about)
			ct, err := c.Encrypt(ctx, env, api.PurposeTOTPSecret, about, plain)
			if err == nil {
				var got []byte
				got, err = c.Decrypt(ctx, env, api.PurposeTOTPSecret, about, ct)
				if err == nil && !bytes.Equal(got, plain) {
					err = fmt.Errorf("%s decrypted to %q", about, got)
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := opCount(t, h.reg, "data_encrypt", "failed_precondition"); got != 0 {
		t.Fatalf("replicas disagree on the transport key: %v failed_precondition", got)
	}
	if n := strings.Count(dumpSchema(t, h), "data_keys: "); n != 1 {
		t.Fatalf("replicas made %d data keys for one environment", n)
	}
}
