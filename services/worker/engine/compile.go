package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// ErrInvalidModule wraps every error Compile returns because of the module
// itself (it does not compile, lacks the ABI exports, reports another ABI
// version, has invalid settings, fails to initialise). Other Compile errors
// are the engine's own failures.
var ErrInvalidModule = errors.New("invalid workflow module")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidModule}, args...)...)
}

// maxSettingsBytes caps the settings JSON a module may export.
const maxSettingsBytes = 64 << 10

// Compile compiles and validates a workflow module, or returns the Module
// already compiled from the same bytes. It rewrites the module so that its
// deadlines can be enforced (interrupt.go), checks the ABI exports and the
// imports, instantiates the module once to read its ABI version and settings,
// validates the settings (ValidateSettings) and keeps that instance warm.
// Instantiation and _initialize run under the initialisation deadline (at
// least Limits.Timeout) and stop when ctx is done.
//
// A module that does not import wasi_snapshot_preview1.sched_yield, has a
// start function or uses instructions the rewriter does not know (SIMD,
// threads, exceptions, GC) is refused: nothing runs without deadline checks.
//
// # Errors
//
// Errors wrapping ErrInvalidModule describe what is wrong with the module,
// e.g. "invalid workflow module: binding kinde.mfa is not available for
// trigger user:tokens_generation". ErrClosed after Close.
func (e *Engine) Compile(ctx context.Context, wasm []byte) (*Module, error) {
	sum := sha256.Sum256(wasm)
	key := hex.EncodeToString(sum[:])

	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	if ent, ok := e.modules[key]; ok {
		e.mu.Unlock()
		select {
		case <-ent.ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("compile module %s: %w", key, ctx.Err())
		}
		if ent.err != nil {
			return nil, ent.err
		}
		return ent.m, nil
	}
	ent := &moduleEntry{ready: make(chan struct{})}
	e.modules[key] = ent
	e.mu.Unlock()

	start := time.Now()
	m, err := e.compile(ctx, key, wasm)
	if err == nil {
		e.metrics.compiled(time.Since(start).Seconds())
	}

	e.mu.Lock()
	ent.m, ent.err = m, err
	dropped := ent.dropped || e.closed
	if err != nil && e.modules != nil && e.modules[key] == ent {
		delete(e.modules, key) // let a later Compile retry
	}
	e.mu.Unlock()
	close(ent.ready)
	if err != nil {
		return nil, err
	}
	if dropped {
		m.drop(ctx)
		return nil, fmt.Errorf("compile module %s: dropped while compiling", key)
	}
	return m, nil
}

func (e *Engine) compile(ctx context.Context, key string, wasm []byte) (*Module, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("compile module %s: %w", key, err)
	}
	code, err := instrument(wasm)
	switch {
	case errors.Is(err, errStartFunction):
		return nil, invalid("workflow modules are reactors; a start function is not allowed (build with -buildmode=c-shared)")
	case errors.Is(err, errMalformed):
		return nil, invalid("the module does not compile: %v", err)
	case err != nil:
		// Say first what else is wrong with the module (not a workflow at
		// all, foreign imports), then why it cannot run here.
		if err := e.checkUninstrumented(ctx, wasm); err != nil {
			return nil, err
		}
		return nil, invalid("workflow modules must import %s.%s (Go wasip1 modules do) and use only the MVP, bulk memory, reference types, sign extension, saturating conversion and tail call instructions, so that the worker can enforce deadlines: %v",
			wasiModule, wasiYield, err)
	}
	compiled, err := e.rt.CompileModule(ctx, code)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("compile module %s: %w", key, ctx.Err())
		}
		return nil, invalid("the module does not compile: %v", err)
	}
	if err := checkImports(compiled); err != nil {
		compiled.Close(ctx)
		return nil, err
	}
	if err := checkExports(compiled); err != nil {
		compiled.Close(ctx)
		return nil, err
	}

	m := &Module{e: e, sha: key, size: len(wasm), compiled: compiled, live: 1}
	inst, err := e.instantiate(ctx, m)
	if err != nil {
		compiled.Close(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("compile module %s: %w", key, ctx.Err())
		}
		return nil, invalid("%v", err)
	}
	if err := m.load(ctx, inst); err != nil {
		inst.close(ctx)
		compiled.Close(ctx)
		return nil, err
	}
	m.release(inst, "")
	return m, nil
}

// checkUninstrumented compiles a module the rewriter refused, only to run
// the import and export checks on it; the module never runs.
func (e *Engine) checkUninstrumented(ctx context.Context, wasm []byte) error {
	compiled, err := e.rt.CompileModule(ctx, wasm)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("compile module: %w", ctx.Err())
		}
		return invalid("the module does not compile: %v", err)
	}
	defer compiled.Close(ctx)
	if err := checkImports(compiled); err != nil {
		return err
	}
	return checkExports(compiled)
}

