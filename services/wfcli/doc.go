// Package wfcli is the workflow author's command line, `gatehouse wf`: it
// scaffolds a Go workflow (init), compiles it to WebAssembly (build), runs it
// locally in the worker's engine against a sample event (test), and talks to
// a running Gatehouse over NATS to deploy it, list, activate, deactivate and
// delete deployments, fire a trigger (deploy, list, live, deactivate, delete,
// delete-workflow, fire), manage environment variables and secrets (env set,
// list, rm) and workflow encryption keys (keys create, list, activate,
// deactivate, rm), and read or follow runtime, build and sync logs (logs).
//
// A secret's value is read from standard input or a file, never from the
// command line, and no command prints it.
//
// Main is the whole command; it takes its arguments and streams so that
// tests run it in-process exactly as the binary does.
package wfcli
