package wasmbuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrToolchainMissing is returned by Build when no Go toolchain is found.
var ErrToolchainMissing = errors.New("the Go toolchain was not found on PATH: install Go 1.24 or later to build Go workflows")

// maxOutputInError bounds the compiler output quoted in a build error.
const maxOutputInError = 16 << 10

// BuildError is returned when the Go compiler rejects the module. Output holds
// the compiler's diagnostics.
type BuildError struct {
	Dir    string
	Output string
	Err    error
}

// Error implements error.
func (e *BuildError) Error() string {
	out := strings.TrimSpace(e.Output)
	if len(out) > maxOutputInError {
		out = out[:maxOutputInError] + "\n… (output truncated)"
	}
	if out == "" {
		return fmt.Sprintf("build of %s failed: %v", e.Dir, e.Err)
	}
	return fmt.Sprintf("build of %s failed: %v:\n%s", e.Dir, e.Err, out)
}

// Unwrap returns the underlying process error.
func (e *BuildError) Unwrap() error { return e.Err }

// Build compiles the Go main package in dir into the WebAssembly module out
// (a WASI preview 1 reactor). The compiler's output is copied to progress as
// it arrives (progress may be nil) and is quoted in the returned error when
// the build fails.
//
// # Errors
//
//   - ErrToolchainMissing when "go" is not on PATH.
//   - *BuildError when the compiler fails; it includes the compiler output.
func Build(ctx context.Context, dir, out string, progress io.Writer) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("build of %s: %w", dir, ErrToolchainMissing)
	}
	absOut, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("build of %s: output path %s: %w", dir, out, err)
	}
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("build of %s: %w", dir, err)
	} else if !st.IsDir() {
		return fmt.Errorf("build of %s: not a directory", dir)
	}

	cmd := exec.CommandContext(ctx, goBin, "build",
		"-buildmode=c-shared", "-trimpath", "-ldflags=-s -w",
		"-o", absOut, ".")
	cmd.Dir = dir
	cmd.Env = buildEnv(os.Environ())
	var captured bytes.Buffer
	var w io.Writer = &captured
	if progress != nil {
		w = io.MultiWriter(&captured, progress)
	}
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("build of %s: %w", dir, ctx.Err())
		}
		return &BuildError{Dir: dir, Output: captured.String(), Err: err}
	}
	return nil
}

// buildEnv returns the environment for the go command: the caller's, with the
// target fixed to wasip1/wasm, cgo off and workspaces ignored so the module's
// own go.mod decides its dependencies.
func buildEnv(base []string) []string {
	override := map[string]string{
		"GOOS":        "wasip1",
		"GOARCH":      "wasm",
		"GOWORK":      "off",
		"CGO_ENABLED": "0",
	}
	env := make([]string, 0, len(base)+len(override))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := override[k]; ok {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range override {
		env = append(env, k+"="+v)
	}
	return env
}
