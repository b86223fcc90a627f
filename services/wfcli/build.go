package wfcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
)

// buildTimeout bounds one compilation.
const buildTimeout = 5 * time.Minute

func runBuild(c *cli, args []string) error {
	f := c.flags("build")
	out := f.String("o", "", "output file (default: workflow.wasm in the workflow directory)")
	pos, err := f.parse(c, args, 1)
	if err != nil {
		return err
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	if *out == "" {
		*out = filepath.Join(dir, "workflow.wasm")
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	wasm, err := build(ctx, dir, *out, *out, c.stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "wrote %s (%s, sha256 %s)\n", *out, humanBytes(len(wasm)), digestPrefix(wasm))
	return nil
}

// build compiles the workflow in dir to out, reporting progress on w, and
// returns the module's bytes.
func build(ctx context.Context, dir, out, label string, w io.Writer) ([]byte, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("workflow directory %s: %w", dir, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory: give the workflow's directory or a .wasm file", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return nil, fmt.Errorf("%s has no go.mod: it is not a Go workflow (create one with gatehouse wf init)", dir)
	}
	fmt.Fprintf(w, "building %s with GOOS=wasip1 GOARCH=wasm (go build -buildmode=c-shared)…\n", dir)
	start := time.Now()
	if err := wasmbuild.Build(ctx, dir, out, w); err != nil {
		var be *wasmbuild.BuildError
		if errors.As(err, &be) {
			// The compiler output was already streamed to w.
			return nil, fmt.Errorf("build of %s failed (%v): see the compiler output above", dir, be.Err)
		}
		return nil, err
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("read the built module: %w", err)
	}
	fmt.Fprintf(w, "built %s: %s in %s\n", label, humanBytes(len(wasm)), time.Since(start).Round(10*time.Millisecond))
	return wasm, nil
}

// loadModule returns the module named by target: a .wasm file is read, a
// directory is built into a temporary file first. label describes the
// module for messages.
func loadModule(ctx context.Context, target string, progress io.Writer) (wasm []byte, label string, err error) {
	st, err := os.Stat(target)
	if err != nil {
		return nil, "", fmt.Errorf("workflow %s: %w", target, err)
	}
	if !st.IsDir() {
		if !strings.HasSuffix(target, ".wasm") {
			return nil, "", fmt.Errorf("%s is neither a workflow directory nor a .wasm file", target)
		}
		wasm, err := os.ReadFile(target)
		if err != nil {
			return nil, "", fmt.Errorf("read %s: %w", target, err)
		}
		return wasm, filepath.Base(target), nil
	}
	tmp, err := os.MkdirTemp("", "gatehouse-wf-")
	if err != nil {
		return nil, "", fmt.Errorf("temporary directory for the build: %w", err)
	}
	defer os.RemoveAll(tmp)
	bctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	abs, err := filepath.Abs(target)
	if err != nil {
		abs = target
	}
	label = filepath.Base(abs)
	wasm, err = build(bctx, target, filepath.Join(tmp, "workflow.wasm"), label, progress)
	if err != nil {
		return nil, "", err
	}
	return wasm, label, nil
}

func humanBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}
