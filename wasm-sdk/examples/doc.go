// Package examples holds Gatehouse example workflows, one main package per
// directory, each a port of a Kinde example workflow to the Go SDK. Build one
// with:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o workflow.wasm ./customclaims
//
// Every example has native unit tests that run it in gatehouse.TestHost; the
// worker's exampletest package runs the same examples compiled to
// WebAssembly in the real engine.
//
// The examples that call an external API (customclaims, iprep, m2mtoorg,
// mfafordeleteproject) read its URL and key with GetEnvironmentVariable. Until
// the keys service serves kinde.env, a deployed worker answers that binding
// with not_implemented and the examples fall back to their documented https
// defaults (mfafordeleteproject, which has none, requires MFA); `gatehouse wf
// test --env vars.env` serves the variables locally.
//
// Three examples decide MFA in user:pre_mfa: mfagraceperiod skips it for
// users who completed it in the last day (context.mfa.lastMfaAt),
// mfafordeleteproject requires it from users an authorization service says
// hold delete:project, and mfaskiporg skips it for a list of organizations.
//
// Two examples send passwords with SecureFetch, whose body the worker
// encrypts with the workflow's active encryption key (the receiver decrypts
// it with pkg/securefetch): dripfeedmigration checks the password of a user
// not yet in Gatehouse against a legacy system (LEGACY_AUTH_URL), and
// securepasswordsync sends every new password to another system
// (PASSWORD_SYNC_URL, PASSWORD_SYNC_API_KEY). They have no default URL: they
// make no call until the variable is set, and they fail open, with a
// warning, when the call fails or the worker does not serve secureFetch.
package examples
