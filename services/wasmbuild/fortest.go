package wasmbuild

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testBuilds caches modules built by ForTest for the life of the process.
var testBuilds sync.Map // absolute dir -> *testBuild

type testBuild struct {
	once sync.Once
	wasm []byte
	err  error
}

// ForTest builds the Go module in dir once per test process and returns the
// WebAssembly bytes. Later calls for the same directory return the cached
// bytes. The test fails (t.Fatal) when the build fails.
func ForTest(t testing.TB, dir string) []byte {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("wasmbuild: %s: %v", dir, err)
	}
	v, _ := testBuilds.LoadOrStore(abs, &testBuild{})
	b := v.(*testBuild)
	b.once.Do(func() { b.wasm, b.err = buildToBytes(abs) })
	if b.err != nil {
		t.Fatalf("wasmbuild: %v", b.err)
	}
	return b.wasm
}

// buildToBytes builds dir into a temporary file and returns its contents.
func buildToBytes(dir string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tmp, err := os.MkdirTemp("", "wasmbuild-")
	if err != nil {
		return nil, fmt.Errorf("build of %s: temp dir: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "module.wasm")
	if err := Build(ctx, dir, out, nil); err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("build of %s: %w", dir, err)
	}
	return wasm, nil
}
