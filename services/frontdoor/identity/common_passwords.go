package identity

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// commonPasswordsGz is the one million most common passwords of the
// "10 million passwords" data set (OWASP SecLists), CC BY-SA 3.0; see
// data/README.md for its source, version, checksum and licence.
//
//go:embed data/10-million-password-list-top-1000000.txt.gz
var commonPasswordsGz []byte

// passwordList is a set of lower-cased passwords: every entry, sorted and
// without duplicates, concatenated in one string, with the offset where each
// starts. Two allocations instead of a million keep it at about 12 MB of
// heap and out of the garbage collector's way.
type passwordList struct {
	blob  string
	start []uint32 // entry i is blob[start[i]:start[i+1]]; one extra element at the end
}

// commonPasswords loads the embedded list once, on first use.
var commonPasswords = sync.OnceValues(func() (*passwordList, error) {
	return loadPasswordList(commonPasswordsGz)
})

// PreloadCommonPasswords decompresses and indexes the embedded common-password
// list now rather than at the first password check (it takes a few hundred
// milliseconds). Call it at start-up to keep that off the first sign-up.
func PreloadCommonPasswords() error {
	_, err := commonPasswords()
	return err
}

// loadPasswordList builds a passwordList from gzip-compressed,
// newline-separated text, lower-casing every entry and skipping empty lines.
func loadPasswordList(gz []byte) (*passwordList, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("open common-password list: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("decompress common-password list: %w", err)
	}
	text := string(raw)
	entries := make([]string, 0, strings.Count(text, "\n")+1)
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			entries = append(entries, strings.ToLower(line))
		}
	}
	slices.Sort(entries)
	entries = slices.Compact(entries)

	size := 0
	for _, e := range entries {
		size += len(e)
	}
	var blob strings.Builder
	blob.Grow(size)
	start := make([]uint32, 0, len(entries)+1)
	for _, e := range entries {
		start = append(start, uint32(blob.Len()))
		blob.WriteString(e)
	}
	start = append(start, uint32(blob.Len()))
	return &passwordList{blob: blob.String(), start: start}, nil
}

// len returns the number of distinct entries.
func (l *passwordList) len() int { return len(l.start) - 1 }

func (l *passwordList) entry(i int) string { return l.blob[l.start[i]:l.start[i+1]] }

// contains reports whether lowered, already lower-cased, is on the list.
func (l *passwordList) contains(lowered string) bool {
	lo, hi := 0, l.len()
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch e := l.entry(mid); {
		case e == lowered:
			return true
		case e < lowered:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return false
}
