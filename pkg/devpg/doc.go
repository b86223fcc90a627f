// Package devpg runs a local PostgreSQL cluster for development and tests.
//
// [Start] initialises a cluster with initdb when the data directory is empty
// (an existing cluster is reused, so data survives restarts), starts it with
// pg_ctl on 127.0.0.1 and a free port, and creates the application database.
// The binaries initdb, pg_ctl and postgres are looked up in [Options.BinDir] or
// on the PATH.
//
// # Security
//
// The cluster uses trust authentication: anyone who can reach 127.0.0.1 on the
// chosen port can connect as the superuser "postgres" without a password. It
// listens on the loopback interface only and creates no Unix socket. This is
// meant for development and tests only; production deployments pass a
// database URL instead.
//
// # Running as root
//
// PostgreSQL refuses to run as root. When the current process is root, the
// binaries run as the "postgres" system user: the data directory is created
// owned by that user, and every parent directory must be traversable by it.
//
// # Leftovers
//
// pg_ctl detaches the server from the calling process, so a killed caller
// leaves PostgreSQL running. [Start] detects this through postmaster.pid: a
// server still running on the data directory is stopped and started again with
// the current settings, and a postmaster.pid whose process is gone is removed.
package devpg
