// Package gatehouse is the Go SDK for Gatehouse workflows: small programs,
// compiled to WebAssembly, that run when an authentication flow reaches a
// trigger (pre-registration, pre-MFA, token generation, …) and tell Gatehouse
// what to do (deny access, add claims, require MFA, reject a password…).
//
// The API mirrors Kinde's @kinde/infrastructure package: a workflow declares
// its Settings (id, trigger, failure policy, bindings) and a handler that
// receives the typed event for its trigger.
//
//	package main
//
//	import gatehouse "github.com/gatehouse-id/gatehouse/wasm-sdk/go"
//
//	func init() {
//		gatehouse.Register(gatehouse.Settings{
//			ID:       "onTokens",
//			Trigger:  gatehouse.TriggerTokensGeneration,
//			Bindings: gatehouse.Bindings{"kinde.accessToken": {}},
//		}, func(e *gatehouse.TokensGenerationEvent) error {
//			return gatehouse.AccessTokenClaims().Set("ip", e.Request.IP)
//		})
//	}
//
//	func main() {}
//
// Build it as a WASI reactor with the stock toolchain:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o workflow.wasm .
//
// # Bindings
//
// Every function that acts on the flow is a binding call. A binding works only
// when the workflow's Settings declare it and the trigger offers it (see
// abi.Available); otherwise the call returns a *BindingError naming the
// binding and the reason, and the host also records the execution as failed.
// "console" and "url" are granted to every workflow.
//
// # Testing
//
// On native builds (anything but GOOS=wasip1) the bindings are served by an
// in-process TestHost, so a workflow is unit-tested with plain go test:
//
//	res, err := (&gatehouse.TestHost{}).Run(ctx, []byte(`{"request":{…},"context":{…}}`))
//
// The TestHost enforces the same declared / available rules as the worker and
// returns what the workflow asked for in a TestResult. It exists only on
// native builds, so test files that use it carry the constraint
// "//go:build !wasip1" (go build ignores test files either way; the
// constraint matters for GOOS=wasip1 go vet).
//
// # Notes
//
// The SDK has no dependencies beyond the standard library. The contract with
// the host is package abi (wasm-sdk/go/abi), specified in wasm-sdk/abi/README.md.
package gatehouse
