package ids

import (
	"strings"
	"testing"
)

func TestNewIsPrefixedUniqueAndOrdered(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		id := New("dep")
		if !strings.HasPrefix(id, "dep_") || len(id) != 36 {
			t.Fatalf("bad id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		if prev != "" && id[:16] < prev[:16] {
			t.Fatalf("ids not time-ordered: %q after %q", id, prev)
		}
		prev = id
	}
}
