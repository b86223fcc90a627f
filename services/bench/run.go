package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse/pkg/ids"
	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
)

// Result is everything one Run measured.
type Result struct {
	CPUs         int           // GOMAXPROCS
	PayloadBytes int           // size of the trigger request (and of the echo)
	WasmBytes    int           // size of the tokensbench module
	Build        time.Duration // Go build of the variant, not part of UploadToLive

	WorkerConcurrency int // executions the worker runs at once
	WorkerQueue       int // requests waiting for a slot before shedding

	Echo       Latency      // bare NATS request-reply
	Trigger    Latency      // Client.Fire through the worker
	Throughput Throughput   // the best concurrency level
	Levels     []Throughput // every concurrency level tried
	Webhook    Latency      // loopback HTTP hook
	Goja       Latency      // JavaScript, fresh goja runtime per execution
	Pooled     Latency      // engine Execute on a warm pooled instance
	Fresh      Latency      // engine Execute on a fresh instance
	NoWorkflow Latency      // Client.Fire with no live workflow, warm cache

	UploadToLive UploadToLive
	Restart      Restart

	// Rows are the groups of rows measured (see AllRows).
	Rows []string
	// TokenBare and TokenWorkflow are the token endpoint's
	// client_credentials throughput without a workflow and with m2mtoorg
	// live.
	TokenBare     TokenEndpoint
	TokenWorkflow TokenEndpoint
	// Flow is the authorization-code flow, step by step.
	Flow Flow
}

// Measured reports whether the result holds the group of rows.
func (r Result) Measured(rows string) bool { return slices.Contains(r.Rows, rows) }

