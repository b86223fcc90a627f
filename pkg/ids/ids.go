package ids

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// New returns prefix + "_" + 32 hex characters.
func New(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	buf := make([]byte, len(prefix)+1+32)
	n := copy(buf, prefix)
	buf[n] = '_'
	hex.Encode(buf[n+1:], b[:])
	return string(buf)
}
