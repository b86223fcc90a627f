package engine

import "strings"

// A tiny WebAssembly assembler for hand-made test modules: they compile in
// microseconds, so Compile's checks can be tested on many variants, and they
// can do what no Go program does (trap with unreachable, skip exports).

// rawModule describes a hand-made module with the ABI v1 export shape.
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
	// yield imports WASI sched_yield, which makes the module instrumentable
	// (interrupt.go) like every Go module.
	yield bool
	// initLoop makes _initialize loop forever.
	initLoop bool
}

const (
	opUnreachable = 0x00
	opLoop        = 0x03
	opBr          = 0x0c
	opEnd         = 0x0b
	opCall        = 0x10
	opDrop        = 0x1a
	opI32Const    = 0x41
	opI64Const    = 0x42
	tI32          = 0x7f
	tI64          = 0x7e
	settingsAt    = 1024
	eventAt       = 4096
)

func (r rawModule) bytes() []byte {
	types := [][]byte{
		fnType(nil, nil),                         // 0: _initialize
		fnType(nil, []byte{tI32}),                // 1: abi version
		fnType(nil, []byte{tI64}),                // 2: settings
		fnType([]byte{tI32}, []byte{tI32}),       // 3: alloc
		fnType([]byte{tI32, tI32}, []byte{tI32}), // 4: handle, 2-arg host fns
	}
	var imports [][]byte
	if r.yield {
		imports = append(imports, importFn("wasi_snapshot_preview1", "sched_yield", 1))
	}
	if r.call != "" {
		imports = append(imports, importFn("gatehouse", r.call, 4))
	}
	if r.badImport {
		imports = append(imports, importFn("env", "mystery", 0))
	}
	nImports := uint32(len(imports))

	type fn struct {
		name string
		typ  uint32
		body []byte
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
		if r.yield {
			callIdx = 1 // after sched_yield
		}
		handle = append(handle, opCall, callIdx, opDrop, opI32Const, 0)
	}
	var initBody []byte
	if r.initLoop {
		initBody = []byte{opLoop, 0x40, opBr, 0, opEnd}
	}
	fns := []fn{
		{"_initialize", 0, initBody},
		{"gatehouse_abi_version", 1, append([]byte{opI32Const}, sleb(int64(r.version))...)},
		{"gatehouse_settings", 2, append([]byte{opI64Const}, sleb(int64(settingsAt)<<32|int64(len(r.settings)))...)},
		{"gatehouse_alloc", 3, append([]byte{opI32Const}, sleb(eventAt)...)},
		{"gatehouse_handle", 4, handle},
	}

	out := []byte{0x00, 'a', 's', 'm', 1, 0, 0, 0}
	out = append(out, section(1, vec(types))...)
	if len(imports) > 0 {
		out = append(out, section(2, vec(imports))...)
	}
	var funcIdx, code, exports [][]byte
	for i, f := range fns {
		funcIdx = append(funcIdx, uleb(uint64(f.typ)))
		body := append([]byte{0}, f.body...) // no locals
		body = append(body, opEnd)
		code = append(code, append(uleb(uint64(len(body))), body...))
		if f.name != r.omit {
			exports = append(exports, export(f.name, 0, nImports+uint32(i)))
		}
	}
	exports = append(exports, export("memory", 2, 0))
	out = append(out, section(3, vec(funcIdx))...)
	out = append(out, section(5, vec([][]byte{{0x00, 1}}))...) // one memory, min 1 page
	out = append(out, section(7, vec(exports))...)
	out = append(out, section(10, vec(code))...)
	seg := []byte{0x00, opI32Const}
	seg = append(seg, sleb(settingsAt)...)
	seg = append(seg, opEnd)
	seg = append(seg, name(r.settings)...)
	out = append(out, section(11, vec([][]byte{seg}))...)
	return out
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
