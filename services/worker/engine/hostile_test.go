package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/services/worker/api"
)

func TestInfiniteLoopTimesOutAndEngineRecovers(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, guest(t, "hostile"))
	for _, op := range []string{"loop", "sleep"} {
		before := e.Stats()
		start := time.Now()
		d := run(e, m, `{"op":"`+op+`"}`)
		wantError(t, d, api.ErrCodeTimeout, "the workflow did not finish within the 300ms execution timeout")
		if el := time.Since(start); el > 2*time.Second {
			t.Fatalf("%s: the timeout took %s", op, el)
		}
		if d.FailurePolicy != "continue" {
			t.Fatalf("FailurePolicy = %q", d.FailurePolicy)
		}
		after := e.Stats()
		if after.Discards != before.Discards+1 {
			t.Fatalf("%s: discards %d -> %d, want the timed-out instance discarded", op, before.Discards, after.Discards)
		}
		wantOK(t, run(e, m, `{"op":"ok"}`))
	}
}

func TestCallerDeadlineStopsExecution(t *testing.T) {
	e := newEngine(t, func(c *Config) { c.Limits.Timeout = 10 * time.Second })
	m := compile(t, e, guest(t, "hostile"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	d := e.Execute(ctx, m, Run{Event: []byte(`{"op":"loop"}`)})
	wantError(t, d, api.ErrCodeTimeout, "did not finish before the request deadline")
	wantOK(t, run(e, m, `{"op":"ok"}`))
}

func TestMemoryBombIsContained(t *testing.T) {
	e := newEngine(t, func(c *Config) { c.Limits.MemoryPages = 256; c.Limits.Timeout = 5 * time.Second })
	m := compile(t, e, guest(t, "hostile"))
	before := e.Stats()
	d := run(e, m, `{"op":"membomb"}`)
	wantError(t, d, api.ErrCodeMemory, "the workflow ran out of memory (limit 16 MiB)")
	if e.Stats().Discards != before.Discards+1 {
		t.Fatal("the exhausted instance was not discarded")
	}
	wantOK(t, run(e, m, `{"op":"ok"}`))
}

func TestPanicAndExitAreTraps(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, guest(t, "hostile"))

	d := run(e, m, `{"op":"panic"}`)
	wantError(t, d, api.ErrCodeTrap, "the workflow crashed: panic: boom")
	if !consoleHas(d, "error", "panic: boom") {
		t.Fatalf("stderr not captured: %v", d.Console)
	}
	wantOK(t, run(e, m, `{"op":"ok"}`))

	d = run(e, m, `{"op":"exit"}`)
	wantError(t, d, api.ErrCodeTrap, "the workflow exited with code 3")
	wantOK(t, run(e, m, `{"op":"ok"}`))

	d = run(e, m, `{"op":"fail"}`)
	wantError(t, d, api.ErrCodeWorkflow, "workflow said no")
}

func TestUnreachableTrap(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, rawModule{version: 1, settings: rawSettings("user:pre_mfa", ""), handle: "trap"}.bytes())
	d := run(e, m, `{}`)
	wantError(t, d, api.ErrCodeTrap, "the workflow trapped: wasm error: unreachable")
	if s := e.Stats(); s.Discards != 1 || s.IdleInstances != 0 {
		t.Fatalf("stats = %+v, want the trapped instance discarded", s)
	}
	d = run(e, m, `{}`)
	wantError(t, d, api.ErrCodeTrap, "unreachable") // a fresh instance, same behaviour
	if s := e.Stats(); s.Instantiations != 2 {
		t.Fatalf("instantiations = %d, want 2", s.Instantiations)
	}
}

func TestConsoleOutputIsCapped(t *testing.T) {
	e := newEngine(t, func(c *Config) { c.Limits.MaxLogBytes = 4096 })
	m := compile(t, e, guest(t, "hostile"))
	d := run(e, m, `{"op":"spam","n":1000000}`)
	wantOK(t, d)
	total := 0
	for _, l := range d.Console[:len(d.Console)-1] {
		total += len(l.Text)
	}
	if total > 4096 {
		t.Fatalf("kept %d bytes of console text, limit 4096", total)
	}
	last := d.Console[len(d.Console)-1]
	if last.Level != "warn" || !strings.Contains(last.Text, "console output truncated: the workflow wrote more than the 4096-byte limit") {
		t.Fatalf("last line = %+v, want the truncation notice", last)
	}
	// The next execution has a fresh budget.
	d = run(e, m, `{"op":"ok"}`)
	if len(d.Console) != 1 || d.Console[0].Text != "ok" {
		t.Fatalf("console = %v", d.Console)
	}
}

func TestPartialStderrLineIsKept(t *testing.T) {
	e := newEngine(t, nil)
	m := compile(t, e, guest(t, "hostile"))
	d := run(e, m, `{"op":"stderr"}`)
	wantOK(t, d)
	if !consoleHas(d, "error", "partial line without newline") {
		t.Fatalf("console = %v", d.Console)
	}
}

func TestEventLimits(t *testing.T) {
	e := newEngine(t, func(c *Config) { c.Limits.MaxEventBytes = 64 })
	m := compile(t, e, guest(t, "hostile"))
	big := `{"op":"ok","pad":"` + strings.Repeat("x", 100) + `"}`
	d := run(e, m, big)
	wantError(t, d, api.ErrCodeLimit, "the event is 120 bytes, over the 64-byte limit")
	if d.Ran {
		t.Error("a refused event is reported as run")
	}
	for _, bad := range []string{``, `[]`, `"x"`, `{"op":`, `null`, `{} {}`} {
		d := run(e, m, bad)
		wantError(t, d, api.ErrCodeInvalidEvent, "the event is not a JSON object")
		if d.Ran {
			t.Errorf("event %q is reported as run", bad)
		}
	}
	if s := e.Stats(); s.Instantiations != 1 {
		t.Fatalf("rejected events instantiated modules: %+v", s)
	}
	wantOK(t, run(e, m, ` {"op":"ok"}`))
}
