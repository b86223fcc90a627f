package worker

import (
	"context"
	"crypto/ecdh"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/sync/singleflight"

	"github.com/gatehouse-id/gatehouse/pkg/natsrpc"
	"github.com/gatehouse-id/gatehouse/pkg/securefetch"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// keySource serves kinde.env and kinde.secureFetch from the keys service.
// Values arrive sealed to the worker's own X25519 transport key, so secrets
// and workflow keys never cross the bus in the clear. Answers (including
// "no such variable") are cached until the keys service announces a change,
// with a TTL as the safety net for a missed event.
type keySource struct {
	nc        *nats.Conn
	transport *ecdh.PrivateKey
	now       func() time.Time
	sub       *nats.Subscription
	flight    singleflight.Group

	mu   sync.Mutex
	gen  uint64
	vars map[string]envEntry // env + "\x00" + key
	wfks map[string]wfkEntry // env + "\x00" + workflow id
}

type envEntry struct {
	v       abi.EnvValue
	found   bool
	expires time.Time
}

type wfkEntry struct {
	key     []byte
	expires time.Time
}

func newKeySource(nc *nats.Conn) (*keySource, error) {
	tk, err := kapi.NewTransportKey()
	if err != nil {
		return nil, err
	}
	ks := &keySource{nc: nc, transport: tk, now: time.Now, vars: map[string]envEntry{}, wfks: map[string]wfkEntry{}}
	ks.sub, err = nc.Subscribe(kapi.EventChanged, func(m *nats.Msg) { ks.changed(m.Data) })
	if err != nil {
		return nil, fmt.Errorf("worker: subscribe %s: %w", kapi.EventChanged, err)
	}
	return ks, nil
}

func (ks *keySource) close() error { return ks.sub.Unsubscribe() }

// changed drops what a change made stale; an unreadable event drops all.
func (ks *keySource) changed(data []byte) {
	var c kapi.Change
	err := json.Unmarshal(data, &c)
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.gen++
	switch {
	case err != nil || c.Env == "":
		clear(ks.vars)
		clear(ks.wfks)
	case c.Kind == kapi.ChangeEnv:
		delete(ks.vars, key(c.Env, c.Key))
	case c.Kind == kapi.ChangeWorkflowKey:
		delete(ks.wfks, key(c.Env, c.WorkflowID))
	default:
		clear(ks.vars)
		clear(ks.wfks)
	}
}

// maxCached bounds each cache: a workflow probing many names it will never
// find must not grow the worker's memory. Past it the cache starts over.
const maxCached = 10_000

// Lookup implements engine.EnvSource.
func (ks *keySource) Lookup(ctx context.Context, env, name string) (abi.EnvValue, bool, error) {
	k := key(env, name)
	ks.mu.Lock()
	e, ok := ks.vars[k]
	gen := ks.gen
	ks.mu.Unlock()
	if ok && ks.now().Before(e.expires) {
		return e.v, e.found, nil
	}
	e, err := loadShared(ctx, ks, "env", k, gen, func(ctx context.Context) (envEntry, error) {
		resp, err := natsrpc.Call[kapi.ResolveEnvRequest, kapi.ResolveEnvResponse](ctx, ks.nc, kapi.SubjectEnvResolve,
			kapi.ResolveEnvRequest{Env: env, Key: name, TransportKey: ks.transport.PublicKey().Bytes()})
		if err != nil {
			return envEntry{}, err
		}
		e := envEntry{found: resp.Found, expires: ks.now().Add(lookupTTL)}
		if resp.Found {
			plain, err := kapi.Open(ks.transport, resp.Sealed, kapi.AADEnv(env, name))
			if err != nil {
				return envEntry{}, fmt.Errorf("environment variable %q: %w", name, err)
			}
			e.v = abi.EnvValue{Value: string(plain), IsSecret: resp.IsSecret}
		}
		ks.store(gen, func() { put(ks.vars, k, e) })
		return e, nil
	})
	if err != nil {
		return abi.EnvValue{}, false, err
	}
	return e.v, e.found, nil
}

// EncryptBody implements engine.SecureFetcher with the workflow's active key.
func (ks *keySource) EncryptBody(ctx context.Context, env, workflowID string, body []byte) ([]byte, error) {
	k := key(env, workflowID)
	ks.mu.Lock()
	e, ok := ks.wfks[k]
	gen := ks.gen
	ks.mu.Unlock()
	if !ok || !ks.now().Before(e.expires) {
		var err error
		e, err = loadShared(ctx, ks, "wfk", k, gen, func(ctx context.Context) (wfkEntry, error) {
			resp, err := natsrpc.Call[kapi.ActiveKeyRequest, kapi.ActiveKeyResponse](ctx, ks.nc, kapi.SubjectWorkflowKeyActive,
				kapi.ActiveKeyRequest{Env: env, WorkflowID: workflowID, TransportKey: ks.transport.PublicKey().Bytes()})
			var re *natsrpc.Error
			if errors.As(err, &re) && re.Code == natsrpc.CodeFailedPrecondition {
				return wfkEntry{}, errors.New(re.Message) // "… has no active encryption key: create one …"
			}
			if err != nil {
				return wfkEntry{}, err
			}
			raw, err := kapi.Open(ks.transport, resp.Sealed, kapi.AADWorkflowKey(env, workflowID, resp.KeyID))
			if err != nil {
				return wfkEntry{}, fmt.Errorf("encryption key of workflow %q: %w", workflowID, err)
			}
			e := wfkEntry{key: raw, expires: ks.now().Add(lookupTTL)}
			ks.store(gen, func() { put(ks.wfks, k, e) })
			return e, nil
		})
		if err != nil {
			return nil, err
		}
	}
	sealed, err := securefetch.Encrypt(e.key, body)
	if err != nil {
		return nil, err
	}
	return []byte(sealed), nil
}

// loadShared runs load once for concurrent callers of the same key and
// generation: a caller that saw a change never joins a fetch started before
// it. The fetch runs detached from any one caller, under its own timeout, so
// a caller with a short deadline does not fail the others; each caller stops
// waiting when its own context ends.
func loadShared[T any](ctx context.Context, ks *keySource, kind, k string, gen uint64, load func(context.Context) (T, error)) (T, error) {
	flightKey := fmt.Sprintf("%s\x00%d\x00%s", kind, gen, k)
	ch := ks.flight.DoChan(flightKey, func() (any, error) {
		lctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
		defer cancel()
		return load(lctx)
	})
	var zero T
	select {
	case r := <-ch:
		if r.Err != nil {
			return zero, r.Err
		}
		return r.Val.(T), nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// put stores v, starting the cache over when it is full.
func put[V any](m map[string]V, k string, v V) {
	if _, ok := m[k]; !ok && len(m) >= maxCached {
		clear(m)
	}
	m[k] = v
}

// store caches an answer unless a change arrived while it was being fetched.
func (ks *keySource) store(gen uint64, put func()) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.gen == gen {
		put()
	}
}
