package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEncodeRecordTrimsConsoleToFit(t *testing.T) {
	r := Record{ID: "exe_1", Kind: KindRuntime, Env: "production"}
	for range 200 {
		r.Console = append(r.Console, ConsoleLine{Level: "info", Text: strings.Repeat("x", 1000)})
	}
	data, err := encodeRecord(r, 50_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 50_000 {
		t.Fatalf("encoded %d bytes, over the limit", len(data))
	}
	var got Record
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	last := got.Console[len(got.Console)-1]
	kept := len(got.Console) - 1
	if kept < 40 || !strings.Contains(last.Text, "console lines dropped") || !strings.Contains(last.Text, "50000 bytes") {
		t.Fatalf("kept %d lines; last line %q", kept, last.Text)
	}
	if want := "[" + itoa(200-kept) + " console lines dropped"; !strings.HasPrefix(last.Text, want) {
		t.Fatalf("last line %q, want prefix %q", last.Text, want)
	}

	// A record that cannot fit even without console lines is refused.
	huge := Record{ID: "exe_2", Kind: KindRuntime, Env: "production", Error: &ExecError{Code: "x", Message: strings.Repeat("y", 60_000)}}
	if _, err := encodeRecord(huge, 50_000); err == nil || !strings.Contains(err.Error(), "exe_2") {
		t.Fatalf("oversized record: err = %v", err)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
