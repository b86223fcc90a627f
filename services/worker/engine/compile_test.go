package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

func wantInvalid(t *testing.T, e *Engine, wasm []byte, msg string) {
	t.Helper()
	m, err := e.Compile(context.Background(), wasm)
	if err == nil {
		t.Fatalf("Compile accepted the module (settings %+v), want %q", m.Settings(), msg)
	}
	if !errors.Is(err, ErrInvalidModule) {
		t.Fatalf("error %v does not wrap ErrInvalidModule", err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Fatalf("error %q does not contain %q", err, msg)
	}
}

func TestCompileRefusesInvalidModules(t *testing.T) {
	e := newEngine(t, nil)
	good := rawSettings("user:tokens_generation", "kinde.accessToken")
	cases := []struct {
		name string
		wasm []byte
		msg  string
	}{
		{"garbage", []byte("this is not wasm at all"), "the module does not compile"},
		{"empty", nil, "the module does not compile"},
		{"empty module", []byte("\x00asm\x01\x00\x00\x00"), "the module does not export _initialize, gatehouse_abi_version"},
		{"truncated", rawModule{version: 1, settings: good}.bytes()[:40], "the module does not compile"},
		{"no handle", rawModule{version: 1, settings: good, omit: "gatehouse_handle"}.bytes(),
			"the module does not export gatehouse_handle: it is not a Gatehouse ABI v1 workflow"},
		{"no initialize", rawModule{version: 1, settings: good, omit: "_initialize"}.bytes(), "does not export _initialize"},
		{"wrong version", rawModule{version: 2, settings: good}.bytes(),
			"the module reports ABI version 2; this worker supports version 1"},
		{"foreign import", rawModule{version: 1, settings: good, badImport: true}.bytes(),
			"the module imports env.mystery, which this worker does not provide"},
		{"foreign import without sched_yield", rawModule{version: 1, settings: good, badImport: true, noYield: true}.bytes(),
			"the module imports env.mystery, which this worker does not provide"},
		{"unknown host function", rawModule{version: 1, settings: good, handle: "call", call: "launch_missiles"}.bytes(),
			"the module imports gatehouse.launch_missiles, which is not part of ABI v1"},
		{"no settings", rawModule{version: 1, settings: ""}.bytes(), "the module exports no settings"},
		{"settings not JSON", rawModule{version: 1, settings: "{nope"}.bytes(), "the settings are not valid JSON"},
		{"unknown trigger", rawModule{version: 1, settings: rawSettings("user:coffee_break", "")}.bytes(),
			`unknown trigger "user:coffee_break"`},
		{"unknown binding", rawModule{version: 1, settings: rawSettings("user:pre_mfa", "kinde.mfa,kinde.teleport")}.bytes(),
			`unknown binding "kinde.teleport"`},
		{"binding not available", rawModule{version: 1, settings: rawSettings("user:tokens_generation", "kinde.mfa")}.bytes(),
			"binding kinde.mfa is not available for trigger user:tokens_generation"},
		{"empty id", rawModule{version: 1, settings: `{"trigger":"user:pre_mfa"}`}.bytes(), "settings: id is empty"},
		{"bad failure policy", rawModule{version: 1, settings: `{"id":"x","trigger":"user:pre_mfa","failurePolicy":{"action":"retry"}}`}.bytes(),
			`failurePolicy.action "retry" is neither "stop" nor "continue"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantInvalid(t, e, c.wasm, c.msg) })
	}
	if s := e.Stats(); s.Modules != 0 {
		t.Fatalf("refused modules were kept: %+v", s)
	}
}

func TestCompileRefusesGoModuleWithoutABI(t *testing.T) {
	e := newEngine(t, nil)
	wantInvalid(t, e, guest(t, "noexports"),
		"the module does not export gatehouse_abi_version, gatehouse_settings, gatehouse_alloc, gatehouse_handle")
}

func TestCompileReportsInitPanic(t *testing.T) {
	e := newEngine(t, nil)
	wantInvalid(t, e, guest(t, "initpanic"), "the module failed to initialise: panic: gatehouse.Register: workflow settings: id is empty")
}

func TestCompileIsOncePerSHA(t *testing.T) {
	e := newEngine(t, nil)
	wasm := rawModule{version: 1, settings: rawSettings("user:pre_mfa", "kinde.mfa")}.bytes()
	a := compile(t, e, wasm)
	b := compile(t, e, append([]byte(nil), wasm...))
	if a != b {
		t.Fatal("the same bytes compiled twice")
	}
	if s := e.Stats(); s.Modules != 1 || s.Instantiations != 1 {
		t.Fatalf("stats = %+v", s)
	}
	if a.Settings().Trigger != abi.TriggerPreMFA || a.Size() != len(wasm) {
		t.Fatalf("module = %+v", a.Settings())
	}
}

func TestDiskCompilationCache(t *testing.T) {
	dir := t.TempDir()
	wasm := guest(t, "sdkplan")
	compileWith := func() time.Duration {
		e := newEngine(t, func(c *Config) { c.CacheDir = dir })
		start := time.Now()
		compile(t, e, wasm)
		el := time.Since(start)
		e.Close(context.Background())
		return el
	}
	cold := compileWith()
	var files int
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files == 0 {
		t.Fatal("the compilation cache directory is empty after Compile")
	}
	warm := compileWith()
	t.Logf("compile: cold %s, from the disk cache %s", cold, warm)
	if warm >= cold {
		t.Fatalf("compiling from the disk cache (%s) was not faster than cold (%s)", warm, cold)
	}
}

func TestDropReleasesModule(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", "")}.bytes())
	wantOK(t, run(e, m, `{}`))
	e.Drop(m.SHA256())
	if s := e.Stats(); s.Modules != 0 || s.IdleInstances != 0 {
		t.Fatalf("stats after Drop = %+v", s)
	}
	d := run(e, m, `{}`)
	wantError(t, d, "internal", "the module was dropped")
	// Compiling again gives a new, working module.
	m2 := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", "")}.bytes())
	if m2 == m {
		t.Fatal("Compile returned the dropped module")
	}
	wantOK(t, run(e, m2, `{}`))
}

func TestRecycleAfter(t *testing.T) {
	e := newEngine(t, func(c *Config) { c.Limits.RecycleAfter = 2 })
	m := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", "")}.bytes())
	for i := 0; i < 5; i++ {
		wantOK(t, run(e, m, `{}`))
	}
	// Runs 1-2 on the compile-time instance, 3-4 on a second, 5 on a third.
	if s := e.Stats(); s.Instantiations != 3 || s.Discards != 2 {
		t.Fatalf("stats = %+v, want 3 instantiations and 2 recycled", s)
	}
}

func TestLimitsValidate(t *testing.T) {
	if err := DefaultLimits().Validate(); err != nil {
		t.Fatalf("DefaultLimits invalid: %v", err)
	}
	bad := []func(*Limits){
		func(l *Limits) { l.Timeout = 0 },
		func(l *Limits) { l.MemoryPages = 10 },
		func(l *Limits) { l.MemoryPages = 70000 },
		func(l *Limits) { l.MemoryPages = 4097 },
		func(l *Limits) { l.MaxEventBytes = 0 },
		func(l *Limits) { l.MaxLogBytes = -1 },
		func(l *Limits) { l.MaxFetchCalls = -1 },
		func(l *Limits) { l.MaxFetchResponseBytes = 0 },
		func(l *Limits) { l.MaxClaimBytes = 0 },
		func(l *Limits) { l.FetchTimeout = 0 },
		func(l *Limits) { l.PoolSize = -1 },
		func(l *Limits) { l.RecycleAfter = -1 },
	}
	for i, mutate := range bad {
		l := DefaultLimits()
		mutate(&l)
		if err := l.Validate(); err == nil {
			t.Errorf("case %d: invalid limits accepted: %+v", i, l)
		}
		if _, err := New(context.Background(), Config{Limits: l}); err == nil {
			t.Errorf("case %d: New accepted invalid limits", i)
		}
	}
}

func TestValidateSettings(t *testing.T) {
	ok := abi.Settings{ID: "a", Trigger: abi.TriggerPreMFA, Bindings: map[abi.Binding]map[string]any{"kinde.mfa": {}, "console": {}, "kinde.fetch": {}}}
	if err := ValidateSettings(ok); err != nil {
		t.Fatalf("valid settings refused: %v", err)
	}
	for _, b := range abi.Bindings {
		for _, tr := range abi.Triggers {
			s := abi.Settings{ID: "a", Trigger: tr, Bindings: map[abi.Binding]map[string]any{b: {}}}
			err := ValidateSettings(s)
			if abi.Available(b, tr) != (err == nil) {
				t.Errorf("binding %s in %s: err = %v, available = %v", b, tr, err, abi.Available(b, tr))
			}
		}
	}
}

func TestCompileStopsLoopingInitialize(t *testing.T) {
	e := newEngine(t, nil)
	e.initTO = 200 * time.Millisecond
	start := time.Now()
	wantInvalid(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), initLoop: true}.bytes(),
		"the module failed to initialise: _initialize did not finish within 200ms")
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("Compile took %s", el)
	}
}

// Compile honours its context while _initialize runs: cancelling it stops a
// looping _initialize long before the initialisation timeout.
func TestCompileHonoursContext(t *testing.T) {
	e := newEngine(t, nil)
	e.initTO = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := e.Compile(ctx, rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), initLoop: true}.bytes())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Compile = %v, want context.Canceled", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("Compile took %s after its context was cancelled", el)
	}
	if s := e.Stats(); s.Modules != 0 {
		t.Fatalf("the cancelled module was kept: %+v", s)
	}
}

// A start function runs during instantiation, before any deadline applies;
// workflow modules are reactors and must not have one.
func TestCompileRefusesStartFunction(t *testing.T) {
	e := newEngine(t, nil)
	r := rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), extra: []rawFunc{{0, loopForever}}}
	start := r.fnIndex(5)
	r.start = &start
	done := make(chan error, 1)
	go func() { _, err := e.Compile(context.Background(), r.bytes()); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInvalidModule) || !strings.Contains(err.Error(), "workflow modules are reactors; a start function is not allowed") {
			t.Fatalf("Compile = %v, want the start function refused", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Compile of a module whose start function loops did not return")
	}
}

// Every module must import sched_yield, through which the engine enforces
// deadlines; nothing runs with weaker checks.
func TestCompileRefusesModuleWithoutSchedYield(t *testing.T) {
	e := newEngine(t, nil)
	wantInvalid(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), noYield: true}.bytes(),
		"workflow modules must import wasi_snapshot_preview1.sched_yield (Go wasip1 modules do)")
	// A module importing sched_yield with the wrong signature is refused
	// as well (type 0 is () -> ()).
	wasm := rawModule{version: 1, settings: rawSettings("user:pre_mfa", "")}.bytes()
	good := importFn("wasi_snapshot_preview1", "sched_yield", 1)
	bad := importFn("wasi_snapshot_preview1", "sched_yield", 0)
	i := bytes.Index(wasm, good)
	if i < 0 {
		t.Fatal("sched_yield import not found")
	}
	copy(wasm[i:], bad)
	wantInvalid(t, e, wasm, "must import wasi_snapshot_preview1.sched_yield")
}
