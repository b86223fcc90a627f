package pgtest

import (
	"context"
	"os"
	"testing"

	"github.com/gatehouse-id/gatehouse/pkg/devpg"
)

// Server returns the throw-away cluster shared by the tests of this binary,
// so that a test can stop and start it (for example to check how a service
// rides out a PostgreSQL restart). A restart disturbs every test using the
// shared cluster at the time: such tests must not call t.Parallel, and a test
// that stops the server must start it again before it ends. Prefer
// [NewServer] when the test can afford its own cluster.
//
// The test is skipped when [EnvDatabaseURL] is set, since the server is not
// this binary's to restart.
func Server(t testing.TB) *devpg.Server {
	t.Helper()
	if usingExternal() {
		t.Skipf("pgtest: the test restarts PostgreSQL, but %s points at a server it does not own", EnvDatabaseURL)
	}
	ensure(t)
	return state.server
}

// NewServer starts a private throw-away cluster for this test, stopped and
// removed when the test ends; it costs about one to two seconds. The test may
// stop and start it freely. Its application database is empty; use
// [devpg.Server.URL] or [devpg.Server.CreateDatabase]. It needs local
// PostgreSQL binaries even when [EnvDatabaseURL] is set.
func NewServer(t testing.TB) *devpg.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	base, s, err := startCluster(ctx)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := stopCluster(base, s); err != nil {
			t.Errorf("pgtest: stop private PostgreSQL: %v", err)
		}
	})
	return s
}

func usingExternal() bool { return os.Getenv(EnvDatabaseURL) != "" }
