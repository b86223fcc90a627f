// Package api is the keys service's public contract: subjects, request and
// response types, error semantics and the change event.
//
// The keys service owns environment variables (plain and secret) and
// workflow encryption keys. Secret values and key material never travel in
// the clear on the bus: a worker sends an ephemeral X25519 public key with
// each resolve request and the service seals the value to it (see Seal and
// Open). Management requests never return a secret value, and a workflow
// key's value is returned exactly once, by create.
package api
