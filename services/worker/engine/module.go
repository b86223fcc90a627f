package engine

import (
	"context"
	"sync"

	"github.com/tetratelabs/wazero"

	"github.com/gatehouse-id/gatehouse/wasm-sdk/go/abi"
)

// Module is a compiled, validated workflow module with its pools of warm
// instances. Get one from Engine.Compile; it stays usable until Engine.Drop.
//
// Warm instances are pooled per environment (Run.Env): an instance that ran
// an execution for one environment never runs one for another, so nothing a
// workflow keeps in its memory (an environment variable it read, a fetched
// response) can leak across environments. Instances that have not run an
// execution yet (the one Compile made) can go to any environment.
type Module struct {
	e        *Engine
	sha      string
	size     int
	compiled wazero.CompiledModule
	settings abi.Settings
	policy   string

	// declared and available are the bindings the settings declare (plus
	// the native ones) and the bindings available for the trigger.
	declared, available bindingSet

	mu      sync.Mutex
	fresh   []*instance            // idle, never ran an execution
	pools   map[string][]*instance // idle, by environment
	idle    int                    // instances in fresh and pools
	live    int                    // instances alive (idle or running); compiled closes at 0 once dropped
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
	return m.idle
}

// maxEmptyPools is how many environments keep an empty pool (and its
// backing array) in a Module; past it, emptied pools are deleted.
const maxEmptyPools = 16

// pop removes and returns the last instance of s.
func pop(s *[]*instance) *instance {
	n := len(*s)
	inst := (*s)[n-1]
	(*s)[n-1] = nil
	*s = (*s)[:n-1]
	return inst
}

// acquire takes a warm instance of environment env, or one that has not run
// yet, or instantiates a new one. The instance is bound to env.
func (m *Module) acquire(ctx context.Context, env string) (*instance, error) {
	m.mu.Lock()
	var inst *instance
	if pool := m.pools[env]; len(pool) > 0 {
		inst = pop(&pool)
		if len(pool) == 0 && len(m.pools) > maxEmptyPools {
			delete(m.pools, env)
		} else {
			m.pools[env] = pool // keep the backing array for release
		}
	} else if len(m.fresh) > 0 {
		inst = pop(&m.fresh)
	}
	if inst != nil {
		m.idle--
		m.mu.Unlock()
		m.e.metrics.poolAdd(-1)
		inst.env, inst.bound = env, true
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
	inst.env, inst.bound = env, true
	return inst, nil
}

// release returns inst to its pool, or closes it when discard names a
// reason, when it has served RecycleAfter runs, when its memory grew past
// half of Limits.MemoryPages, when the pool is full or when the module was
// dropped.
func (m *Module) release(inst *instance, discard string) {
	limits := &m.e.limits
	if discard == "" && limits.RecycleAfter > 0 && inst.runs >= limits.RecycleAfter {
		discard = discardRecycled
	}
	if discard == "" && uint64(inst.mem.Size()) > uint64(limits.MemoryPages)*65536/2 {
		discard = discardMemoryHigh
	}
	m.mu.Lock()
	if discard == "" {
		n := len(m.fresh)
		if inst.bound {
			n = len(m.pools[inst.env])
		}
		switch {
		case m.dropped:
			discard = discardDropped
		case n >= limits.PoolSize:
			discard = discardPoolFull
		default:
			if !inst.bound {
				m.fresh = append(m.fresh, inst)
			} else {
				if m.pools == nil {
					m.pools = make(map[string][]*instance)
				}
				m.pools[inst.env] = append(m.pools[inst.env], inst)
			}
			m.idle++
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

// drop closes the idle instances of every pool and, once no instance is
// running, the compiled code.
func (m *Module) drop(ctx context.Context) {
	m.mu.Lock()
	if m.dropped {
		m.mu.Unlock()
		return
	}
	m.dropped = true
	idle := m.fresh
	for _, pool := range m.pools {
		idle = append(idle, pool...)
	}
	m.fresh, m.pools, m.idle = nil, nil, 0
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
