package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEngine(t, func(c *Config) { c.Registerer = reg })
	m := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), handle: "loop"}.bytes())
	wantError(t, run(e, m, `{}`), "timeout", "execution timeout")
	ok := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", "")}.bytes())
	wantOK(t, run(e, ok, `{}`))

	if got := testutil.ToFloat64(e.metrics.discards.WithLabelValues(discardTimeout)); got != 1 {
		t.Errorf("discards{reason=timeout} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(e.metrics.instantiations); got != 2 {
		t.Errorf("instantiations = %v, want 2", got)
	}
	if got := testutil.ToFloat64(e.metrics.pool); got != 1 {
		t.Errorf("pool instances = %v, want 1 (the looping module's instance was discarded)", got)
	}
	n, err := testutil.GatherAndCount(reg, "gatehouse_worker_compile_seconds")
	if err != nil || n != 1 {
		t.Errorf("compile histogram series = %d, %v", n, err)
	}
	// A second engine on the same registry is refused clearly.
	if _, err := New(context.Background(), Config{Registerer: reg}); err == nil {
		t.Error("a second Engine registered the same metrics")
	}
}

func TestConcurrentExecutions(t *testing.T) {
	e := newEngine(t, func(c *Config) { c.Limits.PoolSize = 2 })
	m := compile(t, e, example(t, "tokensbench"))
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				d := run(e, m, tokensEvent)
				if d.Error != nil || string(d.AccessTokenClaims["org"]) != `"org_42"` {
					errs <- "bad decision"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if s := e.Stats(); s.IdleInstances > 2 || s.Executions != 40 {
		t.Fatalf("stats = %+v, want at most 2 idle instances", s)
	}
}
