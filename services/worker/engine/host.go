package engine

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// hostFunc is the body of a host function: it returns the i32 result (a
// length, zero or a negative abi.Status).
type hostFunc func(st *execState, mem api.Memory, stack []uint64) int32

type hostDef struct {
	fn      hostFunc
	params  []api.ValueType
	results []api.ValueType
}

var (
	i32  = api.ValueTypeI32
	ret1 = []api.ValueType{api.ValueTypeI32}
)

// hostFunctions is ABI v1's host module, by function name.
var hostFunctions = map[string]hostDef{
	abi.FnResultLen:            {hostResultLen, nil, ret1},
	abi.FnResultRead:           {hostResultRead, []api.ValueType{i32, i32}, ret1},
	abi.FnError:                {hostError, []api.ValueType{i32, i32}, ret1},
	abi.FnLog:                  {hostLog, []api.ValueType{i32, i32, i32}, ret1},
	abi.FnDenyAccess:           {hostDenyAccess, []api.ValueType{i32, i32}, ret1},
	abi.FnSetClaim:             {hostSetClaim, []api.ValueType{i32, i32, i32, i32, i32}, ret1},
	abi.FnSetEnforcementPolicy: {hostSetEnforcementPolicy, []api.ValueType{i32, i32}, ret1},
	abi.FnMFAFactors:           {hostMFAFactors, []api.ValueType{i32, i32, i32}, ret1},
	abi.FnInvalidateFormField:  {hostInvalidateFormField, []api.ValueType{i32, i32, i32, i32}, ret1},
	abi.FnDenyPlanSelection:    {hostDenyPlanSelection, []api.ValueType{i32, i32, i32, i32}, ret1},
	abi.FnDenyPlanCancellation: {hostDenyPlanCancellation, []api.ValueType{i32, i32}, ret1},
	abi.FnFetch:                {hostFetch, []api.ValueType{i32, i32}, ret1},
	abi.FnSecureFetch:          {hostSecureFetch, []api.ValueType{i32, i32}, ret1},
	abi.FnGetEnv:               {hostGetEnv, []api.ValueType{i32, i32}, ret1},
}

// instantiateHost registers the "gatehouse" host module in rt.
func instantiateHost(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder(abi.HostModule)
	for name, def := range hostFunctions {
		fn := def.fn
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
				inst := instanceFrom(ctx)
				if inst == nil {
					stack[0] = api.EncodeI32(int32(abi.StatusInternal))
					return
				}
				stack[0] = api.EncodeI32(fn(&inst.st, mod.Memory(), stack))
			}), def.params, def.results).
			Export(name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// maxErrorMessageBytes caps the error messages host functions return: they
// may quote guest arguments, and the pending buffer stays with the pooled
// instance.
const maxErrorMessageBytes = 4 << 10

// fail sets the pending result to msg, cut to maxErrorMessageBytes, and
// returns status.
func (st *execState) fail(status abi.Status, msg string) int32 {
	st.pending = append(st.pending[:0], truncateText(msg, maxErrorMessageBytes)...)
	return int32(status)
}

// truncateText cuts s to at most n bytes without splitting a UTF-8 sequence,
// marking the cut with an ellipsis.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const more = "…"
	cut := n - len(more)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + more
}

// failf is fail with formatting.
func (st *execState) failf(status abi.Status, format string, args ...any) int32 {
	return st.fail(status, fmt.Sprintf(format, args...))
}

// result sets the pending result to b and returns its length.
func (st *execState) result(b []byte) int32 {
	st.pending = append(st.pending[:0], b...)
	return int32(len(b))
}

// gate checks that binding b (with bit) may be used: available for the
// trigger and declared in the settings. A violation is recorded so that the
// execution fails even if the workflow ignores the error.
func (st *execState) gate(bits bindingSet, b abi.Binding) (int32, bool) {
	m := st.m
	if m.available&bits == 0 {
		msg := fmt.Sprintf("binding %s is not available for trigger %s", b, m.settings.Trigger)
		st.violation(msg)
		return st.fail(abi.StatusNotAvailable, msg), false
	}
	if m.declared&bits == 0 {
		msg := fmt.Sprintf("binding %s is not declared in workflowSettings", b)
		st.violation(msg)
		return st.fail(abi.StatusNotDeclared, msg), false
	}
	return 0, true
}

func (st *execState) violation(msg string) {
	if st.bindingErr == "" {
		st.bindingErr = msg
	}
}

// read returns n bytes of guest memory at ptr (a view, not a copy).
func read(mem api.Memory, ptr, n uint64) ([]byte, bool) {
	return mem.Read(uint32(ptr), uint32(n))
}

// readArg reads a (ptr, len) argument, failing the call with a clear message
// when it lies outside the guest's memory.
func (st *execState) readArg(mem api.Memory, ptr, n uint64, what string) ([]byte, int32, bool) {
	b, ok := read(mem, ptr, n)
	if !ok {
		return nil, st.failf(abi.StatusInvalidArgument, "%s: %d bytes at %#x are outside the module's memory", what, uint32(n), uint32(ptr)), false
	}
	return b, 0, true
}

func hostResultLen(st *execState, _ api.Memory, _ []uint64) int32 {
	return int32(len(st.pending))
}

func hostResultRead(st *execState, mem api.Memory, stack []uint64) int32 {
	ptr, n := uint32(stack[0]), uint32(stack[1])
	if int32(n) < 0 {
		return int32(abi.StatusInvalidArgument)
	}
	k := min(int(n), len(st.pending))
	if !mem.Write(ptr, st.pending[:k]) {
		return int32(abi.StatusInvalidArgument)
	}
	return int32(k)
}

func hostError(st *execState, mem api.Memory, stack []uint64) int32 {
	b, rc, ok := st.readArg(mem, stack[0], stack[1], "error")
	if !ok {
		return rc
	}
	if len(b) > maxGuestErrorBytes {
		b = b[:maxGuestErrorBytes]
	}
	st.guestErr = guestText(b)
	st.hasGuestErr = true
	return 0
}

func hostLog(st *execState, mem api.Memory, stack []uint64) int32 {
	b, rc, ok := st.readArg(mem, stack[1], stack[2], "log")
	if !ok {
		return rc
	}
	if !st.console.log(int32(stack[0]), b) {
		return st.failf(abi.StatusLimitExceeded, "console output is over the %d-byte limit; the rest of this execution's output is dropped", st.console.max)
	}
	return 0
}
