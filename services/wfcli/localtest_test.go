package wfcli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
	"github.com/gatehouse-id/gatehouse/services/worker/api"
)

const tokensEvent = `{"request":{"auth":{"audience":["https://api.example.com"]},"ip":"192.168.0.1"},
 "context":{"auth":{"origin":"authorization_request"},"user":{"id":"kp_1"},"workflow":{"trigger":"user:tokens_generation"}}}`

// envflow writes the testdata/envflow module (built once per process) into
// a directory of t and returns its path and a tokens event file next to it.
func envflow(t *testing.T) (wasmPath, eventPath string) {
	t.Helper()
	dir := t.TempDir()
	wasmPath = filepath.Join(dir, "envflow.wasm")
	if err := os.WriteFile(wasmPath, wasmbuild.ForTest(t, "testdata/envflow"), 0o644); err != nil {
		t.Fatal(err)
	}
	return wasmPath, writeFile(t, dir, "event.json", tokensEvent)
}

func decision(t *testing.T, out string) api.Decision {
	t.Helper()
	var d api.Decision
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("output is not a decision: %v\n%s", err, out)
	}
	return d
}

func TestTestServesEnvironmentVariables(t *testing.T) {
	wasm, event := envflow(t)
	dir := t.TempDir()
	vars := writeFile(t, dir, "vars.env", "# greeting for the claim\nexport GREETING=\"hello world\" # trailing comment\n\nUNUSED='x'\n")
	secrets := writeFile(t, dir, "secrets.env", "API_KEY=s3cr3t-value\n")

	out, _ := mustWF(t, 0, "test", wasm, "--event", event, "--env", vars, "--secret-env", secrets, "--json")
	d := decision(t, out)
	if d.Error != nil {
		t.Fatalf("workflow failed: %+v", d.Error)
	}
	if got := string(d.AccessTokenClaims["greeting"]); got != `"hello world"` {
		t.Errorf("greeting claim = %s, want \"hello world\" from vars.env", got)
	}
	if got := string(d.AccessTokenClaims["api_key_secret"]); got != "true" {
		t.Errorf("api_key_secret claim = %s, want true: --secret-env values are secrets", got)
	}
	if strings.Contains(out, "s3cr3t-value") {
		t.Errorf("the secret value appears in the output:\n%s", out)
	}

	// Without --env the variable does not exist: GetEnvironmentVariable returns nil.
	out, _ = mustWF(t, 0, "test", wasm, "--event", event)
	wantContains(t, "output", out, "ALLOWED", "GREETING is not set")
	if strings.Contains(out, "greeting =") {
		t.Errorf("a greeting claim was set without --env:\n%s", out)
	}
}

func TestTestReportsWorkflowErrorsWithExitCode1(t *testing.T) {
	wasm, event := envflow(t)
	vars := writeFile(t, t.TempDir(), "vars.env", "FAIL_WITH=the CRM is down\n")
	out, _ := mustWF(t, 1, "test", wasm, "--event", event, "--env", vars)
	wantContains(t, "output", out, "ERROR workflow_error: the CRM is down", "failure policy stop: the flow would stop")
}

func TestTestAllowFetchReachesALocalMock(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "pong")
	}))
	defer srv.Close()
	wasm, event := envflow(t)
	vars := writeFile(t, t.TempDir(), "vars.env", "FETCH_URL="+srv.URL+"/ping\n")
	host := strings.TrimPrefix(srv.URL, "http://")

	out, _ := mustWF(t, 0, "test", wasm, "--event", event, "--env", vars, "--allow-fetch", host, "--json")
	if d := decision(t, out); string(d.AccessTokenClaims["fetched"]) != `"pong"` {
		t.Fatalf("fetched claim = %s, want \"pong\"; decision: %s", d.AccessTokenClaims["fetched"], out)
	}

	// Without --allow-fetch the loopback mock is refused.
	out, _ = mustWF(t, 1, "test", wasm, "--event", event, "--env", vars, "--json")
	if d := decision(t, out); d.Error == nil || len(d.AccessTokenClaims) != 0 {
		t.Fatalf("fetch to %s succeeded without --allow-fetch: %s", srv.URL, out)
	}
}

func TestTestRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	wasm := writeFile(t, dir, "w.wasm", "\x00asm") // never loaded: input is checked first
	event := writeFile(t, dir, "event.json", `{"request":{}}`)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"missing event", []string{"test", wasm}, 2, []string{"--event is required"}},
		{"bad event JSON", []string{"test", wasm, "--event", writeFile(t, dir, "bad.json", "{\n  \"request\": {,\n}")}, 1,
			[]string{"bad.json is not valid JSON: line 2, column 15"}},
		{"event not an object", []string{"test", wasm, "--event", writeFile(t, dir, "arr.json", `[1]`)}, 1,
			[]string{"must be a JSON object"}},
		{"bad dotenv line", []string{"test", wasm, "--event", event, "--env", writeFile(t, dir, "bad.env", "A=1\nthis line has a secret\n")}, 1,
			[]string{"bad.env:2: expected KEY=value"}},
		{"bad dotenv quote", []string{"test", wasm, "--event", event, "--secret-env", writeFile(t, dir, "q.env", "TOKEN=\"abc\n")}, 1,
			[]string{"q.env:1: value of TOKEN: missing closing \""}},
		{"key in both files", []string{"test", wasm, "--event", event, "--env", writeFile(t, dir, "a.env", "K=1\n"), "--secret-env", writeFile(t, dir, "b.env", "K=2\n")}, 1,
			[]string{"variable K is in both"}},
		{"not a module", []string{"test", writeFile(t, dir, "main.go", "package main"), "--event", event}, 1,
			[]string{"neither a workflow directory nor a .wasm file"}},
		{"directory without go.mod", []string{"test", t.TempDir(), "--event", event}, 1, []string{"has no go.mod"}},
		{"bad allow-fetch", []string{"test", wasm, "--event", event, "--allow-fetch", "nonsense"}, 2,
			[]string{`--allow-fetch: egress: allow-list entry "nonsense" is neither a CIDR nor host:port`}},
		{"two targets", []string{"test", wasm, wasm, "--event", event}, 2, []string{"unexpected argument"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut := mustWF(t, tc.code, tc.args...)
			wantContains(t, "stderr", errOut, tc.want...)
			if strings.Contains(errOut, "secret") && tc.name == "bad dotenv line" {
				t.Errorf("the error quotes the line's content: %s", errOut)
			}
		})
	}
}

func TestTestRejectsAnInvalidModule(t *testing.T) {
	dir := t.TempDir()
	wasm := writeFile(t, dir, "w.wasm", "\x00asm\x01\x00\x00\x00")
	event := writeFile(t, dir, "event.json", `{"request":{}}`)
	_, errOut := mustWF(t, 1, "test", wasm, "--event", event)
	wantContains(t, "stderr", errOut, "the module cannot be loaded")
}

func TestParseDotenv(t *testing.T) {
	p := writeFile(t, t.TempDir(), "x.env", strings.Join([]string{
		"# comment",
		"PLAIN=value with spaces  # comment",
		`DQ="line1\nline2 \"q\" # not a comment"`,
		`SQ='raw \n # kept'`,
		"export EXPORTED=1",
		"EMPTY=",
		"HASH=a#b",
	}, "\n"))
	got, err := parseDotenv(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PLAIN": "value with spaces", "DQ": "line1\nline2 \"q\" # not a comment",
		"SQ": `raw \n # kept`, "EXPORTED": "1", "EMPTY": "", "HASH": "a#b",
	}
	if len(got) != len(want) {
		t.Errorf("parsed %d variables, want %d: %q", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, bad := range []string{"1X=a", "X=\"a\" b", "=a"} {
		if _, err := parseDotenv(writeFile(t, t.TempDir(), "b.env", bad)); err == nil {
			t.Errorf("parseDotenv accepted %q", bad)
		}
	}
}
