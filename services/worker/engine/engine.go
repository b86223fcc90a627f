package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/gatehouse-id/gatehouse/services/worker/egress"
)

// ErrClosed is returned by Compile after Close.
var ErrClosed = errors.New("engine is closed")

// Engine compiles and runs workflow modules. It is safe for concurrent use.
type Engine struct {
	cfg     Config
	limits  Limits
	log     *slog.Logger
	rt      wazero.Runtime // runs instrumented modules (see interrupt.go)
	caches  []wazero.CompilationCache
	fetch   *egress.Client
	metrics *metrics
	modCfg  wazero.ModuleConfig
	initTO  time.Duration

	mu      sync.Mutex
	closed  bool
	modules map[string]*moduleEntry

	instantiations atomic.Uint64
	discards       atomic.Uint64
	executions     atomic.Uint64
}

// moduleEntry lets concurrent Compile calls for the same sha256 share one
// compilation.
type moduleEntry struct {
	ready   chan struct{}
	m       *Module
	err     error
	dropped bool // Drop was called while compiling
}

// Stats is a snapshot of the engine's state.
type Stats struct {
	Modules        int    // compiled modules held
	IdleInstances  int    // warm instances waiting in the pools
	Instantiations uint64 // instances created since New
	Discards       uint64 // instances closed instead of pooled since New
	Executions     uint64 // Execute calls since New
}

// New creates an Engine.
//
// # Errors
//
// New fails when the limits or the egress configuration are invalid, when
// CacheDir cannot be used, or when the metrics cannot be registered.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	limits := cfg.Limits
	if limits == (Limits{}) {
		limits = DefaultLimits()
	}
	if err := limits.Validate(); err != nil {
		return nil, err
	}
	eg := egressConfig(cfg.Egress, limits)
	fetch, err := egress.New(eg)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	met, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}

	e := &Engine{
		cfg:     cfg,
		limits:  limits,
		log:     log,
		fetch:   fetch,
		metrics: met,
		initTO:  max(limits.Timeout, 5*time.Second),
		modules: make(map[string]*moduleEntry),
		// No filesystem, arguments or environment variables. Real clocks and
		// crypto-grade randomness. Sleeps stay wazero's no-op default, so a
		// guest cannot park a host thread beyond its deadline. _initialize
		// is called by instantiate, under a deadline.
		modCfg: wazero.NewModuleConfig().
			WithName("").
			WithStartFunctions().
			WithSysWalltime().
			WithSysNanotime().
			WithRandSource(rand.Reader),
	}
	if e.rt, err = e.newRuntime(ctx); err != nil {
		e.closeRuntime(ctx)
		return nil, err
	}
	return e, nil
}

// newRuntime creates a runtime with WASI and the host module. Deadlines are
// enforced by the instrumented code (interrupt.go), not by wazero, so the
// compiled code has no termination checks. It is cached in a subdirectory
// named after that choice, since wazero's cache key does not include it.
func (e *Engine) newRuntime(ctx context.Context) (wazero.Runtime, error) {
	rc := wazero.NewRuntimeConfig().
		WithCloseOnContextDone(false).
		WithMemoryLimitPages(e.limits.MemoryPages)
	if e.cfg.CacheDir != "" {
		dir := filepath.Join(e.cfg.CacheDir, "interruptible")
		cache, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return nil, fmt.Errorf("engine: compilation cache in %s: %w", dir, err)
		}
		e.caches = append(e.caches, cache)
		rc = rc.WithCompilationCache(cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("engine: instantiate WASI: %w", err)
	}
	if err := instantiateHost(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("engine: instantiate host module: %w", err)
	}
	return rt, nil
}

// egressConfig fills the fetch client configuration: the zero value becomes
// egress.DefaultConfig, and the per-execution limits replace the size cap
// and timeout.
func egressConfig(c egress.Config, l Limits) egress.Config {
	if c.ConnectTimeout == 0 && c.Timeout == 0 && c.MaxResponseBytes == 0 && c.MaxRedirects == 0 {
		d := egress.DefaultConfig()
		d.AllowHTTP, d.Allow, d.Resolver, d.TLS = c.AllowHTTP, c.Allow, c.Resolver, c.TLS
		c = d
	}
	c.Timeout = l.FetchTimeout
	c.MaxResponseBytes = int64(l.MaxFetchResponseBytes)
	return c
}

// Limits returns the limits in force.
func (e *Engine) Limits() Limits { return e.limits }

// Close drops every module and releases the runtime and the compilation
// cache. Executions still running fail.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	entries := e.modules
	e.modules = nil
	e.mu.Unlock()
	for _, ent := range entries {
		select {
		case <-ent.ready:
			if ent.m != nil {
				ent.m.drop(ctx)
			}
		default:
		}
	}
	e.fetch.Close()
	return e.closeRuntime(ctx)
}

func (e *Engine) closeRuntime(ctx context.Context) error {
	var err error
	if e.rt != nil {
		err = e.rt.Close(ctx)
	}
	for _, c := range e.caches {
		err = errors.Join(err, c.Close(ctx))
	}
	if err != nil {
		return fmt.Errorf("engine: close: %w", err)
	}
	return nil
}

// Drop releases the module with this sha256: its idle instances and, once
// running executions finish, its compiled code. A later Compile of the same
// bytes compiles it again (from the disk cache when there is one).
func (e *Engine) Drop(sha256 string) {
	e.mu.Lock()
	ent, ok := e.modules[sha256]
	if ok {
		delete(e.modules, sha256)
	}
	var m *Module
	if ok {
		select {
		case <-ent.ready:
			m = ent.m
		default:
			ent.dropped = true // compile drops it when done
		}
	}
	e.mu.Unlock()
	if m != nil {
		m.drop(context.Background())
	}
}

// Stats returns a snapshot of the engine's counters.
func (e *Engine) Stats() Stats {
	s := Stats{
		Instantiations: e.instantiations.Load(),
		Discards:       e.discards.Load(),
		Executions:     e.executions.Load(),
	}
	e.mu.Lock()
	var mods []*Module
	for _, ent := range e.modules {
		select {
		case <-ent.ready:
			if ent.m != nil {
				mods = append(mods, ent.m)
			}
		default:
		}
	}
	e.mu.Unlock()
	s.Modules = len(mods)
	for _, m := range mods {
		s.IdleInstances += m.idleCount()
	}
	return s
}
