// Package wfcli is the workflow author's command line, `gatehouse wf`: it
// scaffolds a Go workflow (init), compiles it to WebAssembly (build), runs it
// locally in the worker's engine against a sample event (test), and talks to
// a running Gatehouse over NATS to deploy it, list, activate, deactivate and
// delete deployments, read build and sync logs, and fire a trigger (deploy,
// list, live, deactivate, delete, logs, fire).
//
// Main is the whole command; it takes its arguments and streams so that
// tests run it in-process exactly as the binary does.
package wfcli
