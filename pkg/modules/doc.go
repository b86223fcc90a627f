// Package modules starts a set of named targets in dependency order and stops
// them in reverse, as in `gatehouse serve -target=worker,deployments`.
//
// A module may depend on internal modules (the NATS connection, the database)
// that are started only when some selected target needs them.
package modules
