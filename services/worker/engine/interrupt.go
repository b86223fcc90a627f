package engine

import (
	"errors"
	"fmt"
	"strings"
)

// Interrupting guests.
//
// wazero stops a running guest at its deadline when the runtime is built
// WithCloseOnContextDone: every loop header of the compiled code then calls
// back into Go to check whether the module was closed. Go's wasm output
// opens a loop in every function, so that check costs a Go transition per
// guest function call, which makes a Go workflow about five times slower.
//
// Instead, the engine rewrites each module once, before compiling it. It
// adds two mutable i32 globals, a budget and an interrupt flag, and after
// every "loop" instruction inserts
//
//	budget -= 1
//	if budget == 0 {
//	  budget = yieldEvery
//	  call $sched_yield      ;; the module's own WASI import
//	  if interrupt { unreachable }
//	}
//
// which costs a few instructions per iteration. Every yieldEvery iterations
// the guest calls WASI sched_yield, which the engine implements per instance
// (ModuleConfig.WithOsyield): it checks the deadline and the caller's
// context and sets the interrupt flag when either is done, so the guest
// traps at once and the instance is discarded. The call into Go is also
// what lets the Go scheduler stop the goroutine for garbage collection:
// native code that never calls out cannot be preempted, and a guest looping
// without calling out would stall the whole worker.
//
// Straight-line code needs no check: without a loop, code either ends or
// overflows its stack. A module the rewriter does not handle (one that does
// not import sched_yield, or uses instructions outside what Go and
// AssemblyScript emit) runs on a second runtime with wazero's own checks.

// yieldEvery is how many loop iterations pass between deadline checks: a few
// microseconds of guest work.
const yieldEvery = 4096

// wasiYield is the WASI import the injected code calls.
const wasiYield = "sched_yield"

// interruptExport names the global the rewriter adds.
const interruptExport = "gatehouse_interrupt"

var errNotInstrumentable = errors.New("module cannot be instrumented")

// Section ids.
const (
	secCustom = 0
	secType   = 1
	secImport = 2
	secGlobal = 6
	secExport = 7
	secCode   = 10
)

