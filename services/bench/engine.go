package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/services/worker/engine"
)

// engineRun is the engine-level Run of every execution.
var engineRun = engine.Run{Env: benchEnv, Event: tokensEvent, ExecutionID: "exe_bench", DeploymentID: "dep_bench"}

// measureEngine times Execute of wasm in an engine configured by limits and
// sharing the compile cache in cacheDir.
func measureEngine(ctx context.Context, what, cacheDir string, limits engine.Limits, wasm []byte, spec runSpec) (Latency, error) {
	e, err := engine.New(ctx, engine.Config{CacheDir: cacheDir, Limits: limits})
	if err != nil {
		return Latency{}, fmt.Errorf("%s: %w", what, err)
	}
	defer e.Close(context.WithoutCancel(ctx))
	m, err := e.Compile(ctx, wasm)
	if err != nil {
		return Latency{}, fmt.Errorf("%s: %w", what, err)
	}
	return measure(ctx, what, spec, func() error {
		return checkClaims(e.Execute(ctx, m, engineRun))
	})
}

// Restart is the first execution of a restarted worker.
type Restart struct {
	New       time.Duration // engine.New: runtime, WASI and host module
	Compile   time.Duration // Compile from the warm disk cache, incl. the first instance
	FirstExec time.Duration // the first Execute
}

// Total is what the restart target bounds: Compile plus the first Execute.
func (r Restart) Total() time.Duration { return r.Compile + r.FirstExec }

// measureRestart starts a new engine on the worker's compile cache and times
// its first execution of wasm.
func measureRestart(ctx context.Context, cacheDir string, limits engine.Limits, wasm []byte) (Restart, error) {
	var r Restart
	start := time.Now()
	e, err := engine.New(ctx, engine.Config{CacheDir: cacheDir, Limits: limits})
	if err != nil {
		return r, fmt.Errorf("restarted engine: %w", err)
	}
	defer e.Close(context.WithoutCancel(ctx))
	r.New = time.Since(start)
	start = time.Now()
	m, err := e.Compile(ctx, wasm)
	if err != nil {
		return r, fmt.Errorf("restarted engine: %w", err)
	}
	r.Compile = time.Since(start)
	start = time.Now()
	d := e.Execute(ctx, m, engineRun)
	r.FirstExec = time.Since(start)
	if err := checkClaims(d); err != nil {
		return r, fmt.Errorf("restarted engine: first execution: %w", err)
	}
	return r, nil
}
