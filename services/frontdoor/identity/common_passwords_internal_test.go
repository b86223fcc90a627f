package identity

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestCommonPasswordListSize(t *testing.T) {
	list, err := commonPasswords()
	if err != nil {
		t.Fatal(err)
	}
	if n := list.len(); n < 100_000 {
		t.Fatalf("common-password list has %d distinct entries, want at least 100,000", n)
	}
	for i := 1; i < list.len(); i++ {
		if list.entry(i-1) >= list.entry(i) {
			t.Fatalf("entries %d and %d out of order or duplicated: %q, %q", i-1, i, list.entry(i-1), list.entry(i))
		}
	}
	for i := range list.len() {
		if e := list.entry(i); e != strings.ToLower(e) || e == "" {
			t.Fatalf("entry %d %q is empty or not lower-cased", i, e)
		}
	}
}

func TestCommonPasswordListLookup(t *testing.T) {
	list, err := commonPasswords()
	if err != nil {
		t.Fatal(err)
	}
	// The first, the last and an entry from the middle of the upstream
	// file, which is ordered by frequency; and one with upper case there.
	for _, pw := range []string{"123456", "vjht008", "trustno1", "iloveyou", "qwertyuiop", "michael"} {
		if !list.contains(pw) {
			t.Errorf("%q is not on the list", pw)
		}
	}
	for _, pw := range []string{"", "correct horse battery staple 1729", "123456 ", "zzzzzzzzzzzzzzzzzzzzzz"} {
		if list.contains(pw) {
			t.Errorf("%q is on the list", pw)
		}
	}
	// Every entry is found (a slice of the list is enough to exercise
	// the search everywhere).
	for i := 0; i < list.len(); i += 997 {
		if !list.contains(list.entry(i)) {
			t.Fatalf("entry %d %q not found", i, list.entry(i))
		}
	}
}

// TestCommonPasswordListIsTheDocumentedFile checks the embedded file
// against the checksum data/README.md gives for it.
func TestCommonPasswordListIsTheDocumentedFile(t *testing.T) {
	readme, err := os.ReadFile("data/README.md")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, zr)
	if err != nil {
		t.Fatal(err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if !strings.Contains(string(readme), "`"+sum+"`") {
		t.Fatalf("the embedded list (%d bytes, SHA-256 %s) is not the file data/README.md documents", n, sum)
	}
}

// TestCommonPasswordListCost measures what loading the list costs and
// bounds it loosely, so a change that makes it much more expensive shows.
func TestCommonPasswordListCost(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	list, err := loadPasswordList(commonPasswordsGz)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("common-password list: %d distinct entries, loaded in %v, %.1f MiB retained on the heap (%.1f MiB embedded, compressed)",
		list.len(), took.Round(time.Millisecond), float64(retained)/(1<<20), float64(len(commonPasswordsGz))/(1<<20))
	if retained > 32<<20 {
		t.Errorf("the list retains %d bytes, want under 32 MiB", retained)
	}
	runtime.KeepAlive(list)
}

func BenchmarkCommonPasswordLookup(b *testing.B) {
	list, err := commonPasswords()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		list.contains("correct horse battery staple")
	}
}

func BenchmarkLoadCommonPasswords(b *testing.B) {
	for b.Loop() {
		if _, err := loadPasswordList(commonPasswordsGz); err != nil {
			b.Fatal(err)
		}
	}
}
