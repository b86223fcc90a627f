package engine

import (
	"context"
	"testing"
)

// BenchmarkExecutePooled runs the tokensbench example on a warm pooled
// instance: the steady state of a worker.
func BenchmarkExecutePooled(b *testing.B) {
	e := newEngine(b, nil)
	m := compile(b, e, example(b, "tokensbench"))
	ctx := context.Background()
	r := Run{Env: "bench", Event: []byte(tokensEvent), ExecutionID: "bench"}
	if d := e.Execute(ctx, m, r); d.Error != nil || len(d.AccessTokenClaims) != 2 {
		b.Fatalf("unexpected decision: %+v", d)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d := e.Execute(ctx, m, r)
		if d.Error != nil {
			b.Fatal(d.Error.Message)
		}
	}
}

// BenchmarkExecutePooledParallel is BenchmarkExecutePooled from every CPU.
func BenchmarkExecutePooledParallel(b *testing.B) {
	e := newEngine(b, nil)
	m := compile(b, e, example(b, "tokensbench"))
	r := Run{Env: "bench", Event: []byte(tokensEvent), ExecutionID: "bench"}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if d := e.Execute(ctx, m, r); d.Error != nil {
				b.Error(d.Error.Message)
				return
			}
		}
	})
}

// BenchmarkExecuteFresh instantiates a fresh instance for every execution
// (no pool): what pooling saves.
func BenchmarkExecuteFresh(b *testing.B) {
	e := newEngine(b, func(c *Config) { c.Limits.PoolSize = 0 })
	m := compile(b, e, example(b, "tokensbench"))
	ctx := context.Background()
	r := Run{Env: "bench", Event: []byte(tokensEvent), ExecutionID: "bench"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if d := e.Execute(ctx, m, r); d.Error != nil {
			b.Fatal(d.Error.Message)
		}
	}
}

// BenchmarkExecuteRawModule runs a hand-made module whose handler returns at
// once: the engine's own overhead per execution.
func BenchmarkExecuteRawModule(b *testing.B) {
	e := newEngine(b, nil)
	m := compile(b, e, rawModule{version: 1, settings: rawSettings("user:tokens_generation", "")}.bytes())
	ctx := context.Background()
	r := Run{Env: "bench", Event: []byte(tokensEvent), ExecutionID: "bench"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if d := e.Execute(ctx, m, r); d.Error != nil {
			b.Fatal(d.Error.Message)
		}
	}
}
