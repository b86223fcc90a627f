package devpg

import (
	"errors"
	"log/slog"
)

// DefaultDatabase is the database [Start] creates when [Options.Database] is
// empty.
const DefaultDatabase = "gatehouse"

// Superuser is the role initdb creates and every URL connects as.
const Superuser = "postgres"

// Options configures [Start].
type Options struct {
	// DataDir is the cluster directory. It is initialised with initdb when it
	// does not exist or is empty, and reused otherwise. Required.
	DataDir string
	// Port is the TCP port on 127.0.0.1. 0 picks a free port on every start.
	Port int
	// BinDir is the directory holding initdb, pg_ctl and postgres. Empty means
	// look them up on the PATH.
	BinDir string
	// Database is created at start if it does not exist. Empty means
	// [DefaultDatabase].
	Database string
	// Fast trades durability for speed: fsync, synchronous_commit and
	// full_page_writes are off and initdb skips syncing. A crash of the
	// machine can corrupt the cluster, so use it for throw-away test clusters
	// only.
	Fast bool
	// Logger receives what the package does. Nil means [slog.Default].
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.DataDir == "" {
		return o, errors.New("devpg: Options.DataDir is required")
	}
	if o.Port < 0 || o.Port > 65535 {
		return o, errors.New("devpg: Options.Port must be between 0 and 65535")
	}
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}
