package wfcli

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
)

var (
	keyIDLine    = regexp.MustCompile(`(?m)^key: +(wfk_\S+)$`)
	keyValueLine = regexp.MustCompile(`(?m)^([A-Za-z0-9_-]{43})$`) // 32 bytes, unpadded base64url
)

func workflowKeys(t *testing.T, s *session, workflowID string) map[string]kapi.WorkflowKey {
	t.Helper()
	out, _ := s.run(0, "", "keys", "list", workflowID, "--json")
	var resp kapi.ListWorkflowKeysResponse
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("keys list --json: %v\n%s", err, out)
	}
	keys := map[string]kapi.WorkflowKey{}
	for _, k := range resp.Keys {
		keys[k.ID] = k
	}
	return keys
}

func TestKeysLifecycle(t *testing.T) { bothModes(t, testKeysLifecycle) }

func testKeysLifecycle(t *testing.T, s *session) {
	const wf = "premfa"

	out, _ := s.run(0, "", "keys", "list", wf)
	wantContains(t, "keys list", out, "workflow premfa has no encryption keys in production", "gatehouse wf keys create premfa")

	// The first key is active; its value is shown once, alone on a line.
	out, _ = s.run(0, "", "keys", "create", wf)
	wantContains(t, "keys create", out, "workflow: premfa", "active:   yes", "Copy it now: it cannot be shown again.")
	m, v := keyIDLine.FindStringSubmatch(out), keyValueLine.FindStringSubmatch(out)
	if m == nil || v == nil {
		t.Fatalf("keys create output names no key id or value:\n%s", out)
	}
	first, firstValue := m[1], v[1]
	if raw, err := base64.RawURLEncoding.DecodeString(firstValue); err != nil || len(raw) != 32 {
		t.Fatalf("key value %q is not 32 bytes of base64url: %v", firstValue, err)
	}

	// Later keys are created inactive.
	out, _ = s.run(0, "", "keys", "create", wf, "--json")
	var created kapi.CreateWorkflowKeyResponse
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("keys create --json: %v\n%s", err, out)
	}
	second := created.Key.ID
	afterCreate := len(s.output)
	if created.Key.Active || created.Key.WorkflowID != wf || len(created.Value) != 43 || created.Value == firstValue {
		t.Fatalf("second key = %+v", created)
	}

	out, _ = s.run(0, "", "keys", "list", wf)
	wantContains(t, "keys list", out, "ID", "ACTIVE", "CREATED", "ACTIVATED")
	if row := tableRow(t, out, first); row[1] != "yes" {
		t.Errorf("first key row = %q, want active", row)
	}
	if row := tableRow(t, out, second); row[1] != "no" || row[len(row)-1] != "-" {
		t.Errorf("second key row = %q, want inactive, never activated", row)
	}

	// The active key cannot be deleted; the service says why.
	_, errOut := s.run(1, "", "keys", "rm", first)
	wantContains(t, "stderr", errOut, "delete key "+first+" in production", "failed_precondition")

	out, _ = s.run(0, "", "keys", "activate", second)
	wantContains(t, "keys activate", out, "key "+second, "is now the active key")
	keys := workflowKeys(t, s, wf)
	if !keys[second].Active || keys[first].Active || keys[second].ActivatedAt == nil {
		t.Errorf("after activate: %+v", keys)
	}

	out, _ = s.run(0, "", "keys", "rm", first)
	if out != "key "+first+" deleted\n" {
		t.Errorf("keys rm output = %q", out)
	}
	out, _ = s.run(0, "", "keys", "deactivate", second)
	wantContains(t, "keys deactivate", out, "key "+second, "is deactivated")
	keys = workflowKeys(t, s, wf)
	if _, ok := keys[first]; ok || len(keys) != 1 || keys[second].Active {
		t.Errorf("after rm and deactivate: %+v", keys)
	}

	_, errOut = s.run(1, "", "keys", "activate", "wfk_doesnotexist")
	wantContains(t, "stderr", errOut, "activate key wfk_doesnotexist in production", "not_found")
	_, errOut = s.run(2, "", "keys", "rm")
	wantContains(t, "stderr", errOut, "the key id is required", "Usage: gatehouse wf keys rm KEY_ID")
	for _, o := range s.output[afterCreate:] {
		if strings.Contains(o, firstValue) || strings.Contains(o, created.Value) {
			t.Errorf("a key value was shown again:\n%s", o)
		}
	}
}
