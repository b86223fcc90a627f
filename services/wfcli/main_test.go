package wfcli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-id/gatehouse/pkg/pgtest"
)

func TestMain(m *testing.M) {
	// Compiled modules are cached across runs of these tests (wazero keys the
	// cache by module hash and wazero version); the CLI itself uses a
	// temporary cache per run.
	sharedCompileCache = filepath.Join(os.TempDir(), "gatehouse-wfcli-test-wazero")
	pgtest.Main(m)
}

// wf runs Main in-process and returns its exit code and output.
func wf(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustWF runs Main and fails the test unless it exits with want.
func mustWF(t *testing.T, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := wf(t, "", args...)
	if code != want {
		t.Fatalf("gatehouse wf %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout, stderr
}

// mfa is the pre-MFA workflow that init scaffolds, built once per test
// process and shared by the tests that only need a module.
var mfa struct {
	once sync.Once
	wasm []byte
	err  string
}

// mfaModule returns the path of a copy of the scaffolded pre-MFA module in
// a directory of t.
func mfaModule(t *testing.T) string {
	t.Helper()
	mfa.once.Do(func() {
		dir, err := os.MkdirTemp("", "wfcli-mfa-")
		if err != nil {
			mfa.err = err.Error()
			return
		}
		defer os.RemoveAll(dir)
		src, out := filepath.Join(dir, "premfa"), filepath.Join(dir, "premfa.wasm")
		var so, se bytes.Buffer
		if code := Main([]string{"init", src, "--trigger", "user:pre_mfa"}, nil, &so, &se); code != 0 {
			mfa.err = "init: " + se.String()
			return
		}
		if code := Main([]string{"build", src, "-o", out}, nil, &so, &se); code != 0 {
			mfa.err = "build: " + se.String()
			return
		}
		mfa.wasm, err = os.ReadFile(out)
		if err != nil {
			mfa.err = err.Error()
		}
	})
	if mfa.err != "" {
		t.Fatalf("shared pre-MFA module: %s", mfa.err)
	}
	p := filepath.Join(t.TempDir(), "premfa.wasm")
	if err := os.WriteFile(p, mfa.wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}
