package keys_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/services/keys/api"
)

func ptr[T any](v T) *T { return &v }

func TestEnvVarLifecycle(t *testing.T) {
	h := newHarness(t)
	const secret = "sk_live_5f3a9c1e-secret-value"
	const secret2 = "sk_live_second-secret-value-77"

	plain := h.createEnv("API_URL", "https://api.example.com", false)
	if plain.ID == "" || !strings.HasPrefix(plain.ID, "env_") || plain.Value != "https://api.example.com" || plain.IsSecret {
		t.Fatalf("create plain: %+v", plain)
	}
	sec := h.createEnv("API_KEY", secret, true)
	if !sec.IsSecret || sec.Value != "" {
		t.Fatalf("create secret returned %+v", sec)
	}
	_, err := call[api.CreateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvCreate,
		api.CreateEnvRequest{Env: env, Key: "API_KEY", Value: "x"})
	wantCode(t, err, natsrpc.CodeConflict, "variable API_KEY already exists in environment production")

	// list and get never carry a secret value, not even in the raw reply.
	list := must[api.ListEnvRequest, api.ListEnvResponse](t, h.nc, api.SubjectEnvList, api.ListEnvRequest{Env: env})
	if len(list.Variables) != 2 || list.Variables[0].Key != "API_KEY" || list.Variables[1].Key != "API_URL" {
		t.Fatalf("list not sorted by key: %+v", list.Variables)
	}
	if !list.Variables[0].IsSecret || list.Variables[0].Value != "" || list.Variables[1].Value != "https://api.example.com" {
		t.Fatalf("list: %+v", list.Variables)
	}
	for _, out := range [][]byte{
		raw(t, h.nc, api.SubjectEnvList, api.ListEnvRequest{Env: env}),
		raw(t, h.nc, api.SubjectEnvGet, api.EnvKeyRequest{Env: env, Key: "API_KEY"}),
	} {
		if bytes.Contains(out, []byte(secret)) {
			t.Fatalf("a management reply contains the secret: %s", out)
		}
		if !bytes.Contains(out, []byte(`"isSecret":true`)) {
			t.Fatalf("reply does not say the variable is secret: %s", out)
		}
	}
	got := must[api.EnvKeyRequest, api.EnvVar](t, h.nc, api.SubjectEnvGet, api.EnvKeyRequest{Env: env, Key: "API_URL"})
	if got.Value != "https://api.example.com" || got.ID != plain.ID {
		t.Fatalf("get plain: %+v", got)
	}

	// Update values.
	upd := must[api.UpdateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvUpdate,
		api.UpdateEnvRequest{Env: env, Key: "API_URL", Value: ptr("https://v2.example.com")})
	if upd.Value != "https://v2.example.com" || upd.ID != plain.ID || !upd.UpdatedAt.After(plain.UpdatedAt) {
		t.Fatalf("update plain: %+v", upd)
	}
	upd = must[api.UpdateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvUpdate,
		api.UpdateEnvRequest{Env: env, Key: "API_KEY", Value: ptr(secret2)})
	if upd.Value != "" || !upd.IsSecret {
		t.Fatalf("update secret returned %+v", upd)
	}
	if v, _, err := h.resolve("API_KEY"); err != nil || v != secret2 {
		t.Fatalf("resolve after update = %q, %v", v, err)
	}

	// A plain variable can become secret, keeping its value...
	upd = must[api.UpdateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvUpdate,
		api.UpdateEnvRequest{Env: env, Key: "API_URL", IsSecret: ptr(true)})
	if !upd.IsSecret || upd.Value != "" {
		t.Fatalf("make secret: %+v", upd)
	}
	if v, resp, err := h.resolve("API_URL"); err != nil || v != "https://v2.example.com" || !resp.IsSecret {
		t.Fatalf("resolve after making secret = %q %+v, %v", v, resp, err)
	}
	var stored *string
	if err := h.pool.QueryRow(context.Background(), `SELECT value FROM keys.env_vars WHERE id = $1`, plain.ID).Scan(&stored); err != nil || stored != nil {
		t.Fatalf("plain value still stored after making the variable secret: %v, %v", stored, err)
	}
	// ...but a secret cannot become plain.
	_, err = call[api.UpdateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvUpdate,
		api.UpdateEnvRequest{Env: env, Key: "API_KEY", IsSecret: ptr(false)})
	wantCode(t, err, natsrpc.CodeFailedPrecondition, "delete it and create it again")
	if v, _, _ := h.resolve("API_KEY"); v != secret2 {
		t.Fatalf("a refused update changed the value: %q", v)
	}

	// Delete.
	del := must[api.EnvKeyRequest, api.DeleteResponse](t, h.nc, api.SubjectEnvDelete, api.EnvKeyRequest{Env: env, Key: "API_KEY"})
	if !del.Deleted {
		t.Fatal("delete did not say deleted")
	}
	_, err = call[api.EnvKeyRequest, api.EnvVar](t, h.nc, api.SubjectEnvGet, api.EnvKeyRequest{Env: env, Key: "API_KEY"})
	wantCode(t, err, natsrpc.CodeNotFound, "variable API_KEY does not exist in environment production")
	_, err = call[api.EnvKeyRequest, api.DeleteResponse](t, h.nc, api.SubjectEnvDelete, api.EnvKeyRequest{Env: env, Key: "API_KEY"})
	wantCode(t, err, natsrpc.CodeNotFound, "does not exist")
	_, err = call[api.UpdateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvUpdate,
		api.UpdateEnvRequest{Env: env, Key: "API_KEY", Value: ptr("x")})
	wantCode(t, err, natsrpc.CodeNotFound, "does not exist")
	list = must[api.ListEnvRequest, api.ListEnvResponse](t, h.nc, api.SubjectEnvList, api.ListEnvRequest{Env: env})
	if len(list.Variables) != 1 || list.Variables[0].Key != "API_URL" {
		t.Fatalf("list after delete: %+v", list.Variables)
	}
	// Variables belong to their environment.
	other := must[api.ListEnvRequest, api.ListEnvResponse](t, h.nc, api.SubjectEnvList, api.ListEnvRequest{Env: "staging"})
	if other.Variables == nil || len(other.Variables) != 0 {
		t.Fatalf("staging lists %+v", other.Variables)
	}

	for _, s := range []string{secret, secret2, "https://v2.example.com"} {
		if strings.Contains(h.logs.String(), s) {
			t.Fatalf("the service log contains a secret value:\n%s", h.logs.String())
		}
	}
}

