package engine

import (
	"context"
	"strings"
	"testing"
)

// A table lives outside linear memory, so its size is bounded separately.
func TestTablesAreBounded(t *testing.T) {
	e := newEngine(t, nil)
	settings := rawSettings("user:tokens_generation", "kinde.accessToken")

	huge := append([]byte{1, 0x70, 0x00}, uleb(50_000_000)...)
	wantInvalid(t, e, rawModule{version: 1, settings: settings, table: huge}.bytes(),
		"table 0 starts with 50000000 entries; the limit is 262144")

	inverted := append(append([]byte{1, 0x70, 0x01}, uleb(10)...), uleb(5)...)
	wantInvalid(t, e, rawModule{version: 1, settings: settings, table: inverted}.bytes(), "maximum below its minimum")

	// A table without a maximum gets one: growing it by a million entries
	// fails (-1) instead of allocating host memory.
	grow := []byte{0xd0, 0x70, opI32Const}
	grow = append(grow, sleb(1_000_000)...)
	grow = append(grow, 0xfc, 0x0f, 0x00, // table.grow 0
		opI32Const, 0x7f, 0x46, 0x45, // == -1, eqz
		0x04, 0x40, opUnreachable, opEnd, // if it grew: trap
		opI32Const, 0)
	unbounded := append([]byte{1, 0x70, 0x00}, uleb(4)...)
	m, err := e.Compile(context.Background(), rawModule{version: 1, settings: settings, table: unbounded, handleCode: grow}.bytes())
	if err != nil {
		t.Fatal(err)
	}
	if d := run(e, m, `{}`); d.Error != nil {
		t.Fatalf("table.grow past the bound did not fail cleanly: %+v", d.Error)
	}

	// A table inside the bound keeps its own maximum.
	small := append(append([]byte{1, 0x70, 0x01}, uleb(4)...), uleb(8)...)
	if _, err := e.Compile(context.Background(), rawModule{version: 1, settings: settings, table: small}.bytes()); err != nil {
		t.Fatalf("a small table was refused: %v", err)
	}
}

func TestBoundTablesRewritesLimits(t *testing.T) {
	out, err := boundTables(append([]byte{1, 0x70, 0x00}, uleb(7)...))
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte{1, 0x70, 0x01}, uleb(7)...), uleb(maxTableEntries)...)
	if string(out) != string(want) {
		t.Fatalf("boundTables = %x, want %x", out, want)
	}
	if _, err := boundTables([]byte{1, 0x70, 0x02, 1}); err == nil || !strings.Contains(err.Error(), "limits flags") {
		t.Fatalf("shared-table flags accepted: %v", err)
	}
}