// load reads the ABI version and the settings from a fresh instance.
func (m *Module) load(ctx context.Context, inst *instance) error {
	call := inst.begin(ctx, m.e.initTO)
	err := m.readExports(call, inst)
	switch inst.end() {
	case interruptedTimeout:
		return invalid("%s or %s did not return within %s", abi.ExportABIVersion, abi.ExportSettings, m.e.initTO)
	case interruptedCancel:
		return fmt.Errorf("compile module %s: %w", m.sha, ctx.Err())
	}
	return err
}

// readExports calls gatehouse_abi_version and gatehouse_settings.
func (m *Module) readExports(call context.Context, inst *instance) error {
	inst.stack[0] = 0
	if err := inst.mod.ExportedFunction(abi.ExportABIVersion).CallWithStack(call, inst.stack[:]); err != nil {
		return invalid("%s failed: %v", abi.ExportABIVersion, firstLine(err.Error()))
	}
	if v := int32(inst.stack[0]); v != abi.Version {
		return invalid("the module reports ABI version %d; this worker supports version %d (rebuild it with a matching SDK)", v, abi.Version)
	}

	inst.stack[0] = 0
	if err := inst.mod.ExportedFunction(abi.ExportSettings).CallWithStack(call, inst.stack[:]); err != nil {
		return invalid("%s failed: %v", abi.ExportSettings, firstLine(err.Error()))
	}
	packed := inst.stack[0]
	ptr, n := uint32(packed>>32), uint32(packed)
	if n == 0 {
		return invalid("the module exports no settings (did its init function call gatehouse.Register?)")
	}
	if n > maxSettingsBytes {
		return invalid("the settings are %d bytes, over the %d-byte limit", n, maxSettingsBytes)
	}
	raw, ok := inst.mem.Read(ptr, n)
	if !ok {
		return invalid("%s returned a range outside the module's memory", abi.ExportSettings)
	}
	var s abi.Settings
	if err := json.Unmarshal(raw, &s); err != nil {
		return invalid("the settings are not valid JSON: %v", err)
	}
	if err := ValidateSettings(s); err != nil {
		return invalid("%v", err)
	}
	m.settings = s
	m.policy = failurePolicy(s)
	m.declared, m.available = grants(s)
	return nil
}

// wantExports are the exports of ABI v1 with their signatures.
var wantExports = []struct {
	name    string
	params  []api.ValueType
	results []api.ValueType
}{
	{abi.ExportInitialize, nil, nil},
	{abi.ExportABIVersion, nil, []api.ValueType{api.ValueTypeI32}},
	{abi.ExportSettings, nil, []api.ValueType{api.ValueTypeI64}},
	{abi.ExportAlloc, []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}},
	{abi.ExportHandle, []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}},
}

func checkExports(c wazero.CompiledModule) error {
	fns := c.ExportedFunctions()
	var missing []string
	for _, w := range wantExports {
		def, ok := fns[w.name]
		if !ok {
			missing = append(missing, w.name)
			continue
		}
		if !sameTypes(def.ParamTypes(), w.params) || !sameTypes(def.ResultTypes(), w.results) {
			return invalid("export %s has signature %s, want %s", w.name,
				signature(def.ParamTypes(), def.ResultTypes()), signature(w.params, w.results))
		}
	}
	if len(missing) > 0 {
		return invalid("the module does not export %s: it is not a Gatehouse ABI v%d workflow (build it with the Gatehouse SDK as a reactor: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared)",
			strings.Join(missing, ", "), abi.Version)
	}
	if _, ok := c.ExportedMemories()["memory"]; !ok {
		return invalid("the module does not export its memory as \"memory\"")
	}
	return nil
}

func checkImports(c wazero.CompiledModule) error {
	for _, def := range c.ImportedFunctions() {
		mod, name, _ := def.Import()
		switch mod {
		case wasiModule:
		case abi.HostModule:
			if _, ok := hostFunctions[name]; !ok {
				return invalid("the module imports %s.%s, which is not part of ABI v%d", mod, name, abi.Version)
			}
		default:
			return invalid("the module imports %s.%s, which this worker does not provide", mod, name)
		}
	}
	for _, def := range c.ImportedMemories() {
		mod, name, _ := def.Import()
		return invalid("the module imports memory %s.%s; it must define its own", mod, name)
	}
	return nil
}

const wasiModule = "wasi_snapshot_preview1"

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func signature(params, results []api.ValueType) string {
	name := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return "(" + strings.Join(s, ", ") + ")"
	}
	return name(params) + " -> " + name(results)
}

// firstLine returns s up to its first newline (wazero errors append a stack
// trace).
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