// Run measures the selected rows (cfg.Rows) once. It builds the
// workflows, starts the platform, runs the measurements and stops the
// platform. Progress lines go to cfg.Progress. When profile is not nil, the
// trigger throughput runs are CPU-profiled into it, or the token endpoint
// runs when the trigger rows are not measured.
func Run(ctx context.Context, cfg Config, profile io.Writer) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	step := func(format string, args ...any) { fmt.Fprintf(progress, "bench: "+format+"\n", args...) }

	dir := cfg.WorkDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "gatehouse-bench-")
		if err != nil {
			return Result{}, fmt.Errorf("bench: work dir: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	res := Result{CPUs: runtime.GOMAXPROCS(0), PayloadBytes: len(triggerBody())}
	for _, r := range AllRows {
		if cfg.runs(r) {
			res.Rows = append(res.Rows, r)
		}
	}
	if cfg.WorkerConcurrency == 0 {
		cfg.WorkerConcurrency = 2 * res.CPUs
	}
	if cfg.WorkerQueue == 0 {
		cfg.WorkerQueue = max(4096, 2*maxOf(cfg.Concurrency))
	}
	res.WorkerConcurrency, res.WorkerQueue = cfg.WorkerConcurrency, cfg.WorkerQueue

	step("starting the platform")
	s, err := startStack(ctx, cfg, filepath.Join(dir, "platform"))
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	defer s.stop(ctx)

	if res.Measured(RowsTrigger) {
		if err := s.runTrigger(ctx, cfg, dir, profile, step, &res); err != nil {
			return res, err
		}
	}
	if res.Measured(RowsToken) || res.Measured(RowsFlow) {
		fd, err := s.openFrontdoor(ctx, cfg.DatabaseURL, maxOf(cfg.Concurrency))
		if err != nil {
			return res, fmt.Errorf("bench: %w", err)
		}
		defer fd.close()
		if res.Measured(RowsToken) {
			// The trigger throughput runs get the profile when they run.
			var tokenProfile io.Writer
			if !res.Measured(RowsTrigger) {
				tokenProfile = profile
			}
			if res.TokenBare, res.TokenWorkflow, err = s.measureTokenEndpoint(ctx, cfg, dir, fd, tokenProfile, step); err != nil {
				return res, fmt.Errorf("bench: %w", err)
			}
		}
		if res.Measured(RowsFlow) {
			settle()
			step("authorization-code flow: up to %d flows in %s", cfg.FlowRequests, cfg.FlowMaxTime)
			if res.Flow, err = s.measureFlow(ctx, cfg, fd); err != nil {
				return res, fmt.Errorf("bench: %w", err)
			}
		}
	}
	if err := s.stop(ctx); err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	return res, nil
}

// runTrigger builds tokensbench and its variant and measures the trigger
// rows into res.
func (s *stack) runTrigger(ctx context.Context, cfg Config, dir string, profile io.Writer, step func(string, ...any), res *Result) error {
	step("building %s", tokensbenchDir)
	wasm, err := buildTokensbench(ctx, cfg.RepoRoot, dir)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	res.WasmBytes = len(wasm)
	org := ids.New("org")
	step("building a tokensbench variant (org claim %s)", org)
	start := time.Now()
	variant, err := buildVariant(ctx, cfg.RepoRoot, dir, org)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	res.Build = time.Since(start)

	spec := cfg.spec()

	step("NATS echo: %d requests of %d bytes", spec.N, res.PayloadBytes)
	if res.Echo, err = measureEcho(ctx, s.p.NATSURL(), make([]byte, res.PayloadBytes), spec); err != nil {
		return fmt.Errorf("bench: %w", err)
	}

	step("uploading tokensbench")
	if _, _, err := s.upload(ctx, wasm, "tokensbench"); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if _, err := s.waitFor(ctx, 30*time.Second, 10*time.Millisecond, "tokensbench live", func(d wapi.Decision) bool {
		return checkClaims(d) == nil
	}); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	settle()
	step("trigger round trip: %d requests", spec.N)
	if res.Trigger, err = s.measureTrigger(ctx, spec); err != nil {
		return fmt.Errorf("bench: %w", err)
	}

	if profile != nil {
		if err := pprof.StartCPUProfile(profile); err != nil {
			return fmt.Errorf("bench: start the CPU profile: %w", err)
		}
	}
	for _, n := range cfg.Concurrency {
		settle()
		step("trigger throughput: %d callers for %s", n, cfg.ThroughputTime)
		t, err := s.measureThroughput(ctx, n, cfg.ThroughputTime)
		if err != nil {
			if profile != nil {
				pprof.StopCPUProfile()
			}
			return fmt.Errorf("bench: %w", err)
		}
		res.Levels = append(res.Levels, t)
		if t.PerSecond > res.Throughput.PerSecond {
			res.Throughput = t
		}
	}
	if profile != nil {
		pprof.StopCPUProfile()
	}

	settle()
	step("trigger with no live workflow: %d calls", spec.N)
	if res.NoWorkflow, err = s.measureNoWorkflow(ctx, spec); err != nil {
		return fmt.Errorf("bench: %w", err)
	}

	settle()
	step("HTTP webhook: %d requests", spec.N)
	if res.Webhook, err = measureWebhook(ctx, spec); err != nil {
		return fmt.Errorf("bench: %w", err)
	}

	settle()
	step("goja, fresh runtime per execution: %d executions", spec.N)
	if res.Goja, err = measureGoja(ctx, spec); err != nil {
		return fmt.Errorf("bench: %w", err)
	}

	settle()
	step("engine, pooled instance: %d executions", spec.N)
	if res.Pooled, err = measureEngine(ctx, "pooled execution", s.cacheDir, s.limits, wasm, spec); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	settle()
	fresh := s.limits
	fresh.PoolSize = 0
	freshSpec := runSpec{Warmup: min(cfg.Warmup, 20), N: cfg.FreshRequests, MaxTime: cfg.MaxRunTime}
	step("engine, fresh instance per execution: %d executions", freshSpec.N)
	if res.Fresh, err = measureEngine(ctx, "fresh-instance execution", s.cacheDir, fresh, wasm, freshSpec); err != nil {
		return fmt.Errorf("bench: %w", err)
	}

	settle()
	step("upload to live: the variant")
	if res.UploadToLive, err = s.measureUploadToLive(ctx, variant, org); err != nil {
		return fmt.Errorf("bench: %w", err)
	}

	settle()
	step("restarted worker: first execution from the disk compile cache")
	if res.Restart, err = measureRestart(ctx, s.cacheDir, s.limits, wasm); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