// instrument returns wasm with the interrupt global and loop checks added.
// It fails (wrapping errNotInstrumentable) for a module it cannot rewrite
// safely; the module then runs with wazero's checks.
func instrument(wasm []byte) ([]byte, error) {
	r := reader{b: wasm}
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" || wasm[4] != 1 || wasm[5] != 0 || wasm[6] != 0 || wasm[7] != 0 {
		return nil, fmt.Errorf("%w: not a wasm 1.0 binary", errNotInstrumentable)
	}
	r.pos = 8

	type section struct {
		id      byte
		payload []byte
	}
	var sections []section
	for r.pos < len(r.b) {
		id := r.byte()
		size := r.u32()
		payload := r.bytes(int(size))
		if r.err != nil {
			return nil, fmt.Errorf("%w: %v", errNotInstrumentable, r.err)
		}
		sections = append(sections, section{id, payload})
	}

	// Find the sched_yield import, count globals and check the export name
	// is free.
	var types []bool // per type index: is () -> i32
	var imp imports
	var definedGlobals uint32
	haveGlobal, haveExport, haveCode := false, false, false
	for _, s := range sections {
		if s.id > 12 {
			return nil, fmt.Errorf("%w: section %d", errNotInstrumentable, s.id)
		}
		switch s.id {
		case secType:
			var err error
			if types, err = yieldTypes(s.payload); err != nil {
				return nil, err
			}
		case secImport:
			var err error
			if imp, err = readImports(s.payload, types); err != nil {
				return nil, err
			}
		case secGlobal:
			haveGlobal = true
			p := reader{b: s.payload}
			definedGlobals = p.u32()
			if p.err != nil {
				return nil, fmt.Errorf("%w: global section: %v", errNotInstrumentable, p.err)
			}
		case secExport:
			haveExport = true
			if exportsName(s.payload, interruptExport) {
				return nil, fmt.Errorf("%w: it already exports %s", errNotInstrumentable, interruptExport)
			}
		case secCode:
			haveCode = true
		}
	}
	if !haveCode {
		return nil, fmt.Errorf("%w: no code section", errNotInstrumentable)
	}
	if !imp.haveYield {
		return nil, fmt.Errorf("%w: it does not import %s.%s", errNotInstrumentable, wasiModule, wasiYield)
	}
	budget := imp.globals + definedGlobals
	global := budget + 1

	// The new globals, appended last so no existing index moves: the budget
	// (mutable i32 = yieldEvery) and the interrupt flag (mutable i32 = 0).
	newGlobals := []byte{0x7f, 0x01, 0x41}
	newGlobals = append(newGlobals, sleb32(yieldEvery)...)
	newGlobals = append(newGlobals, 0x0b, 0x7f, 0x01, 0x41, 0x00, 0x0b)
	newExport := append(wasmName(interruptExport), 0x03)
	newExport = append(newExport, uleb32(global)...)
	check := loopCheck(budget, global, imp.yield)

	out := make([]byte, 0, len(wasm)+len(wasm)/8)
	out = append(out, wasm[:8]...)
	emit := func(id byte, payload []byte) {
		out = append(out, id)
		out = append(out, uleb32(uint32(len(payload)))...)
		out = append(out, payload...)
	}
	// A module without a global or export section gets one, placed before
	// the first section that must follow it.
	for _, s := range sections {
		if !haveGlobal && s.id != secCustom && order(s.id) > order(secGlobal) {
			emit(secGlobal, append([]byte{2}, newGlobals...))
			haveGlobal = true
		}
		if !haveExport && s.id != secCustom && order(s.id) > order(secExport) {
			emit(secExport, append([]byte{1}, newExport...))
			haveExport = true
		}
		switch s.id {
		case secGlobal:
			p := reader{b: s.payload}
			n := p.u32()
			payload := append(uleb32(n+2), s.payload[p.pos:]...)
			emit(secGlobal, append(payload, newGlobals...))
		case secExport:
			p := reader{b: s.payload}
			n := p.u32()
			payload := append(uleb32(n+1), s.payload[p.pos:]...)
			emit(secExport, append(payload, newExport...))
		case secCode:
			code, err := instrumentCode(s.payload, check)
			if err != nil {
				return nil, err
			}
			emit(secCode, code)
		case secCustom:
			// DWARF sections describe code offsets the rewrite moved.
			p := reader{b: s.payload}
			if name := p.bytes(int(p.u32())); p.err == nil && strings.HasPrefix(string(name), ".debug_") {
				continue
			}
			emit(s.id, s.payload)
		default:
			emit(s.id, s.payload)
		}
	}
	return out, nil
}

// order is a section's position in the required order (data count, id 12,
// comes before code).
func order(id byte) int {
	switch id {
	case 12:
		return 10 // after element (9), before code (10 -> 11)
	case 10:
		return 11
	case 11:
		return 12
	default:
		return int(id)
	}
}

// yieldTypes reports, per type index, whether the type is () -> i32.
func yieldTypes(payload []byte) ([]bool, error) {
	p := reader{b: payload}
	n := p.u32()
	types := make([]bool, 0, min(n, 1<<16))
	for i := uint32(0); i < n && p.err == nil; i++ {
		if form := p.byte(); form != 0x60 {
			return nil, fmt.Errorf("%w: type form %#x", errNotInstrumentable, form)
		}
		params := p.bytes(int(p.u32()))
		results := p.bytes(int(p.u32()))
		types = append(types, len(params) == 0 && len(results) == 1 && results[0] == 0x7f)
	}
	if p.err != nil {
		return nil, fmt.Errorf("%w: type section: %v", errNotInstrumentable, p.err)
	}
	return types, nil
}

// imports is what instrument needs from the import section.
type imports struct {
	globals   uint32 // imported globals
	yield     uint32 // function index of sched_yield
	haveYield bool
}

