// Package engine runs Gatehouse workflow modules: WebAssembly reactors that
// speak ABI v1 (wasm-sdk/go/abi), under wazero.
//
// An Engine compiles each module once per sha256 (optionally backed by an
// on-disk compilation cache), validates its exports and settings, and keeps
// warm instances in a pool per module, because instantiating a Go wasip1
// module costs milliseconds while calling a warm one costs microseconds.
// Execute takes a warm instance, writes the event into it, calls
// gatehouse_handle under a deadline and turns the host-function calls the
// workflow made into an api.Decision.
//
// # Isolation
//
// Every host function checks its binding: it must be declared in the
// workflow's settings (console and url are native and always granted) and
// available for the workflow's trigger. A violation fails the call and the
// whole execution (api.ErrCodeBinding), so a workflow cannot carry on past
// it. Modules get no filesystem, arguments or environment; stdout and stderr
// go to the execution's console capture. An instance that traps, times out,
// exits or exhausts its memory is discarded, never returned to the pool.
//
// # Deadlines
//
// Each module is rewritten once before compilation so that its loops check a
// budget and, every few thousand iterations, call back into the host, which
// stops the guest when its deadline has passed (see interrupt.go). This
// costs a few instructions per loop iteration, against a call into Go per
// iteration for wazero's WithCloseOnContextDone, which the engine uses only
// for modules it cannot rewrite.
// fetch goes through package egress, which refuses private, loopback and
// link-local destinations after DNS resolution.
package engine
