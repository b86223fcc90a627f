package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-id/gatehouse/services/worker/egress"
	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Config configures an Engine.
type Config struct {
	// CacheDir holds wazero's on-disk compilation cache, so a restarted
	// worker does not compile the same module again. "" keeps compiled code
	// in memory only.
	CacheDir string
	// Limits bounds every execution. The zero value means DefaultLimits().
	Limits Limits
	// Egress configures the fetch client. Its response-size cap and timeout
	// are replaced by Limits.MaxFetchResponseBytes and Limits.FetchTimeout.
	// The zero value means egress.DefaultConfig().
	Egress egress.Config
	// Env serves kinde.env. Nil: get_env fails with StatusNotImplemented.
	Env EnvSource
	// SecureFetch serves kinde.secureFetch. Nil: secure_fetch fails with
	// StatusNotImplemented.
	SecureFetch SecureFetcher
	// Registerer receives the engine's metrics. Nil: no metrics.
	Registerer prometheus.Registerer
	// Logger receives operational logs. Nil: slog.Default().
	Logger *slog.Logger
}

// EnvSource looks up workflow environment variables (binding kinde.env).
type EnvSource interface {
	// Lookup returns the variable key of environment env; ok is false when it
	// does not exist.
	Lookup(ctx context.Context, env, key string) (v abi.EnvValue, ok bool, err error)
}

// SecureFetcher encrypts secureFetch request bodies with the workflow's
// active encryption key (DESIGN §7). The engine sends the encrypted body
// through the same egress guard as fetch.
type SecureFetcher interface {
	// EncryptBody returns body encrypted for workflowID in environment env.
	EncryptBody(ctx context.Context, env, workflowID string, body []byte) ([]byte, error)
}

// Limits bounds the resources of one execution.
type Limits struct {
	// Timeout is the execution deadline (the caller's context may be shorter).
	Timeout time.Duration
	// MemoryPages caps each instance's linear memory, in 64 KiB pages (at
	// most 4096, 256 MiB). An instance whose memory grew past half of it is
	// not returned to the pool.
	MemoryPages uint32
	// MaxEventBytes caps the event JSON.
	MaxEventBytes int
	// MaxLogBytes caps the console text kept per execution; the rest is
	// dropped and a truncation line is added.
	MaxLogBytes int
	// MaxFetchCalls caps fetch plus secure_fetch calls per execution.
	MaxFetchCalls int
	// MaxFetchResponseBytes caps each fetch response body.
	MaxFetchResponseBytes int
	// MaxClaimBytes caps the JSON value of one claim.
	MaxClaimBytes int
	// FetchTimeout bounds each fetch call.
	FetchTimeout time.Duration
	// PoolSize is the most idle warm instances kept per module and
	// environment (0: none; every execution instantiates a fresh instance).
	PoolSize int
	// RecycleAfter replaces an instance after this many runs (0: never).
	RecycleAfter int
}

// DefaultLimits returns safe defaults: 2s, 64 MiB of memory, 1 MiB events,
// 64 KiB of console output, 5 fetch calls of at most 1 MiB and 5s each,
// 16 KiB per claim, 8 warm instances per module, recycled after 10000 runs.
//
// A Go wasip1 module starts at about 2.3 MiB of linear memory; the Go
// garbage collector lets the heap grow to twice the live data, so 64 MiB
// leaves room for workflows that decode a large event.
func DefaultLimits() Limits {
	return Limits{
		Timeout:               2 * time.Second,
		MemoryPages:           1024,
		MaxEventBytes:         1 << 20,
		MaxLogBytes:           64 << 10,
		MaxFetchCalls:         5,
		MaxFetchResponseBytes: 1 << 20,
		MaxClaimBytes:         16 << 10,
		FetchTimeout:          5 * time.Second,
		PoolSize:              8,
		RecycleAfter:          10000,
	}
}

// minMemoryPages is what a Go wasip1 module needs to start (2 MiB declared
// minimum plus the first heap arena).
const minMemoryPages = 64

// maxMemoryPages (256 MiB) bounds what one instance may hold, and with it
// the cost of one bulk memory instruction between two deadline checks
// (interrupt.go).
const maxMemoryPages = 4096

// Validate reports the first invalid limit.
func (l Limits) Validate() error {
	var errs []error
	if l.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout must be positive, got %s", l.Timeout))
	}
	if l.MemoryPages < minMemoryPages || l.MemoryPages > maxMemoryPages {
		errs = append(errs, fmt.Errorf("memory pages must be between %d and %d, got %d", minMemoryPages, maxMemoryPages, l.MemoryPages))
	}
	if l.MaxEventBytes <= 0 {
		errs = append(errs, fmt.Errorf("max event bytes must be positive, got %d", l.MaxEventBytes))
	}
	if l.MaxLogBytes <= 0 {
		errs = append(errs, fmt.Errorf("max log bytes must be positive, got %d", l.MaxLogBytes))
	}
	if l.MaxFetchCalls < 0 {
		errs = append(errs, fmt.Errorf("max fetch calls must not be negative, got %d", l.MaxFetchCalls))
	}
	if l.MaxFetchResponseBytes <= 0 {
		errs = append(errs, fmt.Errorf("max fetch response bytes must be positive, got %d", l.MaxFetchResponseBytes))
	}
	if l.MaxClaimBytes <= 0 {
		errs = append(errs, fmt.Errorf("max claim bytes must be positive, got %d", l.MaxClaimBytes))
	}
	if l.FetchTimeout <= 0 {
		errs = append(errs, fmt.Errorf("fetch timeout must be positive, got %s", l.FetchTimeout))
	}
	if l.PoolSize < 0 {
		errs = append(errs, fmt.Errorf("pool size must not be negative, got %d", l.PoolSize))
	}
	if l.RecycleAfter < 0 {
		errs = append(errs, fmt.Errorf("recycle-after must not be negative, got %d", l.RecycleAfter))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("engine limits: %w", err)
	}
	return nil
}