func readImports(payload []byte, types []bool) (imports, error) {
	var imp imports
	p := reader{b: payload}
	n := p.u32()
	var funcs uint32
	for i := uint32(0); i < n && p.err == nil; i++ {
		mod := string(p.bytes(int(p.u32())))
		name := string(p.bytes(int(p.u32())))
		switch kind := p.byte(); kind {
		case 0x00: // func
			typ := p.u32()
			if mod == wasiModule && name == wasiYield && int(typ) < len(types) && types[typ] {
				imp.yield, imp.haveYield = funcs, true
			}
			funcs++
		case 0x01: // table: reftype, limits
			p.byte()
			p.limits()
		case 0x02: // memory
			p.limits()
		case 0x03: // global: valtype, mut
			p.byte()
			p.byte()
			imp.globals++
		default:
			return imports{}, fmt.Errorf("%w: import kind %#x", errNotInstrumentable, kind)
		}
	}
	if p.err != nil {
		return imports{}, fmt.Errorf("%w: import section: %v", errNotInstrumentable, p.err)
	}
	return imp, nil
}

// loopCheck is the code inserted after each loop instruction.
func loopCheck(budget, interrupt, yield uint32) []byte {
	var c []byte
	op := func(b ...byte) { c = append(c, b...) }
	op(0x23)
	op(uleb32(budget)...) // global.get $budget
	op(0x41, 0x7f)        // i32.const -1
	op(0x6a)              // i32.add
	op(0x24)
	op(uleb32(budget)...) // global.set $budget
	op(0x23)
	op(uleb32(budget)...) // global.get $budget
	op(0x45)              // i32.eqz
	op(0x04, 0x40)        // if
	op(0x41)
	op(sleb32(yieldEvery)...) // i32.const yieldEvery
	op(0x24)
	op(uleb32(budget)...) // global.set $budget
	op(0x10)
	op(uleb32(yield)...) // call $sched_yield
	op(0x1a)             // drop
	op(0x23)
	op(uleb32(interrupt)...)   // global.get $interrupt
	op(0x04, 0x40, 0x00, 0x0b) // if unreachable end
	op(0x0b)                   // end
	return c
}

func exportsName(payload []byte, name string) bool {
	p := reader{b: payload}
	n := p.u32()
	for i := uint32(0); i < n && p.err == nil; i++ {
		if string(p.bytes(int(p.u32()))) == name {
			return true
		}
		p.byte()
		p.u32()
	}
	return false
}

// instrumentCode rewrites every function body of the code section.
func instrumentCode(payload, check []byte) ([]byte, error) {
	p := reader{b: payload}
	n := p.u32()
	out := make([]byte, 0, len(payload)+len(payload)/8)
	out = append(out, uleb32(n)...)
	var body []byte
	for i := uint32(0); i < n; i++ {
		size := p.u32()
		fn := p.bytes(int(size))
		if p.err != nil {
			return nil, fmt.Errorf("%w: code section: %v", errNotInstrumentable, p.err)
		}
		var err error
		body, err = instrumentBody(body[:0], fn, check)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		out = append(out, uleb32(uint32(len(body)))...)
		out = append(out, body...)
	}
	if p.pos != len(payload) {
		return nil, fmt.Errorf("%w: trailing bytes in the code section", errNotInstrumentable)
	}
	return out, nil
}

// instrumentBody copies one function body into out, inserting check after
// each loop instruction.
func instrumentBody(out, fn, check []byte) ([]byte, error) {
	p := reader{b: fn}
	locals := p.u32()
	for i := uint32(0); i < locals; i++ {
		p.u32()
		p.byte()
	}
	if p.err != nil {
		return nil, fmt.Errorf("%w: locals: %v", errNotInstrumentable, p.err)
	}
	out = append(out, fn[:p.pos]...)
	for p.pos < len(fn) {
		start := p.pos
		op := p.byte()
		isLoop := op == 0x03
		if err := p.skipImmediates(op); err != nil {
			return nil, err
		}
		if p.err != nil {
			return nil, fmt.Errorf("%w: %v", errNotInstrumentable, p.err)
		}
		out = append(out, fn[start:p.pos]...)
		if isLoop {
			out = append(out, check...)
		}
	}
	return out, nil
}

// reader decodes wasm binary primitives; the first error sticks.
type reader struct {
	b   []byte
	pos int
	err error
}

