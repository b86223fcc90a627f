package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero/sys"

	"github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Run is one execution request.
type Run struct {
	Env          string // the environment id, for kinde.env and secureFetch
	Event        []byte // the event JSON object
	ExecutionID  string
	DeploymentID string
}

// maxGuestErrorBytes caps the message a workflow reports through "error".
const maxGuestErrorBytes = 4 << 10

// Execute runs the workflow of m on run.Event and returns its decision. It
// never returns an error: failures are reported in Decision.Error, with
// Decision.FailurePolicy telling the caller what to do about them.
//
// The execution deadline is the earlier of ctx's and Limits.Timeout. An
// instance that traps, times out, exits or runs out of memory is discarded;
// the next execution gets a fresh one.
func (e *Engine) Execute(ctx context.Context, m *Module, run Run) api.Decision {
	start := time.Now()
	e.executions.Add(1)
	d := api.Decision{
		Ran:           true,
		ExecutionID:   run.ExecutionID,
		DeploymentID:  run.DeploymentID,
		WorkflowID:    m.settings.ID,
		FailurePolicy: m.policy,
	}
	finish := func() api.Decision {
		d.DurationMs = float64(time.Since(start).Nanoseconds()) / 1e6
		return d
	}

	// An event refused before the workflow starts: nothing ran.
	if len(run.Event) > e.limits.MaxEventBytes {
		d.Ran = false
		d.Error = &api.ExecError{Code: api.ErrCodeLimit, Message: fmt.Sprintf(
			"the event is %d bytes, over the %d-byte limit", len(run.Event), e.limits.MaxEventBytes)}
		return finish()
	}
	if !isJSONObject(run.Event) {
		d.Ran = false
		d.Error = &api.ExecError{Code: api.ErrCodeInvalidEvent, Message: "the event is not a JSON object"}
		return finish()
	}

	inst, err := m.acquire(ctx, run.Env)
	if err != nil {
		code := api.ErrCodeInternal
		if ctx.Err() != nil {
			code = api.ErrCodeTimeout
		}
		d.Error = &api.ExecError{Code: code, Message: "could not start the workflow: " + err.Error()}
		return finish()
	}
	inst.runs++
	st := &inst.st
	st.reset(m, run, e.limits.MaxLogBytes)

	call := inst.begin(ctx, e.limits.Timeout)
	rc, err := inst.call(call, run.Event)
	intr := inst.end()

	discard := ""
	switch {
	case intr == interruptedTimeout || intr == interruptedCancel:
		d.Error, discard = e.interrupted(ctx, inst, intr), discardTimeout
	case err != nil:
		d.Error, discard = e.failure(ctx, inst, err)
	case rc == abi.HandleOK:
	case rc == abi.HandleError:
		msg := st.guestErr
		if !st.hasGuestErr {
			msg = "the workflow failed without a message"
		}
		d.Error = &api.ExecError{Code: api.ErrCodeWorkflow, Message: msg}
	default:
		d.Error = &api.ExecError{Code: api.ErrCodeWorkflow, Message: fmt.Sprintf(
			"%s returned %d, neither %d (ok) nor %d (error)", abi.ExportHandle, rc, abi.HandleOK, abi.HandleError)}
	}
	// A capability violation fails the execution whatever the workflow did
	// with the error it got, unless the instance died for a harder reason.
	if st.bindingErr != "" && (d.Error == nil || d.Error.Code == api.ErrCodeWorkflow) {
		d.Error = &api.ExecError{Code: api.ErrCodeBinding, Message: st.bindingErr}
	}

	if d.Error == nil {
		d.Denied = st.denied
		d.AccessTokenClaims = st.access
		d.IDTokenClaims = st.id
		d.M2MTokenClaims = st.m2m
		d.MFAPolicy = st.mfaPolicy
		d.ChallengeWith = st.challenge
		d.EnrollWith = st.enroll
		d.FormErrors = st.formErrors
		d.PlanDenied = st.planDenied
	}
	d.DroppedClaims = st.dropped
	d.Console = st.console.finish()
	if len(st.secrets) > 0 {
		d.Redact(st.secrets...)
	}
	st.reset(m, Run{}, 0) // drop references to the run
	m.release(inst, discard)
	return finish()
}

// call writes the event into the instance and runs gatehouse_handle.
func (inst *instance) call(ctx context.Context, event []byte) (int32, error) {
	inst.stack[0] = uint64(uint32(len(event)))
	if err := inst.alloc.CallWithStack(ctx, inst.stack[:]); err != nil {
		return 0, err
	}
	ptr := uint32(inst.stack[0])
	if ptr == 0 && len(event) > 0 {
		return 0, errAllocFailed
	}
	if !inst.mem.Write(ptr, event) {
		return 0, errAllocOutOfRange
	}
	inst.stack[0] = uint64(ptr)
	inst.stack[1] = uint64(uint32(len(event)))
	if err := inst.handle.CallWithStack(ctx, inst.stack[:]); err != nil {
		return 0, err
	}
	return int32(uint32(inst.stack[0])), nil
}

var (
	errAllocFailed     = errors.New(abi.ExportAlloc + " returned a null buffer")
	errAllocOutOfRange = errors.New(abi.ExportAlloc + " returned a buffer outside the module's memory")
)

// interrupted explains an execution the watchdog stopped.
func (e *Engine) interrupted(ctx context.Context, inst *instance, intr interruption) *api.ExecError {
	switch {
	case intr == interruptedCancel && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &api.ExecError{Code: api.ErrCodeTimeout, Message: "the execution was cancelled by the caller"}
	case inst.byCaller:
		return &api.ExecError{Code: api.ErrCodeTimeout, Message: "the workflow did not finish before the request deadline"}
	default:
		return &api.ExecError{Code: api.ErrCodeTimeout, Message: fmt.Sprintf(
			"the workflow did not finish within the %s execution timeout", e.limits.Timeout)}
	}
}

// failure explains why a call into the guest failed and names the reason the
// instance is discarded.
func (e *Engine) failure(ctx context.Context, inst *instance, err error) (*api.ExecError, string) {
	cons := &inst.st.console
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		if cons.outOfMemory() {
			return e.memoryError(cons), discardMemory
		}
		msg := fmt.Sprintf("the workflow exited with code %d", exit.ExitCode())
		if crash := cons.crashLine(); crash != "" {
			msg = "the workflow crashed: " + crash
		}
		return &api.ExecError{Code: api.ErrCodeTrap, Message: msg}, discardExit
	}
	if cons.outOfMemory() {
		return e.memoryError(cons), discardMemory
	}
	msg := "the workflow trapped: " + firstLine(err.Error())
	if crash := cons.crashLine(); crash != "" {
		msg = "the workflow crashed: " + crash
	}
	return &api.ExecError{Code: api.ErrCodeTrap, Message: msg}, discardTrap
}

func (e *Engine) memoryError(cons *console) *api.ExecError {
	msg := fmt.Sprintf("the workflow ran out of memory (limit %d MiB)", uint64(e.limits.MemoryPages)*65536>>20)
	if crash := cons.crashLine(); crash != "" {
		msg += ": " + crash
	}
	return &api.ExecError{Code: api.ErrCodeMemory, Message: msg}
}

// isJSONObject reports whether b is one valid JSON object.
func isJSONObject(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && t[0] == '{' && json.Valid(t)
}
