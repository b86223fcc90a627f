// Package testlog routes an slog.Logger to a test's log, for tests that start
// services which log.
package testlog
