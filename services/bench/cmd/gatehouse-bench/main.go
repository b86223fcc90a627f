package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/devpg"
	"github.com/gatehouse-id/gatehouse/services/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gatehouse-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg := bench.DefaultConfig()
	dbURL := flag.String("database-url", "", "PostgreSQL database to use (empty: start a throw-away PostgreSQL)")
	repo := flag.String("repo", "", "repository root (default: found from the working directory)")
	levels := flag.String("concurrency", "16,32,64", "comma list of concurrent callers for the throughput run")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the trigger throughput runs to this file (of the token endpoint runs without the trigger rows)")
	flag.IntVar(&cfg.Requests, "requests", cfg.Requests, "timed calls per latency run")
	flag.IntVar(&cfg.Warmup, "warmup", cfg.Warmup, "untimed calls before each latency run")
	flag.IntVar(&cfg.FreshRequests, "fresh-requests", cfg.FreshRequests, "timed fresh-instance executions")
	flag.DurationVar(&cfg.ThroughputTime, "throughput-time", cfg.ThroughputTime, "duration of each throughput level")
	flag.IntVar(&cfg.WorkerConcurrency, "worker-concurrency", 0, "worker execution slots (0: 2×CPUs)")
	flag.IntVar(&cfg.WorkerQueue, "worker-queue", 0, "worker queue before shedding (0: large enough never to shed)")
	rows := flag.String("rows", strings.Join(bench.AllRows, ","), "comma list of the rows to measure: "+strings.Join(bench.AllRows, ", "))
	flag.DurationVar(&cfg.TokenTime, "token-time", cfg.TokenTime, "duration of each token endpoint level, with and without the workflow")
	flag.IntVar(&cfg.FlowRequests, "flow-requests", cfg.FlowRequests, "timed authorization-code flows at most")
	flag.DurationVar(&cfg.FlowMaxTime, "flow-time", cfg.FlowMaxTime, "stop timing authorization-code flows after this long")
	verbose := flag.Bool("v", false, "show the platform's logs")
	flag.Parse()

	cfg.Concurrency = nil
	for _, s := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-concurrency: %q is not a number", s)
		}
		cfg.Concurrency = append(cfg.Concurrency, n)
	}
	cfg.Rows = nil
	for _, r := range strings.Split(*rows, ",") {
		if r = strings.TrimSpace(r); r != "" {
			cfg.Rows = append(cfg.Rows, r)
		}
	}
	if len(cfg.Rows) == 0 {
		return errors.New("-rows: name at least one group of rows: " + strings.Join(bench.AllRows, ", "))
	}
	cfg.Progress = os.Stderr
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	cfg.RepoRoot = *repo
	if cfg.RepoRoot == "" {
		root, err := findRepoRoot()
		if err != nil {
			return err
		}
		cfg.RepoRoot = root
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	cfg.DatabaseURL = *dbURL
	if cfg.DatabaseURL == "" {
		dir, err := os.MkdirTemp("", "gatehouse-bench-pg-")
		if err != nil {
			return fmt.Errorf("temporary PostgreSQL directory: %w", err)
		}
		defer os.RemoveAll(dir)
		// PostgreSQL may run as another user (postgres, when started by root).
		if err := os.Chmod(dir, 0o755); err != nil {
			return fmt.Errorf("temporary PostgreSQL directory: %w", err)
		}
		fmt.Fprintln(os.Stderr, "bench: starting a throw-away PostgreSQL")
		pg, err := devpg.Start(ctx, devpg.Options{DataDir: filepath.Join(dir, "data"), Fast: true,
			Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		if err != nil {
			return fmt.Errorf("throw-away PostgreSQL: %w", err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := pg.Stop(sctx); err != nil {
				fmt.Fprintln(os.Stderr, "gatehouse-bench: stop PostgreSQL:", err)
			}
		}()
		cfg.DatabaseURL = pg.URL()
	}

	var prof *os.File
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		prof = f
	}
	loadBefore := loadAverage()
	start := time.Now()
	var res bench.Result
	var err error
	if prof != nil {
		res, err = bench.Run(ctx, cfg, prof)
	} else {
		res, err = bench.Run(ctx, cfg, nil)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: done in %s\n", time.Since(start).Round(time.Second))
	fmt.Printf("\nGatehouse benchmark (%s): %d CPUs, %s; load average %s before, %s after\n\n",
		strings.Join(res.Rows, ", "), res.CPUs, cpuModel(), loadBefore, loadAverage())
	if err := res.WriteTable(os.Stdout); err != nil {
		return err
	}
	fmt.Println()
	fmt.Println(res.Line())
	return nil
}

// findRepoRoot walks up from the working directory to the go.work file.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the repository root (a directory with go.work) was not found above the working directory; pass -repo")
		}
		dir = parent
	}
}

// cpuModel reads the CPU model name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadAverage returns the one-minute load average: other work on the machine
// skews every number.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "unknown"
}
