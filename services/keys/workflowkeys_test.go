package keys_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/pkg/securefetch"
	"github.com/gatehouse-id/gatehouse/services/keys/api"
)

func listKeys(t *testing.T, h *harness, workflowID string) []api.WorkflowKey {
	t.Helper()
	return must[api.ListWorkflowKeysRequest, api.ListWorkflowKeysResponse](t, h.nc, api.SubjectWorkflowKeyList,
		api.ListWorkflowKeysRequest{Env: env, WorkflowID: workflowID}).Keys
}

func keyReq(id string) api.WorkflowKeyRequest { return api.WorkflowKeyRequest{Env: env, KeyID: id} }

func TestWorkflowKeyLifecycle(t *testing.T) {
	h := newHarness(t)
	const wf = "syncPasswords"

	_, _, err := h.active(wf)
	wantCode(t, err, natsrpc.CodeFailedPrecondition,
		"workflow syncPasswords in environment production has no active encryption key: create one with `gatehouse wf keys create`")

	first := h.createKey(wf)
	if !first.Key.Active || first.Key.ActivatedAt == nil || !strings.HasPrefix(first.Key.ID, "wfk_") || first.Key.WorkflowID != wf {
		t.Fatalf("first key: %+v", first.Key)
	}
	firstValue, err := securefetch.ParseKey(first.Value)
	if err != nil || securefetch.FormatKey(firstValue) != first.Value || strings.Contains(first.Value, "=") {
		t.Fatalf("value %q is not an unpadded base64url key: %v", first.Value, err)
	}
	second := h.createKey(wf)
	if second.Key.Active || second.Key.ActivatedAt != nil || second.Value == first.Value {
		t.Fatalf("second key: %+v", second.Key)
	}

	// The value is shown once: list has none, not even in the raw reply.
	keys := listKeys(t, h, wf)
	if len(keys) != 2 || keys[0].ID != second.Key.ID || keys[1].ID != first.Key.ID {
		t.Fatalf("list is not newest first: %+v", keys)
	}
	out := raw(t, h.nc, api.SubjectWorkflowKeyList, api.ListWorkflowKeysRequest{Env: env, WorkflowID: wf})
	if bytes.Contains(out, []byte(first.Value)) || bytes.Contains(out, []byte(second.Value)) {
		t.Fatalf("list reply contains a key value: %s", out)
	}

	// The active subject hands the worker the first key, which decrypts
	// what secureFetch encrypts with it.
	id, key, err := h.active(wf)
	if err != nil || id != first.Key.ID || securefetch.FormatKey(key) != first.Value {
		t.Fatalf("active = %s, %v; want %s", id, err, first.Key.ID)
	}
	body, err := securefetch.Encrypt(key, []byte(`{"password":"hunter2"}`))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := securefetch.Decrypt(firstValue, body); err != nil || string(plain) != `{"password":"hunter2"}` {
		t.Fatalf("receiver could not decrypt with the shown key: %q %v", plain, err)
	}

	// Activate switches.
	act := must[api.WorkflowKeyRequest, api.WorkflowKey](t, h.nc, api.SubjectWorkflowKeyActivate, keyReq(second.Key.ID))
	if !act.Active || act.ActivatedAt == nil {
		t.Fatalf("activate: %+v", act)
	}
	keys = listKeys(t, h, wf)
	if !keys[0].Active || keys[1].Active {
		t.Fatalf("after activate: %+v", keys)
	}
	if id, key, err := h.active(wf); err != nil || id != second.Key.ID || securefetch.FormatKey(key) != second.Value {
		t.Fatalf("active after switch = %s, %v", id, err)
	}

	// The active key cannot be deleted; an inactive one can.
	_, err = call[api.WorkflowKeyRequest, api.DeleteResponse](t, h.nc, api.SubjectWorkflowKeyDelete, keyReq(second.Key.ID))
	wantCode(t, err, natsrpc.CodeFailedPrecondition, "is the active key of workflow syncPasswords")
	del := must[api.WorkflowKeyRequest, api.DeleteResponse](t, h.nc, api.SubjectWorkflowKeyDelete, keyReq(first.Key.ID))
	if !del.Deleted {
		t.Fatal("delete did not say deleted")
	}
	_, err = call[api.WorkflowKeyRequest, api.WorkflowKey](t, h.nc, api.SubjectWorkflowKeyActivate, keyReq(first.Key.ID))
	wantCode(t, err, natsrpc.CodeNotFound, "encryption key "+first.Key.ID+" does not exist in environment production")
	_, err = call[api.WorkflowKeyRequest, api.DeleteResponse](t, h.nc, api.SubjectWorkflowKeyDelete, keyReq(first.Key.ID))
	wantCode(t, err, natsrpc.CodeNotFound, "does not exist")
	_, err = call[api.WorkflowKeyRequest, api.WorkflowKey](t, h.nc, api.SubjectWorkflowKeyActivate, keyReq("wfk_unknown"))
	wantCode(t, err, natsrpc.CodeNotFound, "encryption key wfk_unknown does not exist")
	// Keys belong to their environment.
	_, err = call[api.WorkflowKeyRequest, api.WorkflowKey](t, h.nc, api.SubjectWorkflowKeyDeactivate,
		api.WorkflowKeyRequest{Env: "staging", KeyID: second.Key.ID})
	wantCode(t, err, natsrpc.CodeNotFound, "does not exist in environment staging")

	// Deactivating leaves the workflow without an active key.
	deact := must[api.WorkflowKeyRequest, api.WorkflowKey](t, h.nc, api.SubjectWorkflowKeyDeactivate, keyReq(second.Key.ID))
	if deact.Active {
		t.Fatalf("deactivate: %+v", deact)
	}
	_, _, err = h.active(wf)
	wantCode(t, err, natsrpc.CodeFailedPrecondition, "has no active encryption key")
	must[api.WorkflowKeyRequest, api.DeleteResponse](t, h.nc, api.SubjectWorkflowKeyDelete, keyReq(second.Key.ID))
	if keys := listKeys(t, h, wf); keys == nil || len(keys) != 0 {
		t.Fatalf("list after deleting every key: %+v", keys)
	}

	// Key material is stored encrypted.
	third := h.createKey(wf)
	raw, _ := securefetch.ParseKey(third.Value)
	var stored []byte
	if err := h.pool.QueryRow(context.Background(), `SELECT ciphertext FROM keys.workflow_keys WHERE id = $1`, third.Key.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, raw) {
		t.Fatal("the stored workflow key contains the key in the clear")
	}
	for _, v := range []string{first.Value, second.Value, third.Value} {
		if strings.Contains(h.logs.String(), v) {
			t.Fatalf("the service log contains a key value:\n%s", h.logs.String())
		}
	}
}

func TestWorkflowKeyLimitAndOneActive(t *testing.T) {
	h := newHarness(t)
	const wf = "limited"
	ids := make([]string, 0, api.MaxKeysPerWorkflow)
	for range api.MaxKeysPerWorkflow {
		ids = append(ids, h.createKey(wf).Key.ID)
	}
	_, err := call[api.CreateWorkflowKeyRequest, api.CreateWorkflowKeyResponse](t, h.nc, api.SubjectWorkflowKeyCreate,
		api.CreateWorkflowKeyRequest{Env: env, WorkflowID: wf})
	wantCode(t, err, natsrpc.CodeFailedPrecondition, "already has 20 encryption keys")
	// Another workflow has its own allowance.
	if k := h.createKey("other"); !k.Key.Active {
		t.Fatalf("first key of another workflow is inactive: %+v", k.Key)
	}

	// Concurrent activations leave exactly one key active.
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = call[api.WorkflowKeyRequest, api.WorkflowKey](t, h.nc, api.SubjectWorkflowKeyActivate, keyReq(id))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	active := 0
	for _, k := range listKeys(t, h, wf) {
		if k.Active {
			active++
		}
	}
	if active != 1 {
		t.Fatalf("%d keys active after concurrent activations", active)
	}
}
