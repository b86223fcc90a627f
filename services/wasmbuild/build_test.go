package wasmbuild

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var wasmMagic = []byte{0x00, 'a', 's', 'm'}

func TestBuildProducesReactorModule(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ok.wasm")
	if err := Build(context.Background(), "testdata/ok", out, nil); err != nil {
		t.Fatalf("Build: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, wasmMagic) {
		t.Fatalf("output does not start with the wasm magic: % x", b[:min(8, len(b))])
	}
	if !bytes.Contains(b, []byte("_initialize")) || !bytes.Contains(b, []byte("gatehouse_abi_version")) {
		t.Fatal("module does not export _initialize and gatehouse_abi_version: not built as a c-shared reactor")
	}
}

func TestBuildFailureQuotesCompilerOutput(t *testing.T) {
	var progress bytes.Buffer
	err := Build(context.Background(), "testdata/broken", filepath.Join(t.TempDir(), "x.wasm"), &progress)
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("Build error = %v, want *BuildError", err)
	}
	if !strings.Contains(err.Error(), "undefined: undefinedFunction") {
		t.Fatalf("error does not quote the compiler output: %v", err)
	}
	if !strings.Contains(progress.String(), "undefinedFunction") {
		t.Fatalf("progress did not receive the compiler output: %q", progress.String())
	}
}

func TestBuildWithoutToolchain(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := Build(context.Background(), "testdata/ok", filepath.Join(t.TempDir(), "x.wasm"), nil)
	if !errors.Is(err, ErrToolchainMissing) {
		t.Fatalf("Build error = %v, want ErrToolchainMissing", err)
	}
}

func TestBuildMissingDir(t *testing.T) {
	err := Build(context.Background(), "testdata/nope", filepath.Join(t.TempDir(), "x.wasm"), nil)
	if err == nil || !strings.Contains(err.Error(), "testdata/nope") {
		t.Fatalf("Build error = %v, want one naming the directory", err)
	}
}

func TestForTestCachesPerDir(t *testing.T) {
	a := ForTest(t, "testdata/ok")
	b := ForTest(t, "./testdata/ok")
	if len(a) == 0 || &a[0] != &b[0] {
		t.Fatal("ForTest rebuilt the same directory instead of returning the cached module")
	}
}

func TestBuildEnvOverridesTarget(t *testing.T) {
	env := buildEnv([]string{"GOOS=darwin", "HOME=/h", "GOWORK=/x/go.work"})
	got := strings.Join(env, " ")
	for _, want := range []string{"GOOS=wasip1", "GOARCH=wasm", "GOWORK=off", "HOME=/h"} {
		if !strings.Contains(got, want) {
			t.Errorf("env %q lacks %s", got, want)
		}
	}
	if strings.Contains(got, "darwin") {
		t.Errorf("env %q kept the caller's GOOS", got)
	}
}
