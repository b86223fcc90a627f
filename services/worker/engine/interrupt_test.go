package engine

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/worker/api"
)

func TestGoModulesAreInstrumented(t *testing.T) {
	if _, err := instrument(example(t, "tokensbench")); err != nil {
		t.Fatalf("instrument(tokensbench): %v", err)
	}
}

func TestInstrumentRefusesWhatItDoesNotKnow(t *testing.T) {
	good := rawModule{version: 1, settings: rawSettings("user:pre_mfa", "")}.bytes()
	if _, err := instrument(good); err != nil {
		t.Fatalf("instrument: %v", err)
	}
	noYield := rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), noYield: true}.bytes()
	if _, err := instrument(noYield); !errors.Is(err, errNotInstrumentable) {
		t.Fatalf("instrument without sched_yield: %v", err)
	}
	for _, bad := range [][]byte{nil, []byte("garbage!"), good[:len(good)-3]} {
		if _, err := instrument(bad); !errors.Is(err, errMalformed) {
			t.Errorf("instrument(%q…) = %v, want errMalformed", bad[:min(len(bad), 8)], err)
		}
	}
	simd := rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""),
		handleCode: code([]byte{0xfd, 0x0c}, make([]byte, 16), []byte{opDrop}, i32c(0))}.bytes()
	if _, err := instrument(simd); !errors.Is(err, errNotInstrumentable) {
		t.Fatalf("instrument(SIMD) = %v, want errNotInstrumentable", err)
	}
}

// The rewrite appends the budget and interrupt globals after the module's
// own. Code naming a global the module does not have would, after the
// rewrite, reach them: a guest could reset its budget and never be checked.
func TestInstrumentRefusesReferencesPastTheModule(t *testing.T) {
	cases := map[string][]byte{
		"global.set of the budget": code(i32c(100), []byte{opGlobalSet, 0}, i32c(0)),
		"global.get of the flag":   code([]byte{opGlobalGet, 1}),
		"call past the functions":  code(call(99), i32c(0)),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			wasm := rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), handleCode: body}.bytes()
			if _, err := instrument(wasm); !errors.Is(err, errMalformed) || !strings.Contains(err.Error(), "out of range") {
				t.Fatalf("instrument = %v, want an out-of-range error", err)
			}
		})
	}
	// Duplicated and misordered sections would let a second code or global
	// section escape the rewrite.
	wasm := rawModule{version: 1, settings: rawSettings("user:pre_mfa", "")}.bytes()
	dup := append(append([]byte{}, wasm...), section(11, vec(nil))...)
	if _, err := instrument(dup); !errors.Is(err, errMalformed) || !strings.Contains(err.Error(), "duplicated or out of order") {
		t.Fatalf("instrument(duplicate data section) = %v", err)
	}
}

// The reproduction: a loop that sets global 0, which the module does not
// have, to keep the injected budget from ever running out.
func TestGuestCannotResetItsBudget(t *testing.T) {
	e := newEngine(t, nil)
	body := code([]byte{opLoop, 0x40}, i32c(100), []byte{opGlobalSet, 0, opBr, 0, opEnd}, i32c(0))
	wasm := rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), handleCode: body}.bytes()
	m, err := e.Compile(context.Background(), wasm)
	if err == nil {
		d, el, ok := runWithin(e, m, 3*time.Second)
		t.Fatalf("Compile accepted a module that writes the budget global (returned %v after %s: %+v)", ok, el, d.Error)
	}
	if !errors.Is(err, ErrInvalidModule) || !strings.Contains(err.Error(), "global index 0 out of range") {
		t.Fatalf("Compile = %v", err)
	}
}

// runWithin runs an execution and gives up waiting after wait, so a guest
// that escapes its deadline fails the test instead of hanging it.
func runWithin(e *Engine, m *Module, wait time.Duration) (api.Decision, time.Duration, bool) {
	start := time.Now()
	ch := make(chan api.Decision, 1)
	go func() { ch <- run(e, m, `{}`) }()
	select {
	case d := <-ch:
		return d, time.Since(start), true
	case <-time.After(wait):
		return api.Decision{}, time.Since(start), false
	}
}

// fanOut returns a module without loops whose handler calls f0, where fk
// calls f(k+1) twice: 2^depth calls at a stack depth of depth.
func fanOut(depth int) []byte {
	r := rawModule{version: 1, settings: rawSettings("user:pre_mfa", "")}
	for k := 0; k < depth; k++ {
		var body []byte
		if k < depth-1 {
			next := r.fnIndex(5 + k + 1)
			body = code(call(next), call(next))
		}
		r.extra = append(r.extra, rawFunc{0, body})
	}
	r.handleCode = code(call(r.fnIndex(5)), i32c(0))
	return r.bytes()
}

// Code without loops runs for as long as it likes through calls; every
// function entry takes from the budget.
func TestCallTreeWithoutLoopsIsInterrupted(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, fanOut(40))
	d, el, ok := runWithin(e, m, 5*time.Second)
	if !ok {
		t.Fatalf("a call tree of 2^40 calls was still running %s into a 300ms timeout", el)
	}
	wantError(t, d, api.ErrCodeTimeout, "the workflow did not finish within the 300ms execution timeout")
	if el > 1500*time.Millisecond {
		t.Fatalf("the timeout took %s", el)
	}
	// A small tree runs to completion.
	wantOK(t, run(e, compile(t, e, fanOut(10)), `{}`))
}

// A bulk instruction can touch the whole memory: each takes a large share
// of the budget, so a loop of them is checked as often as a plain loop of
// many iterations.
func TestBulkMemoryLoopIsInterrupted(t *testing.T) {
	e := newEngine(t, nil)                                                  // 1024 pages
	fill := code(i32c(0), i32c(0), i32c(1024*65536-1), []byte{0xfc, 11, 0}) // memory.fill of 64 MiB
	body := code([]byte{opLoop, 0x40}, fill, []byte{opBr, 0, opEnd}, i32c(0))
	m := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), handleCode: body, memPages: 1024}.bytes())
	d, el, ok := runWithin(e, m, 5*time.Second)
	if !ok {
		t.Fatalf("a memory.fill loop was still running %s into a 300ms timeout", el)
	}
	wantError(t, d, api.ErrCodeTimeout, "300ms execution timeout")
	if el > 2*time.Second {
		t.Fatalf("the timeout took %s", el)
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

// The entry check is left out only when the entry always reaches a loop,
// whose own check then runs on every call.
func TestReachesLoop(t *testing.T) {
	cases := []struct {
		code []byte
		want bool
	}{
		{code([]byte{opLoop, 0x40, opEnd}), true},
		{code([]byte{opGlobalGet, 0, opLocalSet, 1, 0x02, 0x40, 0x02, 0x40}, i32c(3), []byte{opLoop, 0x40}), true},
		{code([]byte{0x02, 0x40}, i32c(1), []byte{opBrIf, 0, opLoop, 0x40}), false}, // a branch may skip the loop
		{code(call(0), []byte{opLoop, 0x40}), false},                                // the call is a function entry of its own
		{code(i32c(0), i32c(0), i32c(1), []byte{0xfc, 11, 0, opLoop, 0x40}), false}, // bulk instructions are charged
		{code([]byte{opEnd}), false},
	}
	for i, c := range cases {
		if got := reachesLoop(c.code, 0); got != c.want {
			t.Errorf("case %d (% x): reachesLoop = %v, want %v", i, c.code, got, c.want)
		}
	}
}
