// Command gatehouse-bench runs the benchmark (make bench): the trigger round
// trip, the token endpoint and an authorization-code flow (-rows selects
// them), and prints their tables and one "BENCH key=value …" line. Without
// -database-url it starts a throw-away PostgreSQL from the local binaries and
// removes it at the end. Run it from the repository (it builds the
// tokensbench and m2mtoorg example workflows).
package main
