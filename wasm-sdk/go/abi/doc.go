// Package abi is version 1 of the contract between a Gatehouse workflow module
// (the guest, compiled to WebAssembly) and the Gatehouse worker (the host).
//
// Both sides import this package, so names, status codes and the binding
// availability table cannot drift. The prose specification lives in
// wasm-sdk/abi/README.md; this file is its machine-readable half.
//
// # Shape of a module
//
// A workflow is a WASI preview 1 reactor (Go: GOOS=wasip1 GOARCH=wasm
// go build -buildmode=c-shared). After instantiation the host calls
// "_initialize" once, then uses these guest exports:
//
//	gatehouse_abi_version() -> i32            must return Version
//	gatehouse_settings()    -> i64            (ptr<<32 | len) of the settings JSON
//	gatehouse_alloc(size i32) -> i32          a guest buffer the host may write
//	gatehouse_handle(ptr i32, len i32) -> i32 run the workflow on the event JSON
//
// Buffers returned by gatehouse_alloc stay valid until the next call to
// gatehouse_handle returns. gatehouse_handle returns HandleOK, or HandleError
// after the guest has reported a message through the "error" host function.
//
// # Host functions
//
// Host functions are imported from module HostModule. Every one returns an
// i32: zero or a positive length on success, a negative Status on failure.
// When a call returns a positive length N, the guest allocates N bytes and
// calls result_read(ptr, N) to copy the pending result out. When it returns a
// negative status, the pending result holds a UTF-8 error message; its length
// is result_len(). The host never calls back into the guest during a host
// call (no re-entrancy), and a pending result is replaced by the next call.
//
// Strings are passed as (ptr, len) pairs of UTF-8 bytes in guest memory.
// JSON values are passed the same way.
package abi
