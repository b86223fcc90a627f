package wfcli

import (
	"encoding/json"
	"strings"
	"testing"

	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
)

// session runs commands against one Gatehouse and keeps everything they
// printed, so a test can check that a secret never appeared.
type session struct {
	t      *testing.T
	remote []string
	output []string
	http   bool // commands use the management API (--url)
}

func newSession(t *testing.T) *session {
	return &session{t: t, remote: []string{"--nats-url", startGatehouse(t)}}
}

// bothModes runs test against a Gatehouse reached over NATS, then against
// one reached over its management API.
func bothModes(t *testing.T, test func(*testing.T, *session)) {
	t.Run("nats", func(t *testing.T) { test(t, newSession(t)) })
	t.Run("http", func(t *testing.T) { test(t, newHTTPSession(t)) })
}

// run runs gatehouse wf with stdin and fails the test unless it exits with
// code.
func (s *session) run(code int, stdin string, args ...string) (stdout, stderr string) {
	s.t.Helper()
	c, out, errOut := s.try(stdin, args...)
	if c != code {
		s.t.Fatalf("gatehouse wf %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), c, code, out, errOut)
	}
	return out, errOut
}

// try runs gatehouse wf with stdin and returns its exit code and output.
func (s *session) try(stdin string, args ...string) (code int, stdout, stderr string) {
	s.t.Helper()
	args = append(args, s.remote...)
	code, stdout, stderr = wf(s.t, stdin, args...)
	s.output = append(s.output, stdout, stderr)
	return code, stdout, stderr
}

// neverShown fails the test if any output so far contains one of values.
func (s *session) neverShown(values ...string) {
	s.t.Helper()
	for _, out := range s.output {
		for _, v := range values {
			if strings.Contains(out, v) {
				s.t.Errorf("the secret %q was printed:\n%s", v, out)
			}
		}
	}
}

func listedVars(t *testing.T, s *session, extra ...string) map[string]kapi.EnvVar {
	t.Helper()
	out, _ := s.run(0, "", append([]string{"env", "list", "--json"}, extra...)...)
	var resp kapi.ListEnvResponse
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("env list --json: %v\n%s", err, out)
	}
	vars := map[string]kapi.EnvVar{}
	for _, v := range resp.Variables {
		vars[v.Key] = v
	}
	return vars
}

// tableRow returns the line of a table that starts with first.
func tableRow(t *testing.T, table, first string) []string {
	t.Helper()
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == first {
			return f
		}
	}
	t.Fatalf("no row %s in:\n%s", first, table)
	return nil
}

func TestEnvSetListRm(t *testing.T) { bothModes(t, testEnvSetListRm) }

func testEnvSetListRm(t *testing.T, s *session) {
	const secret, secret2 = "s3cr3t-value", "n3w-s3cr3t"

	out, _ := s.run(0, "", "env", "list")
	wantContains(t, "env list", out, "no variables in environment production yet", "gatehouse wf env set")

	out, _ = s.run(0, "", "env", "set", "GREETING", "hello world")
	if out != "set GREETING in production\n" {
		t.Errorf("env set output = %q", out)
	}
	out, errOut := s.run(0, secret+"\n", "env", "set", "API_KEY", "--secret")
	if out != "set API_KEY in production (secret)\n" {
		t.Errorf("env set --secret output = %q", out)
	}
	if strings.Contains(errOut, "Ctrl-D") {
		t.Errorf("prompted for a value on a standard input that is not a terminal: %q", errOut)
	}
	file := writeFile(t, t.TempDir(), "pem.txt", "line one\nline two\r\n")
	s.run(0, "", "env", "set", "MULTI", "--from-file", file)

	out, _ = s.run(0, "", "env", "list")
	if row := tableRow(t, out, "API_KEY"); strings.Join(row[1:3], " ") != "yes [secret]" {
		t.Errorf("API_KEY row = %q, want SECRET yes and VALUE [secret]", row)
	}
	if row := tableRow(t, out, "GREETING"); strings.Join(row[1:4], " ") != "no hello world" {
		t.Errorf("GREETING row = %q", row)
	}
	wantContains(t, "env list", out, "KEY", "SECRET", "VALUE", "UPDATED", `line one\nline two`)

	vars := listedVars(t, s)
	if v := vars["API_KEY"]; !v.IsSecret || v.Value != "" {
		t.Errorf("API_KEY listed as %+v, want a secret without a value", v)
	}
	if v := vars["MULTI"]; v.Value != "line one\nline two" || v.IsSecret {
		t.Errorf("MULTI = %+v, want the file's content without its one trailing newline", v)
	}

	// set changes what exists (and keeps it one variable).
	s.run(0, "", "env", "set", "GREETING", "bonjour")
	s.run(0, secret2, "env", "set", "API_KEY", "--secret", "--from-file", "-")
	vars = listedVars(t, s)
	if len(vars) != 3 || vars["GREETING"].Value != "bonjour" || !vars["API_KEY"].IsSecret {
		t.Errorf("after updates: %+v", vars)
	}
	// A secret is not turned into a plain variable: that would reveal it.
	_, errOut = s.run(1, "", "env", "set", "API_KEY", "plain")
	wantContains(t, "stderr", errOut, "set API_KEY in production", "failed_precondition")

	// Environments are separate (over HTTP, each has its own clients: see
	// TestHTTPModeCredentials).
	if !s.http {
		out, _ = s.run(0, "", "env", "list", "--environment", "staging")
		wantContains(t, "env list in staging", out, "no variables in environment staging")
	}

	out, _ = s.run(0, "", "env", "rm", "GREETING")
	if out != "removed GREETING from production\n" {
		t.Errorf("env rm output = %q", out)
	}
	_, errOut = s.run(1, "", "env", "rm", "GREETING")
	wantContains(t, "stderr", errOut, "remove GREETING from production")
	if _, ok := listedVars(t, s)["GREETING"]; ok {
		t.Error("GREETING is still listed after env rm")
	}
	s.neverShown(secret, secret2)
}

