package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/singleflight"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/services/worker/engine"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Cache lifetimes. The change event drops entries at once; the TTL is the
// safety net for a worker that missed an event (a reconnect, a lost message).
const (
	lookupTTL     = 30 * time.Second
	lookupTimeout = 10 * time.Second
	loadTimeout   = 2 * time.Minute  // fetching and compiling a module on a cold cache
	moduleIdleTTL = 10 * time.Minute // a module unused this long is dropped with its warm instances
)

// resolver finds the deployment to run and its compiled module, caching both
// until the deployments service announces a change.
type resolver struct {
	nc   *nats.Conn
	eng  *engine.Engine
	js   jetstream.JetStream
	now  func() time.Time
	base context.Context // the service's lifetime; loads end with it

	storeMu   sync.Mutex
	artifacts jetstream.ObjectStore // opened on first use

	mu      sync.RWMutex
	gen     uint64                  // bumped by every change; stale lookups are not cached
	live    map[string]cached       // env + "\x00" + trigger → live deployment (nil: none)
	preview map[string]cached       // env + "\x00" + deployment id
	modules map[string]*moduleEntry // sha256 → compiled module

	flight   singleflight.Group
	loadMu   sync.Mutex
	stopping bool
	loading  sync.WaitGroup // loads in flight, waited for before the engine closes
}

type cached struct {
	d       *dapi.Deployment
	expires time.Time
}

type moduleEntry struct {
	m        *engine.Module
	lastUsed atomic.Int64 // unix nanoseconds
}

func newResolver(base context.Context, nc *nats.Conn, eng *engine.Engine, js jetstream.JetStream) *resolver {
	return &resolver{base: base, nc: nc, eng: eng, js: js, now: time.Now,
		live: map[string]cached{}, preview: map[string]cached{}, modules: map[string]*moduleEntry{}}
}

func key(a, b string) string { return a + "\x00" + b }

