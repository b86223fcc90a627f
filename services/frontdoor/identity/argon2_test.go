package identity_test

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/gatehouse-id/gatehouse/services/frontdoor/identity"
)

func TestDefaultHashFormatParsesAndVerifies(t *testing.T) {
	ctx := testContext(t)
	h, err := identity.NewPasswordHasher(identity.DefaultArgon2Params, 0)
	if err != nil {
		t.Fatal(err)
	}
	const pw = "correct horse battery staple"
	encoded, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	format := regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=1,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !format.MatchString(encoded) {
		t.Fatalf("hash %q is not in PHC format with the default parameters", encoded)
	}
	if strings.Contains(encoded, pw) {
		t.Fatal("hash contains the password")
	}

	ph, err := identity.ParsePasswordHash(encoded)
	if err != nil {
		t.Fatal(err)
	}
	if ph.Params != identity.DefaultArgon2Params || len(ph.Salt) != 16 || len(ph.Key) != 32 {
		t.Fatalf("parsed %+v", ph)
	}
	if ph.String() != encoded {
		t.Fatalf("String() = %q, want %q", ph.String(), encoded)
	}
	// The key is plain argon2id: any implementation of the format agrees.
	want := argon2.IDKey([]byte(pw), ph.Salt, 1, 64*1024, 2, 32)
	if string(want) != string(ph.Key) {
		t.Fatal("stored key is not argon2id(password, salt, t=1, m=64MiB, p=2)")
	}

	for pw2, wantOK := range map[string]bool{pw: true, pw + " ": false, "Correct horse battery staple": false, "": false} {
		ok, err := h.Verify(ctx, encoded, pw2)
		if err != nil || ok != wantOK {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw2, ok, err, wantOK)
		}
	}

	// Two hashes of one password differ by their salt.
	again, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if again == encoded {
		t.Fatal("two hashes of the same password are equal: salt not random")
	}
}

func TestVerifiesHashFromReferenceVector(t *testing.T) {
	// A hash written by another argon2id implementation with other
	// parameters still verifies.
	salt := []byte("somesaltsomesalt")
	key := argon2.IDKey([]byte("hunter2hunter2"), salt, 2, 1024, 1, 24)
	encoded := "$argon2id$v=19$m=1024,t=2,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	h, err := identity.NewPasswordHasher(cheapArgon2, 1)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := h.Verify(testContext(t), encoded, "hunter2hunter2")
	if err != nil || !ok {
		t.Fatalf("Verify = %v, %v; want true", ok, err)
	}
	if !h.NeedsRehash(encoded) {
		t.Fatal("a hash with other parameters does not need a rehash")
	}
}

func TestParsePasswordHashRejectsMalformed(t *testing.T) {
	salt := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef"))
	key := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	for _, bad := range []string{
		"",
		"plaintext",
		"$argon2i$v=19$m=65536,t=1,p=2$" + salt + "$" + key,
		"$argon2d$v=19$m=65536,t=1,p=2$" + salt + "$" + key,
		"$argon2id$v=16$m=65536,t=1,p=2$" + salt + "$" + key,
		"$argon2id$m=65536,t=1,p=2$" + salt + "$" + key,
		"$argon2id$v=19$t=1,m=65536,p=2$" + salt + "$" + key,
		"$argon2id$v=19$m=65536,t=1$" + salt + "$" + key,
		"$argon2id$v=19$m=65536,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=65536,t=0,p=2$" + salt + "$" + key,
		"$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key,
		"$argon2id$v=19$m=99999999,t=1,p=2$" + salt + "$" + key,
		"$argon2id$v=19$m=65536,t=1,p=256$" + salt + "$" + key,
		"$argon2id$v=19$m=-1,t=1,p=2$" + salt + "$" + key,
		"$argon2id$v=19$m=65536,t=1,p=2$" + salt + "==$" + key,
		"$argon2id$v=19$m=65536,t=1,p=2$" + salt + "$" + key + "$",
		"$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$" + key,        // 4-byte salt
		"$argon2id$v=19$m=65536,t=1,p=2$" + salt + "$c2hvcnQ", // 5-byte key
		"$argon2id$v=19$m=65536,t=1,p=2$" + salt + "$" + key + "!",
	} {
		if _, err := identity.ParsePasswordHash(bad); !errors.Is(err, identity.ErrMalformedHash) {
			t.Errorf("ParsePasswordHash(%q) = %v, want ErrMalformedHash", bad, err)
		}
	}
	h, err := identity.NewPasswordHasher(cheapArgon2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Verify(testContext(t), "plaintext", "plaintext"); !errors.Is(err, identity.ErrMalformedHash) {
		t.Fatalf("Verify of a malformed hash = %v, want ErrMalformedHash", err)
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := testContext(t)
	old, err := identity.NewPasswordHasher(cheapArgon2, 1)
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := old.Hash(ctx, "a password of some length")
	if err != nil {
		t.Fatal(err)
	}
	if old.NeedsRehash(encoded) {
		t.Fatal("a hash made with the hasher's own parameters needs a rehash")
	}
	for name, p := range map[string]identity.Argon2Params{
		"memory":  {Memory: 512, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		"time":    {Memory: 256, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		"threads": {Memory: 256, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32},
		"salt":    {Memory: 256, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32},
		"key":     {Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64},
	} {
		h, err := identity.NewPasswordHasher(p, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !h.NeedsRehash(encoded) {
			t.Errorf("changing %s does not make the hash need a rehash", name)
		}
	}
	if !old.NeedsRehash("garbage") {
		t.Fatal("an unparseable hash does not need a rehash")
	}
}

func TestArgon2ParamsValidate(t *testing.T) {
	if err := identity.DefaultArgon2Params.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []identity.Argon2Params{
		{},
		{Memory: 15, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
		{Memory: 5 * 1024 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", p)
		}
		if _, err := identity.NewPasswordHasher(p, 1); err == nil {
			t.Errorf("NewPasswordHasher(%+v) succeeded", p)
		}
	}
}