var errTruncated = errors.New("truncated")

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.pos >= len(r.b) {
		r.err = errTruncated
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || r.pos+n > len(r.b) {
		r.err = errTruncated
		return nil
	}
	b := r.b[r.pos : r.pos+n]
	r.pos += n
	return b
}

// leb skips an LEB128 number of at most maxBytes bytes and returns its low
// 32 bits (unsigned).
func (r *reader) leb(maxBytes int) uint32 {
	var v uint32
	for i := 0; i < maxBytes; i++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		if i < 5 {
			v |= uint32(c&0x7f) << (7 * i)
		}
		if c&0x80 == 0 {
			return v
		}
	}
	r.err = errors.New("LEB128 number too long")
	return 0
}

func (r *reader) u32() uint32 { return r.leb(5) }

func (r *reader) limits() {
	switch flag := r.byte(); flag {
	case 0x00:
		r.u32()
	case 0x01:
		r.u32()
		r.u32()
	default:
		r.err = fmt.Errorf("limits flag %#x", flag)
	}
}

// blockType skips a block type: 0x40, a value type, or an s33 type index.
func (r *reader) blockType() {
	if r.pos < len(r.b) {
		switch r.b[r.pos] {
		case 0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
			r.pos++
			return
		}
	}
	r.leb(5)
}

// skipImmediates skips the immediates of opcode op: the MVP instruction set
// plus sign extension, saturating conversions, bulk memory, reference types
// and tail calls. Anything else (SIMD, threads, exceptions, GC) is refused.
func (r *reader) skipImmediates(op byte) error {
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
		r.blockType()
	case op == 0x0c || op == 0x0d: // br, br_if
		r.u32()
	case op == 0x0e: // br_table
		n := r.u32()
		for i := uint32(0); i <= n && r.err == nil; i++ {
			r.u32()
		}
	case op == 0x10 || op == 0x12: // call, return_call
		r.u32()
	case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
		r.u32()
		r.u32()
	case op == 0x1c: // select t*
		n := r.u32()
		r.bytes(int(n))
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
		r.u32()
	case op >= 0x28 && op <= 0x3e: // loads and stores: memarg
		align := r.u32()
		if align >= 64 {
			return fmt.Errorf("%w: multi-memory access", errNotInstrumentable)
		}
		r.u32()
	case op == 0x3f || op == 0x40: // memory.size, memory.grow
		r.u32()
	case op == 0x41: // i32.const
		r.leb(5)
	case op == 0x42: // i64.const
		r.leb(10)
	case op == 0x43:
		r.bytes(4)
	case op == 0x44:
		r.bytes(8)
	case op <= 0x01, op == 0x05, op == 0x0b, op == 0x0f, op == 0x1a, op == 0x1b:
		// unreachable, nop, else, end, return, drop, select
	case op >= 0x45 && op <= 0xc4: // numeric, sign extension
	case op == 0xd0: // ref.null t
		r.byte()
	case op == 0xd1: // ref.is_null
	case op == 0xd2: // ref.func
		r.u32()
	case op == 0xfc:
		sub := r.u32()
		switch {
		case sub <= 7: // saturating truncation
		case sub == 8: // memory.init
			r.u32()
			r.u32()
		case sub == 9, sub == 11, sub == 13, sub == 15, sub == 16, sub == 17: // data.drop, memory.fill, elem.drop, table.grow/size/fill
			r.u32()
		case sub == 10, sub == 12, sub == 14: // memory.copy, table.init, table.copy
			r.u32()
			r.u32()
		default:
			return fmt.Errorf("%w: instruction 0xfc %d", errNotInstrumentable, sub)
		}
	default:
		return fmt.Errorf("%w: instruction %#x", errNotInstrumentable, op)
	}
	return nil
}

func uleb32(v uint32) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			c |= 0x80
		}
		b = append(b, c)
		if v == 0 {
			return b
		}
	}
}

func sleb32(v int32) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		done := (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0)
		if !done {
			c |= 0x80
		}
		b = append(b, c)
		if done {
			return b
		}
	}
}

func wasmName(s string) []byte { return append(uleb32(uint32(len(s))), s...) }
