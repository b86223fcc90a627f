package engine

import (
	"context"
	"sync"

	"github.com/tetratelabs/wazero"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Module is a compiled, validated workflow module with its pool of warm
// instances. Get one from Engine.Compile; it stays usable until Engine.Drop.
type Module struct {
	e        *Engine
	sha      string
	size     int
	compiled wazero.CompiledModule
	rt       wazero.Runtime
	safe     bool // not instrumented: wazero's termination checks
	settings abi.Settings
	policy   string

	// declared and available are the bindings the settings declare (plus
	// the native ones) and the bindings available for the trigger.
	declared, available bindingSet

	mu      sync.Mutex
	idle    []*instance
	live    int // instances alive (idle or running); compiled closes at 0 once dropped
	dropped bool
}

// SHA256 returns the hex sha256 of the module bytes.
func (m *Module) SHA256() string { return m.sha }

// Settings returns the settings the module exports.
func (m *Module) Settings() abi.Settings { return m.settings }

// Size returns the size of the module in bytes.
func (m *Module) Size() int { return m.size }

func (m *Module) idleCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.idle)
}

// acquire takes a warm instance or instantiates a new one.
func (m *Module) acquire(ctx context.Context) (*instance, error) {
	m.mu.Lock()
	if n := len(m.idle); n > 0 {
		inst := m.idle[n-1]
		m.idle[n-1] = nil
		m.idle = m.idle[:n-1]
		m.mu.Unlock()
		m.e.metrics.poolAdd(-1)
		return inst, nil
	}
	if m.dropped {
		m.mu.Unlock()
		return nil, errDropped
	}
	m.live++
	m.mu.Unlock()
	inst, err := m.e.instantiate(ctx, m)
	if err != nil {
		m.mu.Lock()
		m.live--
		closeCompiled := m.dropped && m.live == 0
		m.mu.Unlock()
		if closeCompiled {
			m.compiled.Close(ctx)
		}
		return nil, err
	}
	return inst, nil
}

// release returns inst to the pool, or closes it when discard names a
// reason, when it has served RecycleAfter runs, when the pool is full or
// when the module was dropped.
func (m *Module) release(inst *instance, discard string) {
	limits := &m.e.limits
	if discard == "" && limits.RecycleAfter > 0 && inst.runs >= limits.RecycleAfter {
		discard = discardRecycled
	}
	m.mu.Lock()
	if discard == "" {
		switch {
		case m.dropped:
			discard = discardDropped
		case len(m.idle) >= limits.PoolSize:
			discard = discardPoolFull
		default:
			m.idle = append(m.idle, inst)
			m.mu.Unlock()
			m.e.metrics.poolAdd(1)
			return
		}
	}
	m.live--
	closeCompiled := m.dropped && m.live == 0
	m.mu.Unlock()

	ctx := context.Background()
	inst.close(ctx)
	m.e.discards.Add(1)
	m.e.metrics.discarded(discard)
	if closeCompiled {
		m.compiled.Close(ctx)
	}
}

// drop closes the idle instances and, once no instance is running, the
// compiled code.
func (m *Module) drop(ctx context.Context) {
	m.mu.Lock()
	if m.dropped {
		m.mu.Unlock()
		return
	}
	m.dropped = true
	idle := m.idle
	m.idle = nil
	m.live -= len(idle)
	closeCompiled := m.live == 0
	m.mu.Unlock()
	m.e.metrics.poolAdd(-len(idle))
	for _, inst := range idle {
		inst.close(ctx)
		m.e.discards.Add(1)
		m.e.metrics.discarded(discardDropped)
	}
	if closeCompiled {
		m.compiled.Close(ctx)
	}
}
