// Package natstest gives tests a real NATS server with JetStream, embedded in
// the test binary.
//
//	s := natstest.Start(t)
//	nc := natstest.Connect(t, s)
//
// Each call to [Start] is a new server on a random port with its own
// JetStream directory, shut down when the test ends. Server warnings and
// errors appear in the test log.
package natstest
