package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gatehouse-id/gatehouse/pkg/natstest"
	kapi "github.com/gatehouse-id/gatehouse/services/keys/api"
)

// keysResponder answers env.resolve on a real NATS server the way the keys
// service does (the keys service's own tests and the platform tests cover
// the real one): the n-th answer is "v<n>", sealed to the caller; names
// starting with MISS do not exist. Each answer waits for gate (if set) and
// then delay.
func keysResponder(t *testing.T, nc *nats.Conn, delay time.Duration, gate chan struct{}) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	_, err := nc.Subscribe(kapi.SubjectEnvResolve, func(m *nats.Msg) {
		v := fmt.Sprintf("v%d", n.Add(1))
		go func() {
			var req kapi.ResolveEnvRequest
			_ = json.Unmarshal(m.Data, &req)
			if gate != nil {
				<-gate
			}
			time.Sleep(delay)
			var resp kapi.ResolveEnvResponse
			if !strings.HasPrefix(req.Key, "MISS") {
				sealed, _ := kapi.Seal(req.TransportKey, []byte(v), kapi.AADEnv(req.Env, req.Key))
				resp = kapi.ResolveEnvResponse{Found: true, Sealed: sealed}
			}
			data, _ := json.Marshal(resp)
			_ = m.Respond(data)
		}()
	})
	if err != nil {
		t.Fatal(err)
	}
	return &n
}

func newTestKeySource(t *testing.T, delay time.Duration, gate chan struct{}) (*keySource, *atomic.Int32) {
	t.Helper()
	nc := natstest.Connect(t, natstest.Start(t))
	calls := keysResponder(t, nc, delay, gate)
	ks, err := newKeySource(nc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ks.close() })
	return ks, calls
}

func TestKeySourceCachesUntilAChange(t *testing.T) {
	ks, calls := newTestKeySource(t, 0, nil)
	ctx := context.Background()
	for range 3 {
		if v, ok, err := ks.Lookup(ctx, "production", "API"); err != nil || !ok || v.Value != "v1" {
			t.Fatalf("lookup: %+v %v %v", v, ok, err)
		}
	}
	if _, ok, err := ks.Lookup(ctx, "production", "MISSING"); ok || err != nil {
		t.Fatalf("a missing variable: ok=%v err=%v", ok, err)
	}
	if _, _, _ = ks.Lookup(ctx, "production", "MISSING"); calls.Load() != 2 {
		t.Fatalf("%d resolve calls, want 2 (a value and a miss, each cached)", calls.Load())
	}
	ks.changed(mustJSON(kapi.Change{Env: "production", Kind: kapi.ChangeEnv, Key: "API"}))
	if v, _, _ := ks.Lookup(ctx, "production", "API"); v.Value != "v3" {
		t.Fatalf("after a change: %q, want a fresh answer", v.Value)
	}
}

// A caller that learned of a change never gets an answer fetched before it.
func TestKeySourceNeverJoinsAFetchStartedBeforeAChange(t *testing.T) {
	gate := make(chan struct{})
	ks, _ := newTestKeySource(t, 0, gate)
	var wg sync.WaitGroup
	var before string
	wg.Go(func() { v, _, _ := ks.Lookup(context.Background(), "production", "API"); before = v.Value })
	time.Sleep(50 * time.Millisecond) // the first fetch is in flight, held by gate
	ks.changed(mustJSON(kapi.Change{Env: "production", Kind: kapi.ChangeEnv, Key: "API"}))
	var after string
	wg.Go(func() { v, _, _ := ks.Lookup(context.Background(), "production", "API"); after = v.Value })
	time.Sleep(50 * time.Millisecond)
	close(gate)
	wg.Wait()
	if before != "v1" || after != "v2" {
		t.Fatalf("before the change %q, after %q; want v1 and v2", before, after)
	}
}

// A caller with a short deadline does not fail the callers sharing its fetch.
func TestKeySourceSharedFetchOutlivesAShortDeadline(t *testing.T) {
	ks, _ := newTestKeySource(t, 300*time.Millisecond, nil)
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var shortErr error
	wg.Go(func() { _, _, shortErr = ks.Lookup(short, "production", "API") })
	time.Sleep(10 * time.Millisecond)
	v, ok, err := ks.Lookup(context.Background(), "production", "API")
	wg.Wait()
	if err != nil || !ok || v.Value != "v1" {
		t.Fatalf("patient caller: %+v %v %v", v, ok, err)
	}
	if shortErr == nil {
		t.Fatal("the short caller did not give up at its deadline")
	}
}

// Probing many names does not grow the cache without bound.
func TestKeySourceCacheIsBounded(t *testing.T) {
	ks, _ := newTestKeySource(t, 0, nil)
	for i := range maxCached + 50 {
		put(ks.vars, fmt.Sprint("production\x00MISS_", i), envEntry{})
	}
	if len(ks.vars) > maxCached {
		t.Fatalf("%d cached entries, over the %d bound", len(ks.vars), maxCached)
	}
	if _, _, err := ks.Lookup(context.Background(), "production", "MISS_X"); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
