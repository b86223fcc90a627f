// Package platform wires the Gatehouse services into startable targets for
// `gatehouse serve -target=…`: the NATS connection (or an embedded server),
// the database (or a development PostgreSQL), each service, and one HTTP
// listener for /metrics and /healthz. Tests start the same platform that
// operators run.
package platform
