package devpg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// logFile is the server log inside the data directory.
const logFile = "server.log"

// defaultStartTimeout bounds pg_ctl start and stop when ctx has no deadline.
const defaultStartTimeout = 60 * time.Second

// Server is a running (or stopped) development cluster. Its methods are safe
// for concurrent use.
type Server struct {
	dataDir  string
	database string
	fast     bool
	fixed    bool // Options.Port was set
	log      *slog.Logger
	bin      binaries
	runner   runner
	version  string

	mu      sync.Mutex
	port    int
	running bool
}

// Start initialises the cluster in opts.DataDir if it is empty, starts it and
// creates the application database if it is missing. It waits until the
// server accepts connections or ctx is done.
//
// # Errors
//
// When the PostgreSQL binaries are missing the error wraps
// [ErrBinariesNotFound] and says how to fix it. When the server does not
// start, the error includes the tail of its log.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	bin, err := findBinaries(opts.BinDir)
	if err != nil {
		return nil, err
	}
	r, err := newRunner()
	if err != nil {
		return nil, err
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("devpg: resolve data directory %s: %w", opts.DataDir, err)
	}
	full, major, err := bin.version(ctx, r)
	if err != nil {
		return nil, err
	}
	s := &Server{
		dataDir:  dataDir,
		database: opts.Database,
		fast:     opts.Fast,
		fixed:    opts.Port != 0,
		port:     opts.Port,
		log:      opts.Logger,
		bin:      bin,
		runner:   r,
		version:  full,
	}
	if err := s.initIfEmpty(ctx, major); err != nil {
		return nil, err
	}
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	if _, err := s.CreateDatabase(ctx, s.database); err != nil {
		_ = s.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	s.log.Info(fmt.Sprintf("started development PostgreSQL %s from %s in %s on 127.0.0.1:%d", major, bin.dir, dataDir, s.Port()),
		"version", full, "database", s.database, "run_as", r.user)
	return s, nil
}

// initIfEmpty runs initdb when the data directory does not hold a cluster,
// and checks the cluster's major version otherwise.
func (s *Server) initIfEmpty(ctx context.Context, major string) error {
	pgVersion, err := os.ReadFile(filepath.Join(s.dataDir, "PG_VERSION"))
	if err == nil {
		if got := strings.TrimSpace(string(pgVersion)); got != major {
			return fmt.Errorf("devpg: data directory %s holds a PostgreSQL %s cluster but the binaries in %s are PostgreSQL %s; remove the directory or install PostgreSQL %s", s.dataDir, got, s.bin.dir, major, got)
		}
		s.log.Debug("reusing existing PostgreSQL cluster", "data_dir", s.dataDir)
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("devpg: read %s: %w", filepath.Join(s.dataDir, "PG_VERSION"), err)
	}
	entries, err := os.ReadDir(s.dataDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("devpg: read data directory %s: %w", s.dataDir, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("devpg: data directory %s is not empty and holds no PostgreSQL cluster (no PG_VERSION file); empty it or choose another directory", s.dataDir)
	}
	if err := s.runner.checkTraversable(s.dataDir); err != nil {
		return err
	}
	if err := s.runner.prepareDir(s.dataDir); err != nil {
		return err
	}
	args := []string{
		"-D", s.dataDir,
		"-U", Superuser,
		"--auth=trust",
		"--encoding=UTF8",
		"--locale=C",
		"--no-instructions",
	}
	if s.fast {
		args = append(args, "--no-sync")
	}
	began := time.Now()
	if err := s.runner.run(ctx, s.bin.initdb, args...); err != nil {
		return fmt.Errorf("devpg: initialise cluster in %s: %w", s.dataDir, err)
	}
	s.log.Info("initialised PostgreSQL cluster", "data_dir", s.dataDir, "took", time.Since(began).Round(time.Millisecond))
	return nil
}

// Start starts a stopped server again, on the same port when one was chosen
// before, so URLs handed out earlier stay valid. It is a no-op when the server
// is running. [Start] (the package function) calls it for a new server.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil
	}
	if err := s.runner.checkTraversable(s.dataDir); err != nil {
		return err
	}
	if err := s.clearLeftover(ctx); err != nil {
		return err
	}
	if s.port == 0 {
		p, err := freePort()
		if err != nil {
			return err
		}
		s.port = p
	}
	serverArgs := []string{
		"-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=''",
		"-c", "max_connections=200",
	}
	if s.fast {
		serverArgs = append(serverArgs,
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off",
		)
	}
	logPath := filepath.Join(s.dataDir, logFile)
	err := s.runner.run(ctx, s.bin.pgCtl, "start",
		"-D", s.dataDir,
		"-l", logPath,
		"-w", "-t", waitSeconds(ctx),
		"-o", strings.Join(serverArgs, " "),
	)
	if err != nil {
		if !s.fixed {
			// Forget the port: it may be the reason, and the next attempt
			// should pick another one.
			s.port = 0
		}
		return fmt.Errorf("devpg: start PostgreSQL in %s: %w\nlast lines of %s:\n%s", s.dataDir, err, logPath, tail(logPath, 20))
	}
	s.running = true
	return nil
}

// Stop shuts the server down with pg_ctl stop -m fast: open connections are
// closed and running transactions rolled back. It is a no-op when the server
// is not running. The server can be started again with [Server.Start].
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	if _, err := os.Stat(filepath.Join(s.dataDir, "postmaster.pid")); errors.Is(err, os.ErrNotExist) {
		// Stopped behind our back (for example by another Start on the
		// same directory).
		s.running = false
		return nil
	}
	err := s.runner.run(ctx, s.bin.pgCtl, "stop", "-D", s.dataDir, "-m", "fast", "-w", "-t", waitSeconds(ctx))
	if err != nil {
		return fmt.Errorf("devpg: stop PostgreSQL in %s: %w", s.dataDir, err)
	}
	s.running = false
	s.log.Debug("stopped development PostgreSQL", "data_dir", s.dataDir)
	return nil
}

// Port returns the TCP port the server listens on, on 127.0.0.1.
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port
}

// DataDir returns the absolute path of the cluster directory.
func (s *Server) DataDir() string { return s.dataDir }

// Version returns the PostgreSQL version of the binaries, such as "15.8".
func (s *Server) Version() string { return s.version }

// URL returns the URL of the application database, such as
// postgres://postgres@127.0.0.1:5432/gatehouse?sslmode=disable.
func (s *Server) URL() string { return s.DatabaseURL(s.database) }

// DatabaseURL returns the URL of database name on this server. It does not
// check that the database exists.
func (s *Server) DatabaseURL(name string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, s.Port(), pathEscape(name))
}

// waitSeconds turns the ctx deadline into pg_ctl's -t argument.
func waitSeconds(ctx context.Context) string {
	d := defaultStartTimeout
	if deadline, ok := ctx.Deadline(); ok {
		d = time.Until(deadline)
	}
	return strconv.Itoa(max(1, int(d.Seconds())))
}
