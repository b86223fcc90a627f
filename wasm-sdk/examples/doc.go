// Package examples holds Gatehouse example workflows, one main package per
// directory, each a port of a Kinde example workflow to the Go SDK. Build one
// with:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o workflow.wasm ./customclaims
//
// Every example has native unit tests that run it in gatehouse.TestHost; the
// worker's exampletest package runs the same examples compiled to
// WebAssembly in the real engine.
package examples
