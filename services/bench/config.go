package bench

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Config configures Run.
type Config struct {
	// DatabaseURL is the PostgreSQL database the deployments service uses.
	// Required; it should be empty (a fresh database).
	DatabaseURL string
	// RepoRoot is the repository root: the workflow is built from
	// RepoRoot/wasm-sdk/examples/tokensbench against RepoRoot/wasm-sdk/go.
	RepoRoot string
	// WorkDir holds the platform's data (NATS store, compile cache) and the
	// built modules. Empty: a temporary directory removed at the end.
	WorkDir string

	// Requests is the number of timed calls of each sequential latency run.
	Requests int
	// Warmup is the number of untimed calls before each latency run.
	Warmup int
	// MaxRunTime bounds each latency run; it stops early when reached.
	MaxRunTime time.Duration
	// FreshRequests is the number of timed fresh-instance executions (each
	// starts a Go runtime, so they are slow).
	FreshRequests int
	// Concurrency lists the numbers of concurrent callers tried in the
	// throughput run; the best is reported.
	Concurrency []int
	// ThroughputTime is how long each concurrency level fires.
	ThroughputTime time.Duration

	// Rows selects the groups of rows to measure: RowsTrigger, RowsToken,
	// RowsFlow. Empty: all of them.
	Rows []string
	// TokenTime is how long each concurrency level of the token endpoint
	// runs, once without the m2m:token_generation workflow and once with
	// it.
	TokenTime time.Duration
	// FlowRequests is the number of timed authorization-code flows, after
	// FlowWarmup untimed ones; FlowMaxTime stops the timed ones early.
	FlowRequests int
	FlowWarmup   int
	FlowMaxTime  time.Duration

	// WorkerConcurrency and WorkerQueue configure the worker; zero picks
	// 2×GOMAXPROCS executions at once and a queue large enough that the
	// throughput run is never shed.
	WorkerConcurrency int
	WorkerQueue       int

	// Progress receives one line per step. Nil: discarded.
	Progress io.Writer
	// Logger receives the platform's logs. Nil: discarded.
	Logger *slog.Logger
}

// DefaultConfig returns the settings of `make bench`: every row, 20,000
// timed calls per latency run, 3 seconds per trigger concurrency level of
// 16, 32 and 64, 2 seconds per token endpoint level, and up to 100
// authorization-code flows in at most 6 seconds.
func DefaultConfig() Config {
	return Config{
		Requests:       20000,
		Warmup:         2000,
		MaxRunTime:     15 * time.Second,
		FreshRequests:  300,
		Concurrency:    []int{16, 32, 64},
		ThroughputTime: 3 * time.Second,
		TokenTime:      2 * time.Second,
		FlowRequests:   100,
		FlowWarmup:     3,
		FlowMaxTime:    6 * time.Second,
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("bench: a database URL is required"))
	}
	if c.RepoRoot == "" {
		errs = append(errs, errors.New("bench: the repository root is required"))
	} else {
		for _, dir := range []string{tokensbenchDir, m2mtoorgDir} {
			if _, err := os.Stat(filepath.Join(c.RepoRoot, dir, "main.go")); err != nil {
				errs = append(errs, fmt.Errorf("bench: %s is not the repository root: %w", c.RepoRoot, err))
				break
			}
		}
	}
	for _, r := range c.Rows {
		if !slices.Contains(AllRows, r) {
			errs = append(errs, fmt.Errorf("bench: there are no rows %q: choose among %s", r, strings.Join(AllRows, ", ")))
		}
	}
	if c.runs(RowsToken) && c.TokenTime <= 0 {
		errs = append(errs, fmt.Errorf("bench: token endpoint time must be positive (got %s)", c.TokenTime))
	}
	if c.runs(RowsFlow) && (c.FlowRequests <= 0 || c.FlowWarmup < 0 || c.FlowMaxTime <= 0) {
		errs = append(errs, fmt.Errorf("bench: the flow run needs positive requests and time and a warm-up of at least 0 (requests %d, warm-up %d, time %s)",
			c.FlowRequests, c.FlowWarmup, c.FlowMaxTime))
	}
	if c.Requests <= 0 || c.FreshRequests <= 0 {
		errs = append(errs, fmt.Errorf("bench: request counts must be positive (requests %d, fresh %d)", c.Requests, c.FreshRequests))
	}
	if c.Warmup < 0 {
		errs = append(errs, fmt.Errorf("bench: warm-up must not be negative (got %d)", c.Warmup))
	}
	if len(c.Concurrency) == 0 {
		errs = append(errs, errors.New("bench: at least one concurrency level is required"))
	}
	for _, n := range c.Concurrency {
		if n <= 0 {
			errs = append(errs, fmt.Errorf("bench: concurrency levels must be positive (got %d)", n))
		}
	}
	if c.ThroughputTime <= 0 {
		errs = append(errs, fmt.Errorf("bench: throughput time must be positive (got %s)", c.ThroughputTime))
	}
	if c.WorkerConcurrency < 0 || c.WorkerQueue < 0 {
		errs = append(errs, errors.New("bench: worker concurrency and queue must not be negative"))
	}
	return errors.Join(errs...)
}

// spec is the sequential run of the configuration.
func (c Config) spec() runSpec {
	return runSpec{Warmup: c.Warmup, N: c.Requests, MaxTime: c.MaxRunTime}
}

// tokensbenchDir is the example workflow the trigger rows run.
const tokensbenchDir = "wasm-sdk/examples/tokensbench"

// m2mtoorgDir is the m2m:token_generation example the token endpoint rows
// run.
const m2mtoorgDir = "wasm-sdk/examples/m2mtoorg"

// Groups of rows, for Config.Rows and the -rows flag.
const (
	// RowsTrigger: the trigger round trip, its floor and the designs it
	// replaces, the engine, the cold paths.
	RowsTrigger = "trigger"
	// RowsToken: token endpoint throughput for client_credentials without
	// and with a live m2m:token_generation workflow.
	RowsToken = "token"
	// RowsFlow: an authorization-code flow over HTTP, step by step.
	RowsFlow = "flow"
)

// AllRows are the groups of rows in the order they run.
var AllRows = []string{RowsTrigger, RowsToken, RowsFlow}

// runs reports whether the configuration measures the rows.
func (c Config) runs(rows string) bool {
	return len(c.Rows) == 0 || slices.Contains(c.Rows, rows)
}
