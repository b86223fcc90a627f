package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/singleflight"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	dapi "github.com/gatehouse-id/gatehouse/services/deployments/api"
	"github.com/gatehouse-id/gatehouse/services/worker/engine"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// resolver finds the deployment to run and its compiled module, caching both
// until the deployments service announces a change.
type resolver struct {
	nc  *nats.Conn
	eng *engine.Engine
	js  jetstream.JetStream

	storeMu   sync.Mutex
	artifacts jetstream.ObjectStore // opened on first use

	mu      sync.RWMutex
	gen     uint64                      // bumped by every change; stale lookups are not cached
	live    map[string]*dapi.Deployment // env + "\x00" + trigger → live deployment (nil: none)
	preview map[string]*dapi.Deployment // env + "\x00" + deployment id
	modules map[string]*engine.Module   // sha256 → compiled module

	flight  singleflight.Group
	warming sync.WaitGroup // pre-warm goroutines, waited for before the engine closes
}

func newResolver(nc *nats.Conn, eng *engine.Engine, js jetstream.JetStream) *resolver {
	return &resolver{nc: nc, eng: eng, js: js,
		live: map[string]*dapi.Deployment{}, preview: map[string]*dapi.Deployment{}, modules: map[string]*engine.Module{}}
}

func key(a, b string) string { return a + "\x00" + b }

// deployment returns the deployment that should run for (env, trigger): the
// preview deployment when previewID names one for this trigger, else the live
// one. It returns nil when nothing should run.
func (r *resolver) deployment(ctx context.Context, env string, t abi.Trigger, previewID string) (*dapi.Deployment, error) {
	if previewID != "" {
		d, err := r.previewDeployment(ctx, env, previewID)
		if err != nil {
			return nil, err
		}
		if d.Trigger == t {
			return d, nil
		}
	}
	k := key(env, string(t))
	r.mu.RLock()
	d, ok := r.live[k]
	gen := r.gen
	r.mu.RUnlock()
	if ok {
		return d, nil
	}
	v, err, _ := r.flight.Do("live:"+k, func() (any, error) {
		resp, err := natsrpc.Call[dapi.LiveRequest, dapi.LiveResponse](ctx, r.nc, dapi.SubjectLive, dapi.LiveRequest{Env: env, Trigger: t})
		if err != nil {
			return nil, fmt.Errorf("resolve live workflow for %s: %w", t, err)
		}
		r.mu.Lock()
		if r.gen == gen {
			r.live[k] = resp.Deployment
		}
		r.mu.Unlock()
		return resp.Deployment, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*dapi.Deployment), nil
}

func (r *resolver) previewDeployment(ctx context.Context, env, id string) (*dapi.Deployment, error) {
	k := key(env, id)
	r.mu.RLock()
	d, ok := r.preview[k]
	gen := r.gen
	r.mu.RUnlock()
	if ok {
		return d, nil
	}
	dep, err := natsrpc.Call[dapi.IDRequest, dapi.Deployment](ctx, r.nc, dapi.SubjectGet, dapi.IDRequest{Env: env, DeploymentID: id})
	if err != nil {
		return nil, fmt.Errorf("resolve preview deployment %s: %w", id, err)
	}
	if dep.Status == dapi.StatusFailed || dep.Status == dapi.StatusProcessing {
		return nil, natsrpc.Errorf(natsrpc.CodeFailedPrecondition, "deployment %s is %s and cannot run", id, dep.Status)
	}
	r.mu.Lock()
	if r.gen == gen {
		r.preview[k] = &dep
	}
	r.mu.Unlock()
	return &dep, nil
}

// module returns the compiled module for a digest, loading it from the object
// store and compiling it (or reading the disk cache) on first use.
func (r *resolver) module(ctx context.Context, sha string) (*engine.Module, error) {
	r.mu.RLock()
	m, ok := r.modules[sha]
	r.mu.RUnlock()
	if ok {
		return m, nil
	}
	v, err, _ := r.flight.Do("module:"+sha, func() (any, error) {
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
		r.mu.Lock()
		r.modules[sha] = m
		r.mu.Unlock()
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*engine.Module), nil
}

// changed applies a deployments change: drop what it invalidates, and warm
// the new live module so the first execution does not pay for compilation.
func (r *resolver) changed(ctx context.Context, data []byte) {
	var c dapi.Change
	if json.Unmarshal(data, &c) != nil {
		return
	}
	r.mu.Lock()
	r.gen++
	for k := range r.live {
		if c.Trigger == "" || k == key(c.Env, string(c.Trigger)) {
			delete(r.live, k)
		}
	}
	for k := range r.preview {
		delete(r.preview, k)
	}
	r.mu.Unlock()
	if c.Action == "live" && c.SHA256 != "" && ctx.Err() == nil {
		r.warming.Add(1)
		go func() {
			defer r.warming.Done()
			if ctx.Err() == nil {
				_, _ = r.module(ctx, c.SHA256)
			}
		}()
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
