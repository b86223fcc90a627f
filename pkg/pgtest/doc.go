// Package pgtest gives tests a real PostgreSQL server.
//
// Call [Main] from TestMain. When the environment variable
// GATEHOUSE_TEST_DATABASE_URL is set, tests use that server (the URL's role
// must be allowed to create databases). Otherwise the first test that needs
// PostgreSQL starts a throw-away cluster with [devpg] in a temporary
// directory (on /dev/shm when available), shared by every test of the test binary and removed when the
// tests finish.
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		pool := pgtest.NewPool(t) // a fresh, empty database
//		...
//	}
//
// Every [NewDatabase] is a new database with a unique name, dropped when the
// test ends, so tests may run in parallel.
//
// A test binary that dies before it could clean up (a panicking test, a
// timeout, kill -9) does not leave its cluster behind: a detached watchdog
// shell notices within a second, shuts the cluster down and removes its
// directory. Should the watchdog itself be killed, the next [Main] on the
// machine removes clusters whose test binary is gone.
package pgtest
