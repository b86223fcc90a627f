// Package wfcli is the workflow author's command line, `gatehouse wf`: it
// scaffolds a Go workflow (init), compiles it to WebAssembly (build), runs it
// locally in the worker's engine against a sample event (test), and talks to
// a running Gatehouse to deploy it, list, activate, deactivate and delete
// deployments, fire a trigger (deploy, list, live, deactivate, delete,
// delete-workflow, fire), manage environment variables and secrets (env set,
// list, rm) and workflow encryption keys (keys create, list, activate,
// deactivate, rm), and read or follow runtime, build and sync logs (logs).
//
// Those commands reach Gatehouse through one interface with two
// implementations: over NATS (--nats-url, the default, for a local
// install), or over the management API (--url) with an access token given
// or obtained with the client credentials grant. fire always uses NATS:
// the management API does not fire triggers. Over HTTP, logs --follow
// polls.
//
// A secret's value is read from standard input or a file, never from the
// command line, and no command prints it; nor is a client secret, which
// is best passed in $GATEHOUSE_CLIENT_SECRET.
//
// Main is the whole command; it takes its arguments and streams so that
// tests run it in-process exactly as the binary does.
package wfcli
