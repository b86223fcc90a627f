// Package bench measures the trigger round trip against its physical floor
// and against the designs it replaces, in one run on one machine (DESIGN
// §14), and the frontdoor's HTTP endpoints. Run starts the whole platform
// in-process (embedded NATS, every service, the HTTP listener) on a
// PostgreSQL database the caller provides, uploads the example workflows
// and measures:
//
//   - a bare NATS request-reply echo on the same server (the floor);
//   - the trigger round trip through the worker, sequential and concurrent;
//   - the same logic as a loopback HTTP webhook and as JavaScript on goja
//     with a fresh runtime per execution;
//   - engine executions on a pooled instance and on a fresh instance;
//   - the frontdoor-side cost of a trigger with no live workflow;
//   - the cold paths: upload to first live execution, and the first
//     execution of a restarted worker with a warm disk compile cache;
//   - the token endpoint over HTTP: client_credentials throughput without
//     a workflow and with the m2mtoorg m2m:token_generation example live;
//   - an authorization-code flow with PKCE over HTTP, step by step, with a
//     user whose password is hashed with the default argon2id parameters.
//
// Config.Rows selects groups of rows (RowsTrigger, RowsToken, RowsFlow).
//
// Result.WriteTable prints the table and Result.Line the one-line summary
// that starts with "BENCH"; ParseLine reads that line back. The
// gatehouse-bench command (make bench) runs it against a throw-away
// PostgreSQL.
package bench
