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
// Warm instances are pooled per environment (Run.Env), so what a workflow
// leaves in its memory during one environment's execution is never visible
// to another environment's. An instance whose memory grew past half of
// Limits.MemoryPages is discarded rather than pooled, and per-execution
// buffers larger than 1 MiB are released after the execution.
//
// Host-side state per execution is bounded too: console output (including
// the engine's own warnings) by Limits.MaxLogBytes, each dropped reserved
// claim is reported once, claims are capped at 64 per token and 64 KiB in
// all (set_claim returns abi.StatusLimitExceeded past that and stores
// nothing), and host error messages, which may quote guest arguments, at
// 4 KiB.
//
// # Deadlines
//
// Each module is rewritten once before compilation so that every function
// entry, every loop iteration and every bulk memory instruction takes from a
// budget and, every few thousand units, the guest calls back into the host,
// which stops it when its deadline has passed or its caller's context is
// done (see interrupt.go). This costs a few instructions per call or
// iteration, and bounds the work a guest does between two checks whatever
// its shape: loops, call trees without loops, tail calls or bulk memory
// operations. The same checks run during _initialize at Compile, under the
// initialisation deadline and Compile's context.
//
// A module the engine cannot rewrite is refused with ErrInvalidModule: it
// must import wasi_snapshot_preview1.sched_yield (every Go wasip1 module
// does), must not have a start function (workflow modules are reactors),
// and must not use SIMD, threads, exceptions or GC instructions. There is
// no fallback that runs a module with weaker checks.
//
// fetch goes through package egress, which refuses private, loopback and
// link-local destinations after DNS resolution.
package engine
