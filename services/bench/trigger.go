package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// fireTimeout bounds one trigger call.
const fireTimeout = 5 * time.Second

// fire sends tokensEvent to the tokens trigger through the trigger client.
func (s *stack) fire(ctx context.Context) (wapi.Decision, error) {
	cctx, cancel := context.WithTimeout(ctx, fireTimeout)
	defer cancel()
	d, err := s.client.Fire(cctx, benchEnv, abi.TriggerTokensGeneration, tokensEvent, "")
	if err != nil {
		return d, fmt.Errorf("fire %s: %w", abi.TriggerTokensGeneration, err)
	}
	return d, nil
}

// measureTrigger times sequential trigger round trips.
func (s *stack) measureTrigger(ctx context.Context, spec runSpec) (Latency, error) {
	return measure(ctx, "trigger", spec, func() error {
		d, err := s.fire(ctx)
		if err != nil {
			return err
		}
		return checkClaims(d)
	})
}

// measureNoWorkflow times Client.Fire for a trigger with no live workflow,
// once the client's cache of live triggers is warm: the frontdoor's cost
// when a tenant has no workflow for the trigger.
func (s *stack) measureNoWorkflow(ctx context.Context, spec runSpec) (Latency, error) {
	const t = abi.TriggerPostAuthentication
	return measure(ctx, "no live workflow", spec, func() error {
		d, err := s.client.Fire(ctx, benchEnv, t, tokensEvent, "")
		if err != nil {
			return fmt.Errorf("fire %s: %w", t, err)
		}
		if d.Ran || d.Error != nil {
			return fmt.Errorf("fire %s with no live workflow: ran=%v error=%+v", t, d.Ran, d.Error)
		}
		return nil
	})
}

// Throughput is one concurrent run of the trigger.
type Throughput struct {
	Callers    int           // concurrent callers
	Executions int           // decisions with the expected claims
	Shed       int           // decisions with ErrCodeShed
	Errors     int           // any other failure
	Elapsed    time.Duration // timed part of the run
	PerSecond  float64       // Executions / Elapsed
	CPU        time.Duration // process CPU time per execution
}

// CPUBound is the executions per second the process would reach with cpus
// CPUs to itself, from its CPU time per execution.
func (t Throughput) CPUBound(cpus int) float64 {
	if t.CPU <= 0 {
		return 0
	}
	return float64(cpus) * float64(time.Second) / float64(t.CPU)
}

// measureThroughput fires from callers goroutines for d after a short
// warm-up, and counts executions, shed requests and errors.
func (s *stack) measureThroughput(ctx context.Context, callers int, d time.Duration) (Throughput, error) {
	warm := min(d/4, 500*time.Millisecond)
	if _, err := s.fireFor(ctx, callers, warm); err != nil {
		return Throughput{}, err
	}
	return s.fireFor(ctx, callers, d)
}

func (s *stack) fireFor(ctx context.Context, callers int, d time.Duration) (Throughput, error) {
	var ok, shed, errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	cpu0 := processCPU()
	start := time.Now()
	stop := start.Add(d)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) && ctx.Err() == nil {
				dec, err := s.fire(ctx)
				switch {
				case err == nil && dec.Error != nil && dec.Error.Code == wapi.ErrCodeShed:
					shed.Add(1)
				case err == nil && checkClaims(dec) == nil:
					ok.Add(1)
				default:
					if err == nil {
						err = checkClaims(dec)
					}
					firstErr.CompareAndSwap(nil, err)
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	if err := ctx.Err(); err != nil {
		return Throughput{}, fmt.Errorf("throughput with %d callers: %w", callers, err)
	}
	t := Throughput{Callers: callers, Executions: int(ok.Load()), Shed: int(shed.Load()), Errors: int(errs.Load()),
		Elapsed: elapsed, PerSecond: float64(ok.Load()) / elapsed.Seconds(), CPU: cpu / time.Duration(max(1, ok.Load()))}
	if e, _ := firstErr.Load().(error); e != nil && t.Executions == 0 {
		return t, fmt.Errorf("throughput with %d callers: every call failed: %w", callers, e)
	}
	return t, nil
}
