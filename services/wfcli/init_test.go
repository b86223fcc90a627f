package wfcli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

func TestInitScaffoldsAWorkflowThatBuildsAndRuns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pre-mfa-check")
	out, _ := mustWF(t, 0, "init", dir, "--trigger", "user:pre_mfa", "--name", "MFA for all")
	wantContains(t, "init output", out, `workflow "preMfaCheck" (user:pre_mfa)`, "gatehouse wf test")

	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	sdk, err := filepath.Abs("../../wasm-sdk/go")
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "go.mod", string(gomod), "module pre-mfa-check\n",
		"require github.com/gatehouse-id/gatehouse/wasm-sdk/go v0.0.0",
		"replace github.com/gatehouse-id/gatehouse/wasm-sdk/go => "+sdk+"\n")
	main, err := os.ReadFile(filepath.Join(dir, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "main.go", string(main), `ID:      "preMfaCheck"`, `Name:    "MFA for all"`,
		"gatehouse.TriggerPreMFA", `"kinde.mfa": {}`, "gatehouse.SetEnforcementPolicy(gatehouse.MFARequired)", "func main() {}")
	event, err := os.ReadFile(filepath.Join(dir, "event.json"))
	if err != nil {
		t.Fatal(err)
	}
	if eventTrigger(event) != abi.TriggerPreMFA {
		t.Errorf("event.json is not a pre-MFA event:\n%s", event)
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "README.md", string(readme), "gatehouse wf test "+dir, "gatehouse wf deploy "+dir, "gatehouse wf fire user:pre_mfa")

	// test builds the directory first, then runs the module in the engine.
	out, errOut := mustWF(t, 0, "test", dir, "--event", filepath.Join(dir, "event.json"))
	wantContains(t, "test progress", errOut, "building "+dir+" with GOOS=wasip1 GOARCH=wasm", "built pre-mfa-check: ")
	wantContains(t, "test output", out, `workflow "preMfaCheck" on user:pre_mfa, bindings kinde.mfa, failure policy stop`,
		"ALLOWED", "MFA policy: required", "MFA required for user kp_77d28fc7b16240dd9ec12b08071fe46e")

	wasmPath := filepath.Join(t.TempDir(), "out.wasm")
	out, _ = mustWF(t, 0, "build", dir, "-o", wasmPath)
	wantContains(t, "build output", out, "wrote "+wasmPath)
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(wasm, []byte("\x00asm")) {
		t.Fatalf("%s is not a WebAssembly module", wasmPath)
	}

	// An exempt user is let through without MFA; --json prints the decision.
	exempt := strings.Replace(string(event), `"isUserRoleExempt": false`, `"isUserRoleExempt": true`, 1)
	out, _ = mustWF(t, 0, "test", wasmPath, "--event", writeFile(t, t.TempDir(), "exempt.json", exempt), "--json")
	var d api.Decision
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("--json output is not a decision: %v\n%s", err, out)
	}
	if !d.Ran || d.Error != nil || d.MFAPolicy != abi.MFASkip || d.WorkflowID != "preMfaCheck" {
		t.Fatalf("decision = %+v, want a run with MFA policy skip", d)
	}
}

func TestInitRefusesBadInput(t *testing.T) {
	full := t.TempDir()
	writeFile(t, full, "keep.txt", "mine")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown trigger", []string{"init", filepath.Join(t.TempDir(), "x"), "--trigger", "user:pre_login"}, 2,
			[]string{`unknown trigger "user:pre_login"`, "user:pre_registration", "user:plan_cancellation_request", "m2m:token_generation"}},
		{"no trigger", []string{"init", filepath.Join(t.TempDir(), "x")}, 2, []string{"--trigger is required"}},
		{"no directory", []string{"init", "--trigger", "user:pre_mfa"}, 2, []string{"directory to create is required"}},
		{"non-empty directory", []string{"init", full, "--trigger", "user:pre_mfa"}, 1, []string{"is not empty", "keep.txt"}},
		{"bad sdk", []string{"init", filepath.Join(t.TempDir(), "x"), "--trigger", "user:pre_mfa", "--sdk", t.TempDir()}, 1,
			[]string{"is not the Go workflow SDK"}},
		{"unknown flag", []string{"init", "x", "--trigger", "user:pre_mfa", "--colour"}, 2, []string{"flag provided but not defined: -colour"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut := mustWF(t, tc.code, tc.args...)
			wantContains(t, "stderr", errOut, tc.want...)
		})
	}
	if b, err := os.ReadFile(filepath.Join(full, "keep.txt")); err != nil || string(b) != "mine" {
		t.Fatalf("init touched a non-empty directory: %q, %v", b, err)
	}
}

func TestInitEveryTriggerHasAScaffold(t *testing.T) {
	for _, trig := range abi.Triggers {
		s, ok := scaffolds[trig]
		if !ok || sampleEvents[trig] == "" {
			t.Errorf("trigger %s has no scaffold or sample event", trig)
			continue
		}
		if !abi.Available(s.Binding, trig) {
			t.Errorf("scaffold for %s uses binding %s, which that trigger does not offer", trig, s.Binding)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(sampleEvents[trig]), &v); err != nil {
			t.Errorf("sample event of %s: %v", trig, err)
		}
		if got := eventTrigger([]byte(sampleEvents[trig])); got != trig {
			t.Errorf("sample event of %s names trigger %q", trig, got)
		}
		if !strings.Contains(s.Body, "*gatehouse."+s.Event+")") {
			t.Errorf("scaffold for %s does not handle *gatehouse.%s", trig, s.Event)
		}
	}
}

func TestNamesFromDirectory(t *testing.T) {
	for _, tc := range []struct{ base, module, id string }{
		{"pre-mfa-check", "pre-mfa-check", "preMfaCheck"},
		{"My Tokens", "my-tokens", "myTokens"},
		{"2fa_rules", "2fa_rules", "workflow2faRules"},
		{"tokens", "tokens", "tokens"},
	} {
		if got := moduleName(tc.base); got != tc.module {
			t.Errorf("moduleName(%q) = %q, want %q", tc.base, got, tc.module)
		}
		if got := workflowID(tc.base); got != tc.id {
			t.Errorf("workflowID(%q) = %q, want %q", tc.base, got, tc.id)
		}
	}
}

func TestHelpAndUnknownCommand(t *testing.T) {
	out, _ := mustWF(t, 0, "help")
	for _, cmd := range []string{"init", "build", "test", "deploy", "list", "live", "deactivate", "delete", "env", "keys", "logs", "fire"} {
		wantContains(t, "help", out, "\n  "+cmd+" ")
	}
	wantContains(t, "help", out, "gatehouse wf env set KEY [VALUE] [--secret]", "gatehouse wf keys create WORKFLOW_ID", "gatehouse wf logs [--kind runtime|build|sync] [--follow]")
	_, errOut := mustWF(t, 2, "frobnicate")
	wantContains(t, "stderr", errOut, `unknown command "frobnicate"`, "Commands:")
	out, _ = mustWF(t, 0, "deploy", "-h")
	wantContains(t, "deploy -h", out, "-no-live", "-nats-url", "-environment")
	mustWF(t, 2)
}
