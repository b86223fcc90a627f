package engine

import (
	"errors"
	"fmt"
	"strings"
)

// Interrupting guests.
//
// A workflow runs as native code compiled by wazero, which a goroutine
// cannot preempt: code that never calls out keeps its thread until it
// returns, and stalls every other goroutine at the next garbage collection
// (stop-the-world waits for it). wazero's WithCloseOnContextDone would add a
// call into Go at every loop header, which makes a Go workflow about five
// times slower, and still does not bound code without loops.
//
// Instead, the engine rewrites each module once, before compiling it. It
// adds two mutable i32 globals, a budget and an interrupt flag, and inserts
// a budget check
//
//	budget -= cost
//	if budget <= 0 {
//	  budget = yieldEvery
//	  call $sched_yield      ;; the module's own WASI import
//	  if interrupt { unreachable }
//	}
//
// at the entry of every function (cost 1; left out when straight-line code
// from the entry always reaches a loop), after every "loop" instruction
// (cost 1) and before every bulk memory or table instruction (memory.init,
// memory.copy, memory.fill, table.init, table.copy, table.grow, table.fill;
// cost bulkCost, since one of them may touch the whole memory). The check is
// stack-neutral and costs a few instructions.
//
// Every yieldEvery units the guest calls WASI sched_yield, which the engine
// implements per instance (ModuleConfig.WithOsyield): it checks the deadline
// and the caller's context and sets the interrupt flag when either is done,
// so the guest traps at once and the instance is discarded. The call into Go
// is also what lets the Go scheduler stop the goroutine for garbage
// collection.
//
// # Guarantees
//
// Wasm code only runs backwards through a loop and only re-enters code
// through a call, so between two checks a guest executes at most yieldEvery
// loop iterations or function entries, each followed by straight-line code
// no longer than one function body, and at most yieldEvery/bulkCost bulk
// instructions. The guest cannot reach the injected globals: the rewriter
// refuses a module whose code names a global, or calls a function, outside
// its own index space, and one whose sections are duplicated or out of
// order.
//
// A module the rewriter cannot handle is refused (Compile returns
// ErrInvalidModule): one that does not import sched_yield with the WASI
// signature (every Go wasip1 module does), one with a start function (a
// workflow module is a reactor; the start function would run before any
// deadline is armed), or one using instructions outside what Go and
// AssemblyScript emit (SIMD, threads, exceptions, GC).

// yieldEvery is how many budget units (loop iterations or function calls)
// pass between deadline checks: a few microseconds of guest work.
const yieldEvery = 4096

// bulkCost is the budget a bulk memory or table instruction takes: at most
// yieldEvery/bulkCost = 16 of them run between two deadline checks.
const bulkCost = 256

// wasiYield is the WASI import the injected code calls.
const wasiYield = "sched_yield"

// interruptExport names the global the rewriter adds.
const interruptExport = "gatehouse_interrupt"

// errNotInstrumentable wraps the reasons a well-formed module cannot be
// rewritten; errMalformed the reasons the bytes are not a module at all;
// errStartFunction refuses a start section.
var (
	errNotInstrumentable = errors.New("module cannot be instrumented")
	errMalformed         = errors.New("malformed module")
	errStartFunction     = errors.New("start function")
)

// Section ids.
const (
	secCustom   = 0
	secType     = 1
	secImport   = 2
	secFunction = 3
	secTable    = 4
	secGlobal   = 6
	secExport   = 7
	secStart    = 8
	secCode     = 10
)

