// Package embednats runs a NATS server with JetStream inside the process, for
// "gatehouse serve" in its all-in-one mode and for tests.
//
// The server listens on TCP (127.0.0.1 by default) so that other processes
// and tools can connect through [Server.ClientURL]; clients in the same
// process use [Server.Connect].
package embednats
