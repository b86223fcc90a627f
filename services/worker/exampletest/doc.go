// Package exampletest runs the example workflows of wasm-sdk/examples,
// compiled to WebAssembly, in the real worker engine against Kinde-shaped
// events. The external APIs the examples call are stood in for by a loopback
// HTTP server that the workflows reach only because the test's engine
// configuration allow-lists it. It has no non-test code.
package exampletest
