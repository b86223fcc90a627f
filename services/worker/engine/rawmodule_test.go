package engine

import "strings"

// A tiny WebAssembly assembler for hand-made test modules: they compile in
// microseconds, so Compile's checks can be tested on many variants, and they
// can do what no Go program does (trap with unreachable, skip exports).

// rawModule describes a hand-made module with the ABI v1 export shape.
//
// Types: 0 () -> (), 1 () -> i32, 2 () -> i64, 3 (i32) -> i32,
// 4 (i32, i32) -> i32, 5 (i32 x5) -> i32, 6 (i32 x3) -> i32.
// Imports, in order: WASI sched_yield (unless noYield), the host function
// call, the host functions hostFns, env.mystery (badImport). Functions:
// _initialize, gatehouse_abi_version, gatehouse_settings, gatehouse_alloc,
// gatehouse_handle, then extra (see fnIndex).
type rawModule struct {
	version  int32  // returned by gatehouse_abi_version
	settings string // exported by gatehouse_settings
	handle   string // body of gatehouse_handle: "ok", "trap", "loop", "call"
	// call is the host function "call" invokes as fn(1024, 0) with the
	// (ptr, len) of the settings JSON: for gating tests.
	call string
	// omit leaves an export out.
	omit string
	// badImport adds an import the host does not provide.
	badImport bool
	// noYield leaves out the WASI sched_yield import every Go module has,
	// without which the engine refuses the module (interrupt.go).
	noYield bool
	// initLoop makes _initialize loop forever.
	initLoop bool

	// hostFns are more "gatehouse" imports with their type indexes.
	hostFns []rawImport
	// handleCode replaces the body of gatehouse_handle (without its end).
	handleCode []byte
	// handleLocals are the locals of gatehouse_handle: that many i32, from
	// local index 2 (after the two parameters).
	handleLocals int
	// extra are functions defined after gatehouse_handle.
	extra []rawFunc
	// start adds a start section naming this function index.
	start *uint32
	// memPages is the memory minimum (default 1).
	memPages uint32
	// data is placed in memory at dataAt.
	data string
	// table is the payload of a table section, if any.
	table []byte
}

// rawImport is a host function import.
type rawImport struct {
	name string
	typ  uint32
}

// rawFunc is a defined function: its type and body (without its end).
type rawFunc struct {
	typ  uint32
	body []byte
}

const (
	opUnreachable = 0x00
	opLoop        = 0x03
	opBr          = 0x0c
	opBrIf        = 0x0d
	opEnd         = 0x0b
	opCall        = 0x10
	opDrop        = 0x1a
	opLocalGet    = 0x20
	opLocalSet    = 0x21
	opLocalTee    = 0x22
	opGlobalGet   = 0x23
	opGlobalSet   = 0x24
	opI32Const    = 0x41
	opI64Const    = 0x42
	opI32LtU      = 0x49
	opI32Add      = 0x6a
	tI32          = 0x7f
	tI64          = 0x7e
	settingsAt    = 1024
	dataAt        = 2048
	eventAt       = 8192
)

// loopForever is a body that never ends.
var loopForever = []byte{opLoop, 0x40, opBr, 0, opEnd}

func (r rawModule) imports() [][]byte {
	var imports [][]byte
	if !r.noYield {
		imports = append(imports, importFn("wasi_snapshot_preview1", "sched_yield", 1))
	}
	if r.call != "" {
		imports = append(imports, importFn("gatehouse", r.call, 4))
	}
	for _, h := range r.hostFns {
		imports = append(imports, importFn("gatehouse", h.name, h.typ))
	}
	if r.badImport {
		imports = append(imports, importFn("env", "mystery", 0))
	}
	return imports
}

// hostIndex returns the function index of host function hostFns[k].
func (r rawModule) hostIndex(k int) uint32 {
	n := uint32(k)
	if !r.noYield {
		n++
	}
	if r.call != "" {
		n++
	}
	return n
}

// fnIndex returns the function index of defined function k: 0 is
// _initialize, 4 gatehouse_handle, 5 the first of extra.
func (r rawModule) fnIndex(k int) uint32 { return uint32(len(r.imports()) + k) }