// instrument returns wasm with the interrupt globals and budget checks
// added. It fails with an error wrapping errMalformed, errStartFunction or
// errNotInstrumentable; Compile refuses such a module.
func instrument(wasm []byte) ([]byte, error) {
	r := reader{b: wasm}
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" || wasm[4] != 1 || wasm[5] != 0 || wasm[6] != 0 || wasm[7] != 0 {
		return nil, fmt.Errorf("%w: not a wasm 1.0 binary", errMalformed)
	}
	r.pos = 8

	type section struct {
		id      byte
		payload []byte
	}
	var sections []section
	last := -1 // order of the last non-custom section
	for r.pos < len(r.b) {
		id := r.byte()
		size := r.u32()
		payload := r.bytes(int(size))
		if r.err != nil {
			return nil, fmt.Errorf("%w: section %d: %v", errMalformed, id, r.err)
		}
		if id > 12 {
			return nil, fmt.Errorf("%w: unknown section %d", errNotInstrumentable, id)
		}
		if id != secCustom {
			if o := order(id); o <= last {
				return nil, fmt.Errorf("%w: section %d is duplicated or out of order", errMalformed, id)
			} else {
				last = o
			}
		}
		sections = append(sections, section{id, payload})
	}

	// Find the sched_yield import, count globals and functions and check
	// the export name is free.
	var types []bool // per type index: is () -> i32
	var imp imports
	var definedGlobals, definedFuncs uint32
	haveGlobal, haveExport, haveCode := false, false, false
	for _, s := range sections {
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
		case secFunction:
			p := reader{b: s.payload}
			definedFuncs = p.u32()
			if p.err != nil {
				return nil, fmt.Errorf("%w: function section: %v", errMalformed, p.err)
			}
		case secGlobal:
			haveGlobal = true
			p := reader{b: s.payload}
			definedGlobals = p.u32()
			if p.err != nil {
				return nil, fmt.Errorf("%w: global section: %v", errMalformed, p.err)
			}
		case secExport:
			haveExport = true
			if exportsName(s.payload, interruptExport) {
				return nil, fmt.Errorf("%w: it already exports %s", errNotInstrumentable, interruptExport)
			}
		case secStart:
			return nil, errStartFunction
		case secCode:
			haveCode = true
		}
	}
	if !haveCode {
		return nil, fmt.Errorf("%w: no code section", errNotInstrumentable)
	}
	if !imp.haveYield {
		return nil, fmt.Errorf("%w: it does not import %s.%s with signature () -> i32", errNotInstrumentable, wasiModule, wasiYield)
	}
	globals := imp.globals + definedGlobals
	if globals < imp.globals || globals > 1<<20 || imp.funcs+definedFuncs < imp.funcs {
		return nil, fmt.Errorf("%w: too many globals or functions", errMalformed)
	}
	budget := globals
	global := budget + 1

	// The new globals, appended last so no existing index moves: the budget
	// (mutable i32 = yieldEvery) and the interrupt flag (mutable i32 = 0).
	newGlobals := []byte{0x7f, 0x01, 0x41}
	newGlobals = append(newGlobals, sleb32(yieldEvery)...)
	newGlobals = append(newGlobals, 0x0b, 0x7f, 0x01, 0x41, 0x00, 0x0b)
	newExport := append(wasmName(interruptExport), 0x03)
	newExport = append(newExport, uleb32(global)...)
	rw := &rewriter{
		globals: globals,
		funcs:   imp.funcs + definedFuncs,
		check:   budgetCheck(budget, global, imp.yield, 1),
		bulk:    budgetCheck(budget, global, imp.yield, bulkCost),
	}

	out := make([]byte, 0, len(wasm)+len(wasm)/4)
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
		case secTable:
			tables, err := boundTables(s.payload)
			if err != nil {
				return nil, err
			}
			emit(secTable, tables)
		case secCode:
			code, err := rw.code(s.payload)
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

// maxTableEntries bounds every table a module defines. Linear memory has its
// page limit; tables live outside it, so a module declaring (or growing) a
// table of millions of entries would allocate host memory in every instance.
// Go modules need one entry per function that is called indirectly: a few
// thousand.
const maxTableEntries = 1 << 18

