package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"

	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// errDropped is returned by acquire for a module that was dropped.
var errDropped = errors.New("the module was dropped (its deployment changed); compile it again")

// instance is one instantiated module with the state of the execution it is
// running. An instance runs one execution at a time.
type instance struct {
	m      *Module
	mod    api.Module
	mem    api.Memory
	alloc  api.Function
	handle api.Function
	runs   int
	stack  [2]uint64
	st     execState
}

// execState is what the host functions record during one execution.
type execState struct {
	m       *Module
	run     Run
	ctx     context.Context
	pending []byte // the pending result or error message

	guestErr    string // sent through the "error" host function
	hasGuestErr bool
	bindingErr  string // the first capability violation

	denied     *wapi.Denial
	access     map[string]json.RawMessage
	id         map[string]json.RawMessage
	m2m        map[string]json.RawMessage
	dropped    []string
	mfaPolicy  string
	challenge  []string
	enroll     []string
	formErrors map[string]string
	planDenied *wapi.PlanDenial

	console    console
	fetchCalls int
	secrets    []string // secret env values read, redacted from the output
}

// reset prepares the state for a new execution, keeping reusable buffers.
func (st *execState) reset(m *Module, run Run, maxLog int) {
	pending, cons := st.pending[:0], st.console
	*st = execState{m: m, run: run, pending: pending, console: cons}
	st.console.reset(maxLog)
}

// callCtx carries the instance to the host functions.
type callCtx struct {
	context.Context
	inst *instance
}

type instKey struct{}

// Value implements context.Context.
func (c *callCtx) Value(key any) any {
	if key == (instKey{}) {
		return c.inst
	}
	return c.Context.Value(key)
}

// instanceFrom returns the instance a host function runs for.
func instanceFrom(ctx context.Context) *instance {
	if c, ok := ctx.(*callCtx); ok {
		return c.inst
	}
	inst, _ := ctx.Value(instKey{}).(*instance)
	return inst
}

// streamWriter sends guest stdout or stderr to the running execution's
// console.
type streamWriter struct {
	inst   *instance
	stream int
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.inst.st.console.write(w.stream, p)
	return len(p), nil
}

// instantiate creates an instance of m and runs its _initialize.
func (e *Engine) instantiate(ctx context.Context, m *Module) (*instance, error) {
	inst := &instance{m: m}
	inst.st.reset(m, Run{}, e.limits.MaxLogBytes)
	cfg := e.modCfg.
		WithStdout(&streamWriter{inst: inst, stream: streamStdout}).
		WithStderr(&streamWriter{inst: inst, stream: streamStderr})

	ictx, cancel := context.WithTimeout(ctx, e.initTO)
	defer cancel()
	mod, err := e.rt.InstantiateModule(&callCtx{Context: ictx, inst: inst}, m.compiled, cfg)
	if err != nil {
		msg := firstLine(err.Error())
		if crash := inst.st.console.crashLine(); crash != "" {
			msg = crash
		}
		if inst.st.console.outOfMemory() {
			msg += fmt.Sprintf(" (memory limit %d pages)", e.limits.MemoryPages)
		}
		return nil, fmt.Errorf("the module failed to initialise: %s", msg)
	}
	inst.mod = mod
	inst.mem = mod.Memory()
	inst.alloc = mod.ExportedFunction(abi.ExportAlloc)
	inst.handle = mod.ExportedFunction(abi.ExportHandle)
	if inst.mem == nil || inst.alloc == nil || inst.handle == nil {
		mod.Close(ctx)
		return nil, fmt.Errorf("the module instance lacks its memory or ABI exports")
	}
	e.instantiations.Add(1)
	e.metrics.instantiated()
	return inst, nil
}

func (inst *instance) close(ctx context.Context) {
	if inst.mod != nil {
		_ = inst.mod.Close(ctx)
	}
}