func TestEnvKeysAndLogsCheckArguments(t *testing.T) {
	// Nothing listens here: a command that got past its checks exits 1.
	url := "nats://127.0.0.1:1"
	big := writeFile(t, t.TempDir(), "big.txt", strings.Repeat("x", kapi.MaxValueBytes+1))
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"env", "set", "API_KEY", "s3cr3t", "--secret"}, "a secret's value is not taken from the command line, where it would stay in your shell history and show in the process list"},
		{"", []string{"env", "set", "1BAD", "x"}, `variable name "1BAD" is invalid`},
		{"", []string{"env", "set", "BAD-NAME", "x"}, `variable name "BAD-NAME" is invalid`},
		{"", []string{"env", "set", strings.Repeat("K", kapi.MaxKeyLen+1), "x"}, "the limit is 128"},
		{"", []string{"env", "set", "BIG", "--from-file", big}, "the limit is 16384 bytes"},
		{"\xff\xfe", []string{"env", "set", "BIN", "--secret"}, "not valid UTF-8"},
		{"", []string{"env", "set", "K", "v", "--from-file", big}, "either as an argument or with --from-file"},
		{"", []string{"env", "set"}, "the variable name is required"},
		{"", []string{"env", "rm"}, "the variable name is required"},
		{"", []string{"env"}, "say what to do: set, list or rm"},
		{"", []string{"env", "show"}, `unknown subcommand "show": use set, list or rm`},
		{"", []string{"keys", "create"}, "the workflow id is required"},
		{"", []string{"keys", "rotate"}, `unknown subcommand "rotate": use create, list, activate, deactivate or rm`},
		{"", []string{"logs", "--outcome", "bogus"}, `--outcome must be ok, denied, error, timeout or shed, not "bogus"`},
		{"", []string{"logs", "--kind", "build", "--outcome", "ok"}, "--outcome applies to runtime records only"},
		{"", []string{"logs", "--kind", "audit"}, "--kind must be runtime, build or sync"},
		{"", []string{"logs", "--since", "yesterday"}, `--since "yesterday" is neither a duration`},
		{"", []string{"logs", "--since", "1h", "--until", "2h"}, "--since must be before --until"},
		{"", []string{"logs", "--limit", "0"}, "--limit must be between 1 and 500"},
		{"", []string{"logs", "--follow", "--until", "1h"}, "--until and --follow do not go together"},
	} {
		args := append(tc.args, "--nats-url", url)
		code, out, errOut := wf(t, tc.stdin, args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("gatehouse wf %s: exit %d, want 2 and %q\nstdout:\n%s\nstderr:\n%s", strings.Join(tc.args, " "), code, tc.want, out, errOut)
		}
		if strings.Contains(out+errOut, "s3cr3t") {
			t.Errorf("gatehouse wf %s repeats the secret:\n%s%s", strings.Join(tc.args, " "), out, errOut)
		}
	}
	out, _ := mustWF(t, 0, "env", "set", "-h")
	wantContains(t, "env set -h", out, "Usage: gatehouse wf env set KEY [VALUE]", "-secret", "-from-file")
	out, _ = mustWF(t, 0, "keys", "--help")
	wantContains(t, "keys --help", out, "gatehouse wf keys create WORKFLOW_ID", "gatehouse wf keys rm KEY_ID")
}