func TestSecretIsEncryptedAtRest(t *testing.T) {
	h := newHarness(t)
	const secret = "correct-horse-battery-staple-4a7b"
	v := h.createEnv("DB_PASSWORD", secret, true)
	ctx := context.Background()

	var rowText string
	var ciphertext []byte
	if err := h.pool.QueryRow(ctx, `SELECT t::text, t.ciphertext FROM keys.env_vars t WHERE id = $1`, v.ID).Scan(&rowText, &ciphertext); err != nil {
		t.Fatal(err)
	}
	if len(ciphertext) < len(secret) {
		t.Fatalf("ciphertext is %d bytes", len(ciphertext))
	}
	for _, form := range []string{secret, hex.EncodeToString([]byte(secret))} {
		if strings.Contains(rowText, form) {
			t.Fatalf("the stored row contains the secret: %s", rowText)
		}
	}
	if bytes.Contains(ciphertext, []byte(secret)) {
		t.Fatal("the ciphertext contains the secret")
	}
	// Nothing else in the schema holds it either.
	var n int
	if err := h.pool.QueryRow(ctx, `SELECT count(*) FROM keys.data_keys t
		WHERE strpos(t::text, $1) > 0 OR strpos(t::text, $2) > 0`, secret, hex.EncodeToString([]byte(secret))).Scan(&n); err != nil || n != 0 {
		t.Fatalf("data_keys holds the secret: %d, %v", n, err)
	}
	// The data key is stored wrapped: the table has one row and no
	// plaintext key to find, which the decrypt path below relies on.
	if v, _, err := h.resolve("DB_PASSWORD"); err != nil || v != secret {
		t.Fatalf("resolve = %q, %v", v, err)
	}
}

