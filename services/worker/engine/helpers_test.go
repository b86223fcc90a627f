package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/wasmbuild"
	"github.com/gatehouse-id/gatehouse/services/worker/api"
)

// sharedCacheDir is the compilation cache the tests share, so each module is
// compiled by wazero once per test process.
var sharedCacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "engine-test-cache-")
	if err != nil {
		panic(err)
	}
	sharedCacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testLimits are the defaults with a short timeout, so hostile tests are quick.
func testLimits() Limits {
	l := DefaultLimits()
	l.Timeout = 300 * time.Millisecond
	return l
}

func newEngine(t testing.TB, mutate func(*Config)) *Engine {
	t.Helper()
	cfg := Config{CacheDir: sharedCacheDir, Limits: testLimits()}
	if mutate != nil {
		mutate(&cfg)
	}
	e, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

// guest builds a test guest under testdata/guests.
func guest(t testing.TB, name string) []byte {
	t.Helper()
	return wasmbuild.ForTest(t, filepath.Join("testdata", "guests", name))
}

// example builds a workflow from wasm-sdk/examples.
func example(t testing.TB, name string) []byte {
	t.Helper()
	return wasmbuild.ForTest(t, filepath.Join("..", "..", "..", "wasm-sdk", "examples", name))
}

func compile(t testing.TB, e *Engine, wasm []byte) *Module {
	t.Helper()
	m, err := e.Compile(context.Background(), wasm)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m
}

func run(e *Engine, m *Module, event string) api.Decision {
	return e.Execute(context.Background(), m, Run{Env: "test", Event: []byte(event), ExecutionID: "exec-1"})
}

// wantError checks the decision failed with code and a message containing msg.
func wantError(t *testing.T, d api.Decision, code, msg string) {
	t.Helper()
	if d.Error == nil {
		t.Fatalf("decision has no error, want %s %q; console: %v", code, msg, d.Console)
	}
	if d.Error.Code != code || !strings.Contains(d.Error.Message, msg) {
		t.Fatalf("error = %s %q, want %s containing %q", d.Error.Code, d.Error.Message, code, msg)
	}
}

func wantOK(t *testing.T, d api.Decision) {
	t.Helper()
	if d.Error != nil {
		t.Fatalf("decision failed: %s: %s; console: %v", d.Error.Code, d.Error.Message, d.Console)
	}
	if !d.Ran {
		t.Fatal("decision says the workflow did not run")
	}
}

// consoleHas reports whether a console line at level contains text.
func consoleHas(d api.Decision, level, text string) bool {
	for _, l := range d.Console {
		if l.Level == level && strings.Contains(l.Text, text) {
			return true
		}
	}
	return false
}

const tokensEvent = `{"request":{"ip":"203.0.113.7","userAgent":"test"},"context":{"user":{"id":"kp_1"},"organization":{"code":"org_42"}}}`
