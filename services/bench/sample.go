package bench

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Latency is the distribution of one sequential latency run.
type Latency struct {
	N    int
	P50  time.Duration
	P99  time.Duration
	Mean time.Duration
	// CPU is the process CPU time per call: every goroutine of the stack,
	// not only the caller.
	CPU time.Duration
}

// newLatency summarises samples; it sorts them in place.
func newLatency(samples []time.Duration) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	return Latency{
		N:    len(samples),
		P50:  percentile(samples, 0.50),
		P99:  percentile(samples, 0.99),
		Mean: sum / time.Duration(len(samples)),
	}
}

// percentile returns the q-quantile of sorted samples (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// runSpec bounds one sequential latency run.
type runSpec struct {
	Warmup  int           // untimed calls first
	N       int           // timed calls at most
	MaxTime time.Duration // stop timing after this long (0: no bound)
}

// measure calls op sequentially: spec.Warmup untimed calls, then up to spec.N
// timed ones. It stops at the first error, which names the call.
func measure(ctx context.Context, what string, spec runSpec, op func() error) (Latency, error) {
	for i := range spec.Warmup {
		if err := op(); err != nil {
			return Latency{}, fmt.Errorf("%s: warm-up call %d: %w", what, i, err)
		}
		if ctx.Err() != nil {
			return Latency{}, fmt.Errorf("%s: %w", what, ctx.Err())
		}
	}
	samples := make([]time.Duration, 0, spec.N)
	cpu0 := processCPU()
	begin := time.Now()
	for i := range spec.N {
		start := time.Now()
		err := op()
		samples = append(samples, time.Since(start))
		if err != nil {
			return Latency{}, fmt.Errorf("%s: call %d: %w", what, i, err)
		}
		if i&63 == 0 {
			if ctx.Err() != nil {
				return Latency{}, fmt.Errorf("%s: %w", what, ctx.Err())
			}
			if spec.MaxTime > 0 && time.Since(begin) > spec.MaxTime && i > 0 {
				break
			}
		}
	}
	l := newLatency(samples)
	l.CPU = (processCPU() - cpu0) / time.Duration(max(1, len(samples)))
	return l, nil
}
