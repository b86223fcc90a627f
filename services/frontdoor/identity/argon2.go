package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters of a password hash.
type Argon2Params struct {
	// Memory is the memory cost in KiB (m).
	Memory uint32
	// Time is the number of passes over the memory (t).
	Time uint32
	// Threads is the degree of parallelism (p): the lanes hashed at once.
	Threads uint8
	// SaltLen is the length of the random salt in bytes.
	SaltLen uint32
	// KeyLen is the length of the derived hash in bytes.
	KeyLen uint32
}

// DefaultArgon2Params are the parameters new password hashes use unless
// [Config] says otherwise: m = 64 MiB, t = 1, p = 2, a 16-byte salt and a
// 32-byte hash.
//
// They are chosen for a 2-core server. Memory is what makes argon2id
// expensive to attack on GPUs and ASICs, so it gets the budget: 64 MiB with
// one pass is stronger than OWASP's minimum (19 MiB, t = 2, p = 1, or its
// equivalent 46 MiB, t = 1, p = 1) and is the memory of RFC 9106's second
// recommended option. Two lanes use both cores, which halves the latency of
// one sign-in (35–60 ms on a 2-core AMD EPYC server, against 45–60 ms with
// one lane; see BenchmarkHashPassword) without changing the attacker's cost
// per guess. [Store] bounds how many hashes run at once
// (Config.MaxConcurrentHashes), so the memory in use stays bounded too.
var DefaultArgon2Params = Argon2Params{Memory: 64 * 1024, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}

// Limits on the parameters accepted, both for new hashes and when parsing a
// stored one; they keep a corrupted row from asking for absurd amounts of
// memory or time.
const (
	maxArgon2Memory  = 4 * 1024 * 1024 // KiB: 4 GiB
	maxArgon2Time    = 64
	minArgon2SaltLen = 8
	maxArgon2SaltLen = 64
	minArgon2KeyLen  = 16
	maxArgon2KeyLen  = 128
)

// Validate returns an error naming the first parameter out of range.
func (p Argon2Params) Validate() error {
	switch {
	case p.Threads < 1:
		return fmt.Errorf("argon2id parameters: threads (p) must be at least 1")
	case p.Memory < 8*uint32(p.Threads):
		return fmt.Errorf("argon2id parameters: memory (m) must be at least 8 KiB per thread, got %d KiB for %d threads", p.Memory, p.Threads)
	case p.Memory > maxArgon2Memory:
		return fmt.Errorf("argon2id parameters: memory (m) must be at most %d KiB, got %d", maxArgon2Memory, p.Memory)
	case p.Time < 1 || p.Time > maxArgon2Time:
		return fmt.Errorf("argon2id parameters: time (t) must be between 1 and %d, got %d", maxArgon2Time, p.Time)
	case p.SaltLen < minArgon2SaltLen || p.SaltLen > maxArgon2SaltLen:
		return fmt.Errorf("argon2id parameters: salt length must be between %d and %d bytes, got %d", minArgon2SaltLen, maxArgon2SaltLen, p.SaltLen)
	case p.KeyLen < minArgon2KeyLen || p.KeyLen > maxArgon2KeyLen:
		return fmt.Errorf("argon2id parameters: key length must be between %d and %d bytes, got %d", minArgon2KeyLen, maxArgon2KeyLen, p.KeyLen)
	}
	return nil
}

// PasswordHash is a parsed argon2id password hash.
type PasswordHash struct {
	// Params are the cost parameters the hash was made with; SaltLen and
	// KeyLen are the lengths of Salt and Key.
	Params Argon2Params
	Salt   []byte
	Key    []byte
}

// b64 is the encoding of salts and keys in the PHC string format: standard
// alphabet, no padding.
var b64 = base64.RawStdEncoding

// String encodes h in the PHC string format used by the reference
// implementation:
//
//	$argon2id$v=19$m=65536,t=1,p=2$<salt>$<hash>
//
// with salt and hash in unpadded standard base64.
func (h *PasswordHash) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.Params.Memory, h.Params.Time, h.Params.Threads, b64.EncodeToString(h.Salt), b64.EncodeToString(h.Key))
}

// ErrMalformedHash is wrapped by every [ParsePasswordHash] error.
var ErrMalformedHash = errors.New("malformed argon2id password hash")

// ParsePasswordHash parses a PHC-format argon2id hash made by
// [PasswordHash.String]. It accepts only argon2id, version 19, and parameters
// within the limits of [Argon2Params.Validate].
func ParsePasswordHash(encoded string) (*PasswordHash, error) {
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return nil, fmt.Errorf("%w: want $argon2id$v=19$m=…,t=…,p=…$salt$hash", ErrMalformedHash)
	}
	if parts[1] != "argon2id" {
		return nil, fmt.Errorf("%w: algorithm %q is not argon2id", ErrMalformedHash, parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, fmt.Errorf("%w: version %q is not v=%d", ErrMalformedHash, parts[2], argon2.Version)
	}
	var h PasswordHash
	m, t, p, err := parseArgon2Params(parts[3])
	if err != nil {
		return nil, err
	}
	h.Params.Memory, h.Params.Time, h.Params.Threads = m, t, p
	if h.Salt, err = b64.Strict().DecodeString(parts[4]); err != nil {
		return nil, fmt.Errorf("%w: salt is not unpadded base64: %w", ErrMalformedHash, err)
	}
	if h.Key, err = b64.Strict().DecodeString(parts[5]); err != nil {
		return nil, fmt.Errorf("%w: hash is not unpadded base64: %w", ErrMalformedHash, err)
	}
	h.Params.SaltLen, h.Params.KeyLen = uint32(len(h.Salt)), uint32(len(h.Key))
	if err := h.Params.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	return &h, nil
}

// parseArgon2Params parses "m=65536,t=1,p=2" (in that order, as the
// reference implementation writes it).
func parseArgon2Params(s string) (m, t uint32, p uint8, err error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return 0, 0, 0, fmt.Errorf("%w: parameters %q are not m=…,t=…,p=…", ErrMalformedHash, s)
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(fields[i], name+"=")
		if !ok {
			return 0, 0, 0, fmt.Errorf("%w: parameters %q are not m=…,t=…,p=…", ErrMalformedHash, s)
		}
		bits := 32
		if name == "p" {
			bits = 8
		}
		n, err := strconv.ParseUint(v, 10, bits)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("%w: parameter %s=%q is not a number in range", ErrMalformedHash, name, v)
		}
		vals[i] = n
	}
	return uint32(vals[0]), uint32(vals[1]), uint8(vals[2]), nil
}

// newPasswordHash hashes password with params and a fresh random salt.
func newPasswordHash(password string, params Argon2Params) (*PasswordHash, error) {
	salt := make([]byte, params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("generate password salt: %w", err)
	}
	return &PasswordHash{
		Params: params,
		Salt:   salt,
		Key:    argon2.IDKey([]byte(password), salt, params.Time, params.Memory, params.Threads, params.KeyLen),
	}, nil
}

// matches reports in constant time (for a given hash) whether password
// hashes to h.
func (h *PasswordHash) matches(password string) bool {
	key := argon2.IDKey([]byte(password), h.Salt, h.Params.Time, h.Params.Memory, h.Params.Threads, uint32(len(h.Key)))
	return subtle.ConstantTimeCompare(key, h.Key) == 1
}
