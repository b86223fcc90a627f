//go:build wasip1

package gatehouse

import (
	"unsafe"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// The host functions of ABI v1, imported from module "gatehouse". Names must
// equal the abi.Fn* constants (a native test checks this file).

//go:wasmimport gatehouse result_len
func hostResultLen() int32

//go:wasmimport gatehouse result_read
//go:noescape
func hostResultRead(ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse error
//go:noescape
func hostError(ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse log
//go:noescape
func hostLog(level int32, ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse deny_access
//go:noescape
func hostDenyAccess(ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse set_claim
//go:noescape
func hostSetClaim(token int32, namePtr unsafe.Pointer, nameLen int32, jsonPtr unsafe.Pointer, jsonLen int32) int32

//go:wasmimport gatehouse set_enforcement_policy
//go:noescape
func hostSetEnforcementPolicy(ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse mfa_factors
//go:noescape
func hostMFAFactors(kind int32, ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse invalidate_form_field
//go:noescape
func hostInvalidateFormField(fieldPtr unsafe.Pointer, fieldLen int32, msgPtr unsafe.Pointer, msgLen int32) int32

//go:wasmimport gatehouse deny_plan_selection
//go:noescape
func hostDenyPlanSelection(reasonPtr unsafe.Pointer, reasonLen int32, sugPtr unsafe.Pointer, sugLen int32) int32

//go:wasmimport gatehouse deny_plan_cancellation
//go:noescape
func hostDenyPlanCancellation(ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse fetch
//go:noescape
func hostFetch(ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse secure_fetch
//go:noescape
func hostSecureFetch(ptr unsafe.Pointer, n int32) int32

//go:wasmimport gatehouse get_env
//go:noescape
func hostGetEnv(ptr unsafe.Pointer, n int32) int32

func strArg(s string) (unsafe.Pointer, int32) {
	return unsafe.Pointer(unsafe.StringData(s)), int32(len(s))
}

func bytesArg(b []byte) (unsafe.Pointer, int32) {
	return unsafe.Pointer(unsafe.SliceData(b)), int32(len(b))
}

// readResult copies the pending result of n bytes out of the host.
func readResult(n int32) []byte {
	if n <= 0 {
		return nil
	}
	buf := make([]byte, n)
	got := hostResultRead(unsafe.Pointer(unsafe.SliceData(buf)), n)
	if got < 0 {
		got = 0
	}
	return buf[:min(got, n)]
}

// check turns a host return code into a result or a *BindingError carrying
// the host's message.
func check(b abi.Binding, rc int32) ([]byte, error) {
	if rc >= 0 {
		return readResult(rc), nil
	}
	msg := readResult(hostResultLen())
	return nil, &BindingError{Binding: string(b), Status: abi.Status(rc), Message: string(msg)}
}

func checkNoResult(b abi.Binding, rc int32) error {
	_, err := check(b, rc)
	return err
}

func sysLog(level int32, msg string) {
	p, n := strArg(msg)
	hostLog(level, p, n) // a refused line (log limit) is dropped
}

func sysDenyAccess(reason string) error {
	p, n := strArg(reason)
	return checkNoResult(abi.BindingAuth, hostDenyAccess(p, n))
}

func sysSetClaim(token int32, b abi.Binding, name string, value []byte) error {
	np, nn := strArg(name)
	vp, vn := bytesArg(value)
	return checkNoResult(b, hostSetClaim(token, np, nn, vp, vn))
}

func sysSetEnforcementPolicy(policy string) error {
	p, n := strArg(policy)
	return checkNoResult(abi.BindingMFA, hostSetEnforcementPolicy(p, n))
}

func sysMFAFactors(kind int32, factors []byte) error {
	p, n := bytesArg(factors)
	return checkNoResult(abi.BindingMFA, hostMFAFactors(kind, p, n))
}

func sysInvalidateFormField(field, message string) error {
	fp, fn := strArg(field)
	mp, mn := strArg(message)
	return checkNoResult(abi.BindingWidget, hostInvalidateFormField(fp, fn, mp, mn))
}

func sysDenyPlanSelection(reason string, suggestions []byte) error {
	rp, rn := strArg(reason)
	sp, sn := bytesArg(suggestions)
	return checkNoResult(abi.BindingPlan, hostDenyPlanSelection(rp, rn, sp, sn))
}

func sysDenyPlanCancellation(reason string) error {
	p, n := strArg(reason)
	return checkNoResult(abi.BindingPlan, hostDenyPlanCancellation(p, n))
}

func sysFetch(secure bool, req []byte) ([]byte, error) {
	p, n := bytesArg(req)
	if secure {
		return check(abi.BindingSecureFetch, hostSecureFetch(p, n))
	}
	return check(abi.BindingFetch, hostFetch(p, n))
}

func sysGetEnv(key string) ([]byte, error) {
	p, n := strArg(key)
	return check(abi.BindingEnv, hostGetEnv(p, n))
}
