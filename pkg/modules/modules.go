package modules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Module is one startable unit.
type Module struct {
	Name     string
	Deps     []string
	Internal bool   // not selectable with -target; started when a target needs it
	Help     string // one line for -list-targets
	// Start starts the module and returns how to stop it.
	Start func(ctx context.Context) (stop func(ctx context.Context) error, err error)
}

// Manager holds the registered modules.
type Manager struct {
	mods  map[string]Module
	order []string
	log   *slog.Logger
}

// New returns an empty manager.
func New(log *slog.Logger) *Manager {
	if log == nil {
		log = slog.Default()
	}
	return &Manager{mods: map[string]Module{}, log: log}
}

// Register adds a module. Registering a name twice panics: it is a wiring bug.
func (m *Manager) Register(mod Module) {
	if _, dup := m.mods[mod.Name]; dup {
		panic("modules: duplicate module " + mod.Name)
	}
	m.mods[mod.Name] = mod
	m.order = append(m.order, mod.Name)
}

// Targets lists the selectable modules in registration order.
func (m *Manager) Targets() []Module {
	var out []Module
	for _, n := range m.order {
		if !m.mods[n].Internal {
			out = append(out, m.mods[n])
		}
	}
	return out
}

// Resolve expands a comma list of targets ("all" = every target) into the
// modules to start, dependencies first.
func (m *Manager) Resolve(targets string) ([]string, error) {
	var want []string
	var errs []error
	for _, t := range strings.Split(targets, ",") {
		t = strings.TrimSpace(t)
		switch mod, ok := m.mods[t]; {
		case t == "":
		case t == "all":
			for _, x := range m.Targets() {
				want = append(want, x.Name)
			}
		case !ok || mod.Internal:
			names := []string{"all"}
			for _, x := range m.Targets() {
				names = append(names, x.Name)
			}
			errs = append(errs, fmt.Errorf("unknown target %q (targets: %s)", t, strings.Join(names, ", ")))
		default:
			want = append(want, t)
		}
	}
	if len(want) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("no target selected"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n string, path []string) error
	visit = func(n string, path []string) error {
		switch state[n] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("dependency cycle: %s", strings.Join(append(path, n), " → "))
		}
		mod, ok := m.mods[n]
		if !ok {
			return fmt.Errorf("module %s depends on unknown module %s", path[len(path)-1], n)
		}
		state[n] = 1
		for _, d := range mod.Deps {
			if err := visit(d, append(path, n)); err != nil {
				return err
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range want {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// Running is a started set of modules.
type Running struct {
	names []string
	stops []func(ctx context.Context) error
	log   *slog.Logger
}

// Start starts the targets and their dependencies in order. If one fails to
// start, those already started are stopped in reverse and the error returned.
func (m *Manager) Start(ctx context.Context, targets string) (*Running, error) {
	order, err := m.Resolve(targets)
	if err != nil {
		return nil, err
	}
	r := &Running{log: m.log}
	for _, n := range order {
		begin := time.Now()
		stop, err := m.mods[n].Start(ctx)
		if err != nil {
			stopErr := r.Stop(context.WithoutCancel(ctx))
			return nil, errors.Join(fmt.Errorf("start %s: %w", n, err), stopErr)
		}
		if stop == nil {
			stop = func(context.Context) error { return nil }
		}
		r.names = append(r.names, n)
		r.stops = append(r.stops, stop)
		m.log.Debug("module started", "module", n, "took", time.Since(begin))
	}
	return r, nil
}

// Names lists the started modules in start order.
func (r *Running) Names() []string { return slices.Clone(r.names) }

// Stop stops the modules in reverse start order, all of them even if some fail.
func (r *Running) Stop(ctx context.Context) error {
	var errs []error
	for i := len(r.stops) - 1; i >= 0; i-- {
		if err := r.stops[i](ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", r.names[i], err))
		}
	}
	r.stops, r.names = nil, nil
	return errors.Join(errs...)
}
