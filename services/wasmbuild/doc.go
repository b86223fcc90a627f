// Package wasmbuild compiles a Go workflow module to WebAssembly with the
// stock Go toolchain: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared.
//
// Build is what the CLI and the deployment pipeline use; ForTest builds a
// guest once per test process so that tests can run real modules.
package wasmbuild