func TestResolve(t *testing.T) {
	h := newHarness(t)
	h.createEnv("REGION", "eu-west-1", false)
	h.createEnv("TOKEN", "tok_9d8e7f", true)

	v, resp, err := h.resolve("TOKEN")
	if err != nil || !resp.Found || !resp.IsSecret || v != "tok_9d8e7f" {
		t.Fatalf("resolve secret = %q %+v %v", v, resp, err)
	}
	if bytes.Contains(resp.Sealed, []byte("tok_9d8e7f")) {
		t.Fatal("the sealed value contains the plaintext")
	}
	// The seal is bound to the variable: another name's AAD does not open it.
	if _, err := api.Open(h.transport, resp.Sealed, api.AADEnv(env, "REGION")); err == nil {
		t.Fatal("sealed value opened with another variable's associated data")
	}
	// Sealed to this worker only.
	otherWorker, _ := api.NewTransportKey()
	if _, err := api.Open(otherWorker, resp.Sealed, api.AADEnv(env, "TOKEN")); err == nil {
		t.Fatal("sealed value opened with another transport key")
	}

	v, resp, err = h.resolve("REGION")
	if err != nil || !resp.Found || resp.IsSecret || v != "eu-west-1" {
		t.Fatalf("resolve plain = %q %+v %v", v, resp, err)
	}
	_, resp, err = h.resolve("MISSING")
	if err != nil || resp.Found || resp.Sealed != nil {
		t.Fatalf("resolve missing = %+v, %v", resp, err)
	}
}

func TestSwappedCiphertextsDoNotDecrypt(t *testing.T) {
	h := newHarness(t)
	const a, b = "value-of-alpha-0001", "value-of-bravo-0002"
	h.createEnv("ALPHA", a, true)
	h.createEnv("BRAVO", b, true)
	tag, err := h.pool.Exec(context.Background(), `UPDATE keys.env_vars SET ciphertext = CASE key
		WHEN 'ALPHA' THEN (SELECT ciphertext FROM keys.env_vars WHERE env = $1 AND key = 'BRAVO')
		ELSE (SELECT ciphertext FROM keys.env_vars WHERE env = $1 AND key = 'ALPHA') END
		WHERE env = $1 AND key IN ('ALPHA', 'BRAVO')`, env)
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("swap: %v %v", tag, err)
	}
	for _, key := range []string{"ALPHA", "BRAVO"} {
		v, resp, err := h.resolve(key)
		wantCode(t, err, natsrpc.CodeInternal, "variable "+key+" in environment production does not decrypt")
		if v != "" || resp.Sealed != nil || strings.Contains(err.Error(), a) || strings.Contains(err.Error(), b) {
			t.Fatalf("a swapped ciphertext gave %q %+v %v", v, resp, err)
		}
	}
	for _, s := range []string{a, b} {
		if strings.Contains(h.logs.String(), s) {
			t.Fatalf("the service log contains a secret value:\n%s", h.logs.String())
		}
	}
}

func TestChangeEvents(t *testing.T) {
	h := newHarness(t)
	next := h.events()
	h.createEnv("A", "1", false)
	must[api.UpdateEnvRequest, api.EnvVar](t, h.nc, api.SubjectEnvUpdate, api.UpdateEnvRequest{Env: env, Key: "A", Value: ptr("2")})
	must[api.EnvKeyRequest, api.DeleteResponse](t, h.nc, api.SubjectEnvDelete, api.EnvKeyRequest{Env: env, Key: "A"})
	envChange := api.Change{Env: env, Kind: api.ChangeEnv, Key: "A"}
	for i, c := range next(3) {
		if c != envChange {
			t.Fatalf("event %d = %+v, want %+v", i, c, envChange)
		}
	}

	k1 := h.createKey("wf-sync")
	k2 := h.createKey("wf-sync")
	must[api.WorkflowKeyRequest, api.WorkflowKey](t, h.nc, api.SubjectWorkflowKeyActivate, api.WorkflowKeyRequest{Env: env, KeyID: k2.Key.ID})
	must[api.WorkflowKeyRequest, api.WorkflowKey](t, h.nc, api.SubjectWorkflowKeyDeactivate, api.WorkflowKeyRequest{Env: env, KeyID: k2.Key.ID})
	must[api.WorkflowKeyRequest, api.DeleteResponse](t, h.nc, api.SubjectWorkflowKeyDelete, api.WorkflowKeyRequest{Env: env, KeyID: k1.Key.ID})
	keyChange := api.Change{Env: env, Kind: api.ChangeWorkflowKey, WorkflowID: "wf-sync"}
	for i, c := range next(5) {
		if c != keyChange {
			t.Fatalf("workflow key event %d = %+v, want %+v", i, c, keyChange)
		}
	}

	// Refused changes announce nothing.
	_, err := call[api.EnvKeyRequest, api.DeleteResponse](t, h.nc, api.SubjectEnvDelete, api.EnvKeyRequest{Env: env, Key: "A"})
	wantCode(t, err, natsrpc.CodeNotFound, "does not exist")
	next(0)
}