// boundTables rewrites the table section so that every table has a maximum
// of at most maxTableEntries (table.grow past it fails, as wasm defines), and
// refuses a table whose initial size is already larger.
func boundTables(payload []byte) ([]byte, error) {
	p := reader{b: payload}
	n := p.u32()
	out := uleb32(n)
	for i := uint32(0); i < n && p.err == nil; i++ {
		reftype, flags := p.byte(), p.byte()
		lo := p.u32()
		hi := uint32(maxTableEntries)
		switch flags {
		case 0x00:
		case 0x01:
			m := p.u32()
			if m < lo {
				return nil, fmt.Errorf("%w: table %d has a maximum below its minimum", errMalformed, i)
			}
			if m < hi {
				hi = m
			}
		default:
			return nil, fmt.Errorf("%w: table %d has limits flags %#x", errNotInstrumentable, i, flags)
		}
		if p.err != nil {
			break
		}
		if lo > maxTableEntries {
			return nil, fmt.Errorf("%w: table %d starts with %d entries; the limit is %d", errNotInstrumentable, i, lo, maxTableEntries)
		}
		if hi < lo {
			hi = lo // lo <= maxTableEntries: the bound only lowers a larger maximum
		}
		out = append(out, reftype, 0x01)
		out = append(out, uleb32(lo)...)
		out = append(out, uleb32(hi)...)
	}
	if p.err != nil || p.pos != len(p.b) {
		return nil, fmt.Errorf("%w: table section", errMalformed)
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
		return nil, fmt.Errorf("%w: type section: %v", errMalformed, p.err)
	}
	return types, nil
}

// imports is what instrument needs from the import section.
type imports struct {
	globals   uint32 // imported globals
	funcs     uint32 // imported functions
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
		return imports{}, fmt.Errorf("%w: import section: %v", errMalformed, p.err)
	}
	imp.funcs = funcs
	return imp, nil
}

