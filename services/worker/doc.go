// Package worker is the workflow worker: it queue-subscribes to every trigger
// subject, resolves the live (or preview) deployment for the trigger, runs it
// in the wazero engine on a warm instance and replies with the decision.
//
// Workers hold no state of their own. Resolved deployments and compiled
// modules are cached in memory (and compiled code on disk); every change the
// deployments service announces drops the affected cache entries at once.
// Requests beyond the worker's concurrency and queue are shed with a clear
// "overloaded" error, never queued without bound.
package worker
