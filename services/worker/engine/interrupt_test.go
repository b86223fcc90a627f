package engine

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/worker/api"
)

func TestGoModulesAreInstrumented(t *testing.T) {
	e := newEngine(t, nil)
	if m := compile(t, e, example(t, "tokensbench")); m.safe {
		t.Fatal("the tokensbench module runs with wazero's checks: instrumentation failed")
	}
	if m := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", "")}.bytes()); !m.safe {
		t.Fatal("a module without sched_yield was instrumented")
	}
}

func TestInstrumentRefusesWhatItDoesNotKnow(t *testing.T) {
	good := rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), yield: true}.bytes()
	if _, err := instrument(good); err != nil {
		t.Fatalf("instrument: %v", err)
	}
	noYield := rawModule{version: 1, settings: rawSettings("user:pre_mfa", "")}.bytes()
	if _, err := instrument(noYield); !errors.Is(err, errNotInstrumentable) {
		t.Fatalf("instrument without sched_yield: %v", err)
	}
	for _, bad := range [][]byte{nil, []byte("garbage!"), good[:len(good)-3]} {
		if _, err := instrument(bad); !errors.Is(err, errNotInstrumentable) {
			t.Errorf("instrument(%q…) = %v, want errNotInstrumentable", bad[:min(len(bad), 8)], err)
		}
	}
}

func TestInstrumentedLoopIsInterrupted(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), handle: "loop", yield: true}.bytes())
	if m.safe {
		t.Fatal("module not instrumented")
	}
	start := time.Now()
	wantError(t, run(e, m, `{}`), api.ErrCodeTimeout, "the workflow did not finish within the 300ms execution timeout")
	if el := time.Since(start); el > time.Second {
		t.Fatalf("interrupt took %s", el)
	}
	// Cancellation by the caller.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	d := e.Execute(ctx, m, Run{Event: []byte(`{}`)})
	wantError(t, d, api.ErrCodeTimeout, "the execution was cancelled by the caller")
	if s := e.Stats(); s.Discards != 2 {
		t.Fatalf("discards = %d, want 2", s.Discards)
	}
}

// A looping guest must not stall the Go runtime: the garbage collector stops
// every goroutine, and native code that never calls out cannot be stopped.
// The instrumented loop calls out every few microseconds.
func TestLoopingGuestDoesNotStallGC(t *testing.T) {
	e := newEngine(t, func(c *Config) { c.Limits.Timeout = time.Second })
	m := compile(t, e, guest(t, "hostile"))
	done := make(chan api.Decision)
	go func() { done <- run(e, m, `{"op":"loop"}`) }()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	runtime.GC()
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Fatalf("runtime.GC took %s while a guest looped", el)
	}
	wantError(t, <-done, api.ErrCodeTimeout, "1s execution timeout")
}
