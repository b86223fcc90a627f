package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
	env    string // the environment the instance runs executions for
	bound  bool   // env is set: the instance ran or is running an execution
	stack  [2]uint64
	st     execState

	// Deadline enforcement (see interrupt.go): the guest calls yield
	// periodically, which sets the interrupt global once the deadline
	// passed or the caller's context is done.
	interrupt api.MutableGlobal
	deadline  time.Time
	done      <-chan struct{}
	state     int32
	byCaller  bool // the deadline is the caller's, not Limits.Timeout
	cctx      callCtx
}

// Guard states.
const (
	stateIdle int32 = iota
	stateRunning
	stateTimedOut
	stateCancelled
)

// interruption says whether and why a guest call was stopped.
type interruption int

const (
	notInterrupted interruption = iota
	interruptedTimeout
	interruptedCancel
)

// execState is what the host functions record during one execution.
type execState struct {
	m        *Module
	run      Run
	parent   context.Context // the caller's context
	deadline time.Time
	hctx     context.Context // parent bounded by deadline, made on first use
	hcancel  context.CancelFunc
	pending  []byte // the pending result or error message

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

	claimBytes int // names plus values of the claims set

	console    console
	fetchCalls int
	secrets    []string // secret env values read, redacted from the output
}

// maxKeptBuffer is the largest buffer reset keeps for the next execution; a
// larger one (a big fetch response) is released.
const maxKeptBuffer = 1 << 20

// reset prepares the state for a new execution, keeping reusable buffers
// of at most maxKeptBuffer bytes.
func (st *execState) reset(m *Module, run Run, maxLog int) {
	if st.hcancel != nil {
		st.hcancel()
	}
	pending, cons := st.pending[:0], st.console
	if cap(pending) > maxKeptBuffer {
		pending = nil
	}
	*st = execState{m: m, run: run, pending: pending, console: cons}
	st.console.reset(maxLog)
}

// hostCtx is the context for host work (fetch, env lookups): the caller's
// context bounded by the execution deadline.
func (st *execState) hostCtx() context.Context {
	if st.hctx == nil {
		parent := st.parent
		if parent == nil {
			parent = context.Background()
		}
		st.hctx, st.hcancel = context.WithDeadline(parent, st.deadline)
	}
	return st.hctx
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

// instantiate creates an instance of m and runs its _initialize, both under
// the initialisation deadline (the earlier of ctx's and initTO). The module
// has no start function (instrument refuses one), so instantiation itself
// runs no guest code; _initialize is stopped by the budget checks.
func (e *Engine) instantiate(ctx context.Context, m *Module) (*instance, error) {
	inst := &instance{m: m}
	inst.cctx.inst = inst
	inst.st.reset(m, Run{}, e.limits.MaxLogBytes)
	cfg := e.modCfg.
		WithStdout(&streamWriter{inst: inst, stream: streamStdout}).
		WithStderr(&streamWriter{inst: inst, stream: streamStderr}).
		WithOsyield(inst.yield)

	call := inst.begin(ctx, e.initTO)
	mod, err := e.rt.InstantiateModule(call, m.compiled, cfg)
	if err != nil {
		inst.end()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("the module failed to instantiate: %w", ctx.Err())
		}
		return nil, fmt.Errorf("the module failed to instantiate: %s", firstLine(err.Error()))
	}
	inst.mod = mod
	inst.mem = mod.Memory()
	inst.alloc = mod.ExportedFunction(abi.ExportAlloc)
	inst.handle = mod.ExportedFunction(abi.ExportHandle)
	initFn := mod.ExportedFunction(abi.ExportInitialize)
	g, ok := mod.ExportedGlobal(interruptExport).(api.MutableGlobal)
	if inst.mem == nil || inst.alloc == nil || inst.handle == nil || initFn == nil || !ok {
		inst.end()
		mod.Close(ctx)
		return nil, fmt.Errorf("the module instance lacks its memory, its ABI exports or its interrupt global")
	}
	inst.interrupt = g

	err = initFn.CallWithStack(call, nil)
	intr := inst.end()
	if err == nil && intr != notInterrupted {
		err = errors.New("interrupted")
	}
	if err != nil {
		msg := firstLine(err.Error())
		switch {
		case intr == interruptedTimeout:
			msg = fmt.Sprintf("_initialize did not finish within %s", e.initTO)
		case intr == interruptedCancel:
			msg = "cancelled"
		case inst.st.console.crashLine() != "":
			msg = inst.st.console.crashLine()
		}
		if inst.st.console.outOfMemory() {
			msg += fmt.Sprintf(" (memory limit %d pages)", e.limits.MemoryPages)
		}
		inst.close(ctx)
		if intr == interruptedCancel && ctx.Err() != nil {
			return nil, fmt.Errorf("the module failed to initialise: %w", ctx.Err())
		}
		return nil, fmt.Errorf("the module failed to initialise: %s", msg)
	}
	e.instantiations.Add(1)
	e.metrics.instantiated()
	return inst, nil
}

// begin arms the deadline, the earlier of ctx's and now+timeout, for a
// sequence of guest calls and returns the context to pass them.
func (inst *instance) begin(ctx context.Context, timeout time.Duration) context.Context {
	deadline := time.Now().Add(timeout)
	inst.byCaller = false
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, inst.byCaller = d, true
	}
	inst.st.parent, inst.st.deadline = ctx, deadline
	inst.deadline, inst.done, inst.state = deadline, ctx.Done(), stateRunning
	inst.cctx.Context = ctx
	return &inst.cctx
}

// end disarms the deadline and reports whether the guest was interrupted.
func (inst *instance) end() interruption {
	s := inst.state
	inst.state, inst.done, inst.cctx.Context = stateIdle, nil, nil
	switch s {
	case stateTimedOut:
		return interruptedTimeout
	case stateCancelled:
		return interruptedCancel
	}
	return notInterrupted
}

// yield implements WASI sched_yield for the instance. The budget checks of
// the instrumented module call it every yieldEvery units (interrupt.go):
// when the deadline passed or the caller's context is done, it sets the
// interrupt global and the guest traps.
func (inst *instance) yield() {
	if inst.state != stateRunning || inst.interrupt == nil {
		return
	}
	if time.Now().After(inst.deadline) {
		inst.state = stateTimedOut
		inst.interrupt.Set(1)
		return
	}
	if inst.done != nil {
		select {
		case <-inst.done:
			inst.state = stateCancelled
			inst.interrupt.Set(1)
		default:
		}
	}
}

func (inst *instance) close(ctx context.Context) {
	if inst.mod != nil {
		_ = inst.mod.Close(ctx)
	}
}
