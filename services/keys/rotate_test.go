package keys_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/pkg/securefetch"
	"github.com/gatehouse-id/gatehouse/services/keys"
	"github.com/gatehouse-id/gatehouse/services/keys/api"
)

// snapshot returns every row of the keys tables as text.
func snapshot(t *testing.T, h *harness) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range []string{"data_keys", "env_vars", "workflow_keys"} {
		rows, err := h.pool.Query(context.Background(), `SELECT t::text FROM keys.`+table+` t ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], s)
		}
		rows.Close()
	}
	return out
}

func equalRows(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

func TestRotateMaster(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.createEnv("PASSWORD", "p4ssw0rd-before-rotation", true)
	h.createEnv("PLAIN", "plain-value", false)
	must[api.CreateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvCreate,
		api.CreateEnvRequest{Env: "staging", Key: "PASSWORD", Value: "staging-secret", IsSecret: true})
	wk := h.createKey("wf-rotate")
	// Data encrypted for other services (they keep the ciphertext).
	data := newDataClient(t, h.nc)
	dataCT, err := data.Encrypt(ctx, "staging", api.PurposeTOTPSecret, "mfa_rotate", []byte("totp-before-rotation"))
	if err != nil {
		t.Fatal(err)
	}
	oldTransport := serverKey(t, h.nc)
	h.stop()
	before := snapshot(t, h)
	if len(before["data_keys"]) != 2 {
		t.Fatalf("want a data key per environment with secrets, got %v", before["data_keys"])
	}

	newKEK := randomKey(t)
	// The wrong old key is refused and changes nothing.
	wrong := randomKey(t)
	if n, err := keys.RotateMaster(ctx, h.pool, wrong, newKEK); err == nil || n != 0 ||
		!strings.Contains(err.Error(), kekID(h.kek)) || !strings.Contains(err.Error(), kekID(wrong)) {
		t.Fatalf("rotate with the wrong old key: %d, %v", n, err)
	}
	if after := snapshot(t, h); !equalRows(after["data_keys"], before["data_keys"]) {
		t.Fatal("a refused rotation changed the data keys")
	}
	if _, err := keys.RotateMaster(ctx, h.pool, h.kek, h.kek); err == nil {
		t.Fatal("rotating to the same key succeeded")
	}

	n, err := keys.RotateMaster(ctx, h.pool, h.kek, newKEK)
	if err != nil || n != 2 {
		t.Fatalf("rotate: %d, %v", n, err)
	}
	after := snapshot(t, h)
	if equalRows(after["data_keys"], before["data_keys"]) {
		t.Fatal("the data keys were not re-wrapped")
	}
	for _, table := range []string{"env_vars", "workflow_keys"} {
		if !equalRows(after[table], before[table]) {
			t.Fatalf("rotation changed %s:\n%v\n%v", table, before[table], after[table])
		}
	}
	// Rotating again from the old key is refused: it no longer wraps them.
	if _, err := keys.RotateMaster(ctx, h.pool, h.kek, randomKey(t)); err == nil {
		t.Fatal("a second rotation from the retired key succeeded")
	}

	// The old key no longer starts the service...
	_, err = h.start(h.kek)
	if err == nil || !strings.Contains(err.Error(), kekID(h.kek)) || !strings.Contains(err.Error(), kekID(newKEK)) ||
		!strings.Contains(err.Error(), "rotate-master") {
		t.Fatalf("Start with the retired key: %v", err)
	}
	// ...the new one reads everything written before.
	if _, err := h.start(newKEK); err != nil {
		t.Fatal(err)
	}
	if v, _, err := h.resolve("PASSWORD"); err != nil || v != "p4ssw0rd-before-rotation" {
		t.Fatalf("secret after rotation = %q, %v", v, err)
	}
	if v, _, err := h.resolve("PLAIN"); err != nil || v != "plain-value" {
		t.Fatalf("plain after rotation = %q, %v", v, err)
	}
	staging, err := call[api.ResolveEnvRequest, api.ResolveEnvResponse](t, h.nc, api.SubjectEnvResolve,
		api.ResolveEnvRequest{Env: "staging", Key: "PASSWORD", TransportKey: h.transport.PublicKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := api.Open(h.transport, staging.Sealed, api.AADEnv("staging", "PASSWORD")); err != nil || string(v) != "staging-secret" {
		t.Fatalf("staging secret after rotation = %q, %v", v, err)
	}
	if id, key, err := h.active("wf-rotate"); err != nil || id != wk.Key.ID || securefetch.FormatKey(key) != wk.Value {
		t.Fatalf("workflow key after rotation: %s, %v", id, err)
	}
	// Data ciphertexts made before still decrypt. The service's transport
	// key changed with the master key: the client, still holding the old
	// one, fetches it again and encrypts.
	if got, err := data.Decrypt(ctx, "staging", api.PurposeTOTPSecret, "mfa_rotate", dataCT); err != nil || string(got) != "totp-before-rotation" {
		t.Fatalf("data after rotation = %q, %v", got, err)
	}
	if bytes.Equal(serverKey(t, h.nc), oldTransport) {
		t.Fatal("the transport key did not change with the master key")
	}
	afterCT, err := data.Encrypt(ctx, "staging", api.PurposeTOTPSecret, "mfa_after", []byte("totp-after-rotation"))
	if err != nil {
		t.Fatalf("encrypt with the transport key of the retired master key: %v", err)
	}
	if got, err := data.Decrypt(ctx, "staging", api.PurposeTOTPSecret, "mfa_after", afterCT); err != nil || string(got) != "totp-after-rotation" {
		t.Fatalf("data encrypted after rotation = %q, %v", got, err)
	}
	// New secrets are written under the new key.
	h.createEnv("AFTER", "written-after-rotation", true)
	if v, _, err := h.resolve("AFTER"); err != nil || v != "written-after-rotation" {
		t.Fatalf("new secret = %q, %v", v, err)
	}
}

func TestRotateMasterWithoutDataKeys(t *testing.T) {
	h := newHarness(t)
	h.createEnv("PLAIN", "no data key needed", false)
	n, err := keys.RotateMaster(context.Background(), h.pool, h.kek, randomKey(t))
	if err != nil || n != 0 {
		t.Fatalf("rotate with no data keys: %d, %v", n, err)
	}
	var count int
	if err := h.pool.QueryRow(context.Background(), `SELECT count(*) FROM keys.data_keys`).Scan(&count); err != nil || count != 0 {
		t.Fatalf("a plain variable made a data key: %d, %v", count, err)
	}
}

// TestRotationWhileTheOldServiceRuns: a service still running with the
// retired master key cannot create a data key for a new environment (nobody
// could open it with the current key); it says to restart. Running the
// rotation again is harmless.
func TestRotationWhileTheOldServiceRuns(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.createEnv("PASSWORD", "secret-before", true)
	newKEK := randomKey(t)
	if n, err := keys.RotateMaster(ctx, h.pool, h.kek, newKEK); err != nil || n != 1 {
		t.Fatalf("rotate: %d, %v", n, err)
	}
	_, err := call[api.CreateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvCreate,
		api.CreateEnvRequest{Env: "staging", Key: "PASSWORD", Value: "staging-secret", IsSecret: true})
	if err == nil || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("creating a data key with the retired master key: %v", err)
	}
	if rows := snapshot(t, h)["data_keys"]; len(rows) != 1 || !strings.Contains(rows[0], kekID(newKEK)) {
		t.Fatalf("data keys after the refused create: %v", rows)
	}
	if n, err := keys.RotateMaster(ctx, h.pool, h.kek, newKEK); err != nil || n != 0 {
		t.Fatalf("rotating again: %d, %v (want 0 re-wrapped, no error)", n, err)
	}
	h.stop()
	if _, err := h.start(newKEK); err != nil {
		t.Fatal(err)
	}
	if v, _, err := h.resolve("PASSWORD"); err != nil || v != "secret-before" {
		t.Fatalf("after restart with the new key: %q, %v", v, err)
	}
}
