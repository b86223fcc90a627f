package devpg

import (
	"context"
	"fmt"
	"path/filepath"
)

// StopLeftover stops a server left running on opts.DataDir by an earlier,
// killed process and removes a stale postmaster.pid. It does nothing when no
// server runs there. Only DataDir, BinDir and Logger of opts are used.
func StopLeftover(ctx context.Context, opts Options) error {
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	bin, err := findBinaries(opts.BinDir)
	if err != nil {
		return err
	}
	r, err := newRunner()
	if err != nil {
		return err
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return fmt.Errorf("devpg: resolve data directory %s: %w", opts.DataDir, err)
	}
	s := &Server{dataDir: dataDir, log: opts.Logger, bin: bin, runner: r}
	return s.clearLeftover(ctx)
}