// budgetCheck is the code inserted at function entries, after loop
// instructions (cost 1) and before bulk instructions (cost bulkCost). It
// leaves the operand stack as it found it.
func budgetCheck(budget, interrupt, yield uint32, cost int32) []byte {
	var c []byte
	op := func(b ...byte) { c = append(c, b...) }
	op(0x23)
	op(uleb32(budget)...) // global.get $budget
	op(0x41)
	op(sleb32(cost)...) // i32.const cost
	op(0x6b)            // i32.sub
	op(0x24)
	op(uleb32(budget)...) // global.set $budget
	op(0x23)
	op(uleb32(budget)...) // global.get $budget
	op(0x41, 0x00)        // i32.const 0
	op(0x4c)              // i32.le_s
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

// rewriter inserts the budget checks into the code section.
type rewriter struct {
	globals uint32 // globals of the original module (imported + defined)
	funcs   uint32 // functions of the original module (imported + defined)
	check   []byte // the cost-1 check
	bulk    []byte // the bulkCost check
}

// code rewrites every function body of the code section.
func (rw *rewriter) code(payload []byte) ([]byte, error) {
	p := reader{b: payload}
	n := p.u32()
	out := make([]byte, 0, len(payload)+len(payload)/4)
	out = append(out, uleb32(n)...)
	var body []byte
	for i := uint32(0); i < n; i++ {
		size := p.u32()
		fn := p.bytes(int(size))
		if p.err != nil {
			return nil, fmt.Errorf("%w: code section: %v", errMalformed, p.err)
		}
		var err error
		body, err = rw.body(body[:0], fn)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		out = append(out, uleb32(uint32(len(body)))...)
		out = append(out, body...)
	}
	if p.err != nil || p.pos != len(payload) {
		return nil, fmt.Errorf("%w: trailing bytes in the code section", errMalformed)
	}
	return out, nil
}

// body copies one function body into out, inserting a check at its entry,
// after each loop instruction and before each bulk instruction. It refuses
// references to globals or functions the original module does not have:
// those would reach what the rewrite added.
func (rw *rewriter) body(out, fn []byte) ([]byte, error) {
	p := reader{b: fn}
	locals := p.u32()
	for i := uint32(0); i < locals && p.err == nil; i++ {
		p.u32()
		p.byte()
	}
	if p.err != nil {
		return nil, fmt.Errorf("%w: locals: %v", errMalformed, p.err)
	}
	out = append(out, fn[:p.pos]...)
	if !reachesLoop(fn, p.pos) {
		out = append(out, rw.check...)
	}
	for p.pos < len(fn) {
		start := p.pos
		op := p.byte()
		imm, err := p.skipImmediates(op)
		if err != nil {
			return nil, err
		}
		if p.err != nil {
			return nil, fmt.Errorf("%w: %v", errMalformed, p.err)
		}
		switch {
		case op == 0x23 || op == 0x24: // global.get, global.set
			if imm >= rw.globals {
				return nil, fmt.Errorf("%w: global index %d out of range (the module has %d globals)", errMalformed, imm, rw.globals)
			}
		case op == 0x10 || op == 0x12 || op == 0xd2: // call, return_call, ref.func
			if imm >= rw.funcs {
				return nil, fmt.Errorf("%w: function index %d out of range (the module has %d functions)", errMalformed, imm, rw.funcs)
			}
		case op == 0xfc && isBulk(imm):
			out = append(out, rw.bulk...)
		}
		out = append(out, fn[start:p.pos]...)
		if op == 0x03 { // loop
			out = append(out, rw.check...)
		}
	}
	return out, nil
}

// reachesLoop reports whether the code of fn from pos always reaches a loop
// instruction through straight-line code: blocks, local and global
// accesses, constants, loads, stores and arithmetic, with no branch, call,
// return or end. The check after that loop then runs on every entry, and
// the entry check is redundant. Most Go functions start this way.
func reachesLoop(fn []byte, pos int) bool {
	r := reader{b: fn, pos: pos}
	for r.pos < len(fn) {
		op := r.byte()
		switch {
		case op == 0x03: // loop
			return true
		case op == 0x01 || op == 0x02 || op == 0x1a || op == 0x1b: // nop, block, drop, select
		case op >= 0x20 && op <= 0x24: // local.*, global.*
		case op >= 0x28 && op <= 0x3e: // loads and stores
		case op >= 0x41 && op <= 0xc4: // constants, comparisons, arithmetic
		default:
			return false
		}
		if _, err := r.skipImmediates(op); err != nil || r.err != nil {
			return false
		}
	}
	return false
}

// isBulk reports whether 0xfc sub-opcode sub may touch many bytes or
// elements: memory.init, memory.copy, memory.fill, table.init, table.copy,
// table.grow, table.fill.
func isBulk(sub uint32) bool {
	switch sub {
	case 8, 10, 11, 12, 14, 15, 17:
		return true
	}
	return false
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

// skipImmediates skips the immediates of opcode op and returns the first
// index immediate of global.*, call, return_call and ref.func, and the
// sub-opcode of 0xfc. It knows the MVP instruction set plus sign extension,
// saturating conversions, bulk memory, reference types and tail calls.
// Anything else (SIMD, threads, exceptions, GC) is refused.
func (r *reader) skipImmediates(op byte) (uint32, error) {
	var imm uint32
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
		imm = r.u32()
	case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
		r.u32()
		r.u32()
	case op == 0x1c: // select t*
		n := r.u32()
		r.bytes(int(n))
	case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
		imm = r.u32()
	case op >= 0x28 && op <= 0x3e: // loads and stores: memarg
		align := r.u32()
		if align >= 64 {
			return 0, fmt.Errorf("%w: multi-memory access", errNotInstrumentable)
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
		imm = r.u32()
	case op == 0xfc:
		sub := r.u32()
		imm = sub
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
			return 0, fmt.Errorf("%w: instruction 0xfc %d", errNotInstrumentable, sub)
		}
	default:
		return 0, fmt.Errorf("%w: instruction %#x", errNotInstrumentable, op)
	}
	return imm, nil
}

// uleb encodes v as an unsigned LEB128 number.
func uleb(v uint64) []byte {
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

// sleb encodes v as a signed LEB128 number.
func sleb(v int64) []byte {
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

func uleb32(v uint32) []byte { return uleb(uint64(v)) }

func sleb32(v int32) []byte { return sleb(int64(v)) }

func wasmName(s string) []byte { return append(uleb32(uint32(len(s))), s...) }