func (r rawModule) bytes() []byte {
	types := [][]byte{
		fnType(nil, nil),                                           // 0: _initialize
		fnType(nil, []byte{tI32}),                                  // 1: abi version, sched_yield
		fnType(nil, []byte{tI64}),                                  // 2: settings
		fnType([]byte{tI32}, []byte{tI32}),                         // 3: alloc
		fnType([]byte{tI32, tI32}, []byte{tI32}),                   // 4: handle, 2-arg host fns
		fnType([]byte{tI32, tI32, tI32, tI32, tI32}, []byte{tI32}), // 5: set_claim
		fnType([]byte{tI32, tI32, tI32}, []byte{tI32}),             // 6: log, mfa_factors
	}
	imports := r.imports()
	nImports := uint32(len(imports))

	type fn struct {
		name   string
		typ    uint32
		locals []byte
		body   []byte
	}
	handle := []byte{opI32Const, 0}
	switch r.handle {
	case "trap":
		handle = []byte{opUnreachable}
	case "loop":
		handle = []byte{opLoop, 0x40, opBr, 0, opEnd, opI32Const, 0}
	case "call":
		handle = append([]byte{opI32Const}, sleb(settingsAt)...)
		handle = append(handle, opI32Const)
		handle = append(handle, sleb(int64(len(r.settings)))...)
		callIdx := byte(0)
		if !r.noYield {
			callIdx = 1 // after sched_yield
		}
		handle = append(handle, opCall, callIdx, opDrop, opI32Const, 0)
	}
	if r.handleCode != nil {
		handle = r.handleCode
	}
	handleLocals := []byte{0}
	if r.handleLocals > 0 {
		handleLocals = append([]byte{1}, append(uleb(uint64(r.handleLocals)), tI32)...)
	}
	var initBody []byte
	if r.initLoop {
		initBody = loopForever
	}
	fns := []fn{
		{"_initialize", 0, nil, initBody},
		{"gatehouse_abi_version", 1, nil, append([]byte{opI32Const}, sleb(int64(r.version))...)},
		{"gatehouse_settings", 2, nil, append([]byte{opI64Const}, sleb(int64(settingsAt)<<32|int64(len(r.settings)))...)},
		{"gatehouse_alloc", 3, nil, append([]byte{opI32Const}, sleb(eventAt)...)},
		{"gatehouse_handle", 4, handleLocals, handle},
	}
	for _, x := range r.extra {
		fns = append(fns, fn{"", x.typ, nil, x.body})
	}

	out := []byte{0x00, 'a', 's', 'm', 1, 0, 0, 0}
	out = append(out, section(1, vec(types))...)
	if len(imports) > 0 {
		out = append(out, section(2, vec(imports))...)
	}
	var funcIdx, code, exports [][]byte
	for i, f := range fns {
		funcIdx = append(funcIdx, uleb(uint64(f.typ)))
		locals := f.locals
		if locals == nil {
			locals = []byte{0}
		}
		body := append(append(append([]byte{}, locals...), f.body...), opEnd)
		code = append(code, append(uleb(uint64(len(body))), body...))
		if f.name != "" && f.name != r.omit {
			exports = append(exports, export(f.name, 0, nImports+uint32(i)))
		}
	}
	exports = append(exports, export("memory", 2, 0))
	pages := r.memPages
	if pages == 0 {
		pages = 1
	}
	out = append(out, section(3, vec(funcIdx))...)
	if r.table != nil {
		out = append(out, section(4, r.table)...)
	}
	out = append(out, section(5, vec([][]byte{append([]byte{0x00}, uleb(uint64(pages))...)}))...)
	out = append(out, section(7, vec(exports))...)
	if r.start != nil {
		out = append(out, section(8, uleb(uint64(*r.start)))...)
	}
	out = append(out, section(10, vec(code))...)
	segs := [][]byte{dataSegment(settingsAt, r.settings)}
	if r.data != "" {
		segs = append(segs, dataSegment(dataAt, r.data))
	}
	out = append(out, section(11, vec(segs))...)
	return out
}

func dataSegment(at int64, data string) []byte {
	seg := []byte{0x00, opI32Const}
	seg = append(seg, sleb(at)...)
	seg = append(seg, opEnd)
	return append(seg, name(data)...)
}

// code concatenates instructions.
func code(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// i32c is i32.const v.
func i32c(v int64) []byte { return append([]byte{opI32Const}, sleb(v)...) }

// call is call fn.
func call(fn uint32) []byte { return append([]byte{opCall}, uleb(uint64(fn))...) }

// repeat runs body n times, counting in local counter.
func repeat(counter byte, n int64, body []byte) []byte {
	return code([]byte{opLoop, 0x40}, body,
		[]byte{opLocalGet, counter}, i32c(1), []byte{opI32Add, opLocalTee, counter}, i32c(n), []byte{opI32LtU, opBrIf, 0, opEnd})
}

func fnType(params, results []byte) []byte {
	b := []byte{0x60}
	b = append(b, uleb(uint64(len(params)))...)
	b = append(b, params...)
	b = append(b, uleb(uint64(len(results)))...)
	return append(b, results...)
}

func importFn(mod, field string, typ uint32) []byte {
	b := append(name(mod), name(field)...)
	b = append(b, 0x00)
	return append(b, uleb(uint64(typ))...)
}

func export(n string, kind byte, idx uint32) []byte {
	b := append(name(n), kind)
	return append(b, uleb(uint64(idx))...)
}

func name(s string) []byte { return append(uleb(uint64(len(s))), s...) }

func vec(items [][]byte) []byte {
	b := uleb(uint64(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

func section(id byte, payload []byte) []byte {
	b := append([]byte{id}, uleb(uint64(len(payload)))...)
	return append(b, payload...)
}

// rawSettings returns settings JSON for trigger with the given bindings
// (comma-separated).
func rawSettings(trigger, bindings string) string {
	s := `{"id":"raw","trigger":"` + trigger + `","bindings":{`
	for i, b := range strings.Split(bindings, ",") {
		if b == "" {
			continue
		}
		if i > 0 {
			s += ","
		}
		s += `"` + b + `":{}`
	}
	return s + `}}`
}