// shared runs load once for every concurrent caller with the same key. The
// load runs detached from any one caller (a caller with a short deadline must
// not fail it for the others), under its own timeout and the service's
// lifetime, and each caller stops waiting when its own context ends.
func shared[T any](ctx context.Context, r *resolver, k string, timeout time.Duration, load func(ctx context.Context) (T, error)) (T, error) {
	ch := r.flight.DoChan(k, func() (any, error) {
		if !r.beginLoad() {
			return nil, natsrpc.Errorf(natsrpc.CodeUnavailable, "the worker is stopping")
		}
		defer r.loading.Done()
		lctx, cancel := context.WithTimeout(r.base, timeout)
		defer cancel()
		return load(lctx)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			var zero T
			return zero, res.Err
		}
		return res.Val.(T), nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// deployment returns the deployment that should run for (env, trigger): the
// preview deployment when previewID names one for this trigger, else the live
// one. It returns nil when nothing should run.
func (r *resolver) deployment(ctx context.Context, env string, t abi.Trigger, previewID string) (*dapi.Deployment, error) {
	if previewID != "" {
		d, err := r.lookup(ctx, r.preview, key(env, previewID), func(ctx context.Context) (*dapi.Deployment, error) {
			dep, err := natsrpc.Call[dapi.IDRequest, dapi.Deployment](ctx, r.nc, dapi.SubjectGet, dapi.IDRequest{Env: env, DeploymentID: previewID})
			if err != nil {
				return nil, fmt.Errorf("resolve preview deployment %s: %w", previewID, err)
			}
			if dep.Status == dapi.StatusFailed || dep.Status == dapi.StatusProcessing {
				return nil, natsrpc.Errorf(natsrpc.CodeFailedPrecondition, "deployment %s is %s and cannot run", previewID, dep.Status)
			}
			return &dep, nil
		})
		if err != nil {
			return nil, err
		}
		if d.Trigger == t {
			return d, nil
		}
	}
	return r.lookup(ctx, r.live, key(env, string(t)), func(ctx context.Context) (*dapi.Deployment, error) {
		resp, err := natsrpc.Call[dapi.LiveRequest, dapi.LiveResponse](ctx, r.nc, dapi.SubjectLive, dapi.LiveRequest{Env: env, Trigger: t})
		if err != nil {
			return nil, fmt.Errorf("resolve live workflow for %s: %w", t, err)
		}
		return resp.Deployment, nil
	})
}

// lookup serves k from cache, or loads and caches it unless a change arrived
// while it was loading.
func (r *resolver) lookup(ctx context.Context, cache map[string]cached, k string, load func(ctx context.Context) (*dapi.Deployment, error)) (*dapi.Deployment, error) {
	now := r.now()
	r.mu.RLock()
	c, ok := cache[k]
	gen := r.gen
	r.mu.RUnlock()
	if ok && now.Before(c.expires) {
		return c.d, nil
	}
	return shared(ctx, r, "lookup:"+k, lookupTimeout, func(ctx context.Context) (*dapi.Deployment, error) {
		d, err := load(ctx)
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		if r.gen == gen {
			cache[k] = cached{d: d, expires: r.now().Add(lookupTTL)}
		}
		r.mu.Unlock()
		return d, nil
	})
}

// module returns the compiled module for a digest, loading it from the object
// store and compiling it (or reading the disk cache) on first use.
func (r *resolver) module(ctx context.Context, sha string) (*engine.Module, error) {
	r.mu.RLock()
	e, ok := r.modules[sha]
	r.mu.RUnlock()
	if ok {
		e.lastUsed.Store(r.now().UnixNano())
		return e.m, nil
	}
	return shared(ctx, r, "module:"+sha, loadTimeout, func(ctx context.Context) (*engine.Module, error) {
		store, err := r.store(ctx)
		if err != nil {
			return nil, err
		}
		wasm, err := dapi.GetArtifact(ctx, store, sha)
		if err != nil {
			return nil, err
		}
		m, err := r.eng.Compile(ctx, wasm)
		if err != nil {
			return nil, fmt.Errorf("compile module %s: %w", sha[:12], err)
		}
		e := &moduleEntry{m: m}
		e.lastUsed.Store(r.now().UnixNano())
		r.mu.Lock()
		r.modules[sha] = e
		r.mu.Unlock()
		return m, nil
	})
}

// evictIdle drops modules, with their warm instances, that no execution has
// used for moduleIdleTTL: old versions stop costing memory once nothing runs
// them. A module needed again is reloaded from the disk compile cache.
func (r *resolver) evictIdle() int {
	cutoff := r.now().Add(-moduleIdleTTL).UnixNano()
	var idle []string
	r.mu.Lock()
	for sha, e := range r.modules {
		if e.lastUsed.Load() < cutoff {
			idle = append(idle, sha)
			delete(r.modules, sha)
		}
	}
	r.mu.Unlock()
	for _, sha := range idle {
		r.eng.Drop(sha)
	}
	return len(idle)
}

// janitor evicts idle modules until ctx ends.
func (r *resolver) janitor(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.evictIdle()
		}
	}
}

// changed applies a deployments change: drop what it invalidates, and warm
// the new live module so the first execution does not pay for compilation.
// An event it cannot read drops every cached lookup.
func (r *resolver) changed(ctx context.Context, data []byte) {
	var c dapi.Change
	if json.Unmarshal(data, &c) != nil {
		c = dapi.Change{}
	}
	r.mu.Lock()
	r.gen++
	for k := range r.live {
		if c.Env == "" || c.Trigger == "" || k == key(c.Env, string(c.Trigger)) {
			delete(r.live, k)
		}
	}
	clear(r.preview)
	r.mu.Unlock()
	if c.Action == "live" && c.SHA256 != "" && ctx.Err() == nil {
		go func() { _, _ = r.module(ctx, c.SHA256) }()
	}
}

// store opens the artifact bucket once it exists.
func (r *resolver) store(ctx context.Context) (jetstream.ObjectStore, error) {
	r.storeMu.Lock()
	defer r.storeMu.Unlock()
	if r.artifacts == nil {
		s, err := dapi.ArtifactStore(ctx, r.js)
		if err != nil {
			return nil, err
		}
		r.artifacts = s
	}
	return r.artifacts, nil
}

func (r *resolver) beginLoad() bool {
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	if r.stopping {
		return false
	}
	r.loading.Add(1)
	return true
}

// stop refuses new loads and waits for those in flight, so the engine can
// close under none. It gives up when ctx ends.
func (r *resolver) stop(ctx context.Context) error {
	r.loadMu.Lock()
	r.stopping = true
	r.loadMu.Unlock()
	done := make(chan struct{})
	go func() { r.loading.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("a module load was still running: %w", ctx.Err())
	}
}
