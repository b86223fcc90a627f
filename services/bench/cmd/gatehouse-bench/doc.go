// Command gatehouse-bench runs the trigger round-trip benchmark (make bench)
// and prints its table and one "BENCH key=value …" line. Without
// -database-url it starts a throw-away PostgreSQL from the local binaries and
// removes it at the end. Run it from the repository (it builds the
// tokensbench example workflow).
package main
