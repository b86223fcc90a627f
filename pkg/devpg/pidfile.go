package devpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// clearLeftover deals with a postmaster.pid left by an earlier run: a server
// still running on the data directory is stopped, and a pid file whose
// process is gone (or is not PostgreSQL) is removed.
func (s *Server) clearLeftover(ctx context.Context) error {
	pidPath := filepath.Join(s.dataDir, "postmaster.pid")
	data, err := os.ReadFile(pidPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("devpg: read %s: %w", pidPath, err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		s.log.Warn("removing unreadable postmaster.pid", "path", pidPath)
		return removePidFile(pidPath)
	}
	if !isPostgres(pid) {
		s.log.Info("removing stale postmaster.pid from a previous run", "path", pidPath, "pid", pid)
		return removePidFile(pidPath)
	}
	s.log.Info("stopping PostgreSQL left running by a previous run", "data_dir", s.dataDir, "pid", pid)
	if err := s.runner.run(ctx, s.bin.pgCtl, "stop", "-D", s.dataDir, "-m", "fast", "-w", "-t", "60"); err != nil {
		return fmt.Errorf("devpg: stop PostgreSQL (pid %d) left running on %s: %w", pid, s.dataDir, err)
	}
	return nil
}

func removePidFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("devpg: remove stale %s: %w", path, err)
	}
	return nil
}

// isPostgres reports whether pid is a live postgres process.
func isPostgres(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		// No /proc: trust that a live process with this pid is the server.
		return !errors.Is(err, os.ErrNotExist) || !procMounted()
	}
	argv0, _, _ := bytes.Cut(cmdline, []byte{0})
	return strings.Contains(filepath.Base(string(argv0)), "postgres")
}

func procMounted() bool {
	_, err := os.Stat("/proc/self")
	return err == nil
}
