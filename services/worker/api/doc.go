// Package api is the worker's public contract: the trigger subjects, the
// trigger request and the decision a worker replies with (DESIGN §3).
package api
