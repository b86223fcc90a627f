// Package natsrpc is the typed request-reply layer every Gatehouse service
// uses over NATS micro.
//
// A service is one micro.AddService. Each endpoint is a typed handler
//
//	func(ctx context.Context, req Req) (Resp, error)
//
// that runs on a bounded worker pool (micro calls handlers one at a time per
// subscription, so long work would otherwise serialise), under a deadline taken
// from the caller's context and capped by the endpoint's timeout. A full pool
// sheds the request at once with CodeOverloaded: there is never an unbounded
// queue. Every request gets exactly one reply; a handler panic becomes
// CodeInternal.
//
// Errors cross the wire as a small closed set of codes (see Code). Handlers
// return *Error values (Errorf) for expected failures; anything else is
// reported as CodeInternal without leaking its text.
//
// Callers use Call, which sends the deadline along and turns error replies back
// into *Error values, so errors.As and CodeOf work across the bus.
package natsrpc
