package mfa

import (
	"math"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/services/mfa/api"
)

// TestRandomDigitsAreUniform: SMS and email codes are uniform over the
// digits (crypto/rand through rand.Int, no modulo bias) and keep their
// leading zeros. A byte reduced modulo 10 (digits 0-5 drawn 26/256 of the
// time, 6-9 25/256) scores about 220 here; uniform digits score under 50
// but for one run in ten million (chi-squared, 9 degrees of freedom).
func TestRandomDigitsAreUniform(t *testing.T) {
	const codes = 100_000
	var counts [10]int
	leadingZero := 0
	for range codes {
		c, err := randomDigits(api.CodeDigits)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != api.CodeDigits {
			t.Fatalf("code %q is not %d digits", c, api.CodeDigits)
		}
		if c[0] == '0' {
			leadingZero++
		}
		for _, d := range c {
			counts[d-'0']++
		}
	}
	expected := float64(codes*api.CodeDigits) / 10
	chi2 := 0.0
	for _, n := range counts {
		chi2 += (float64(n) - expected) * (float64(n) - expected) / expected
	}
	if chi2 > 50 {
		t.Fatalf("digit counts %v: chi-squared %.1f, not uniform", counts, chi2)
	}
	if leadingZero < codes/20 {
		t.Fatalf("%d of %d codes start with 0, want about a tenth", leadingZero, codes)
	}
}

// TestBackupCodesEntropyAndStoredForm: ASVS 5.0 6.5.3/6.5.4 (random, at
// least 20 bits: these have 49) and 6.5.2 (under 112 bits, so stored as
// a salted password hash: PBKDF2 with a 128-bit random salt per code).
func TestBackupCodesEntropyAndStoredForm(t *testing.T) {
	if strings.ContainsAny(backupAlphabet, "0o1li") {
		t.Fatalf("the backup code alphabet %q has characters easily misread", backupAlphabet)
	}
	seenRunes := map[rune]bool{}
	for _, r := range backupAlphabet {
		if seenRunes[r] {
			t.Fatalf("%q is twice in the alphabet", r)
		}
		seenRunes[r] = true
	}
	if bits := float64(backupCodeLen) * math.Log2(float64(len(backupAlphabet))); bits < 48 {
		t.Fatalf("a backup code has %.1f bits of entropy", bits)
	}
	seen := map[string]bool{}
	used := map[rune]bool{}
	for range 2000 {
		c, err := newBackupCode()
		if err != nil {
			t.Fatal(err)
		}
		norm, err := normalizeBackupCode(c)
		if err != nil || len(c) != backupCodeLen+1 || c[backupCodeLen/2] != '-' || seen[norm] {
			t.Fatalf("backup code %q (%v), seen before: %v", c, err, seen[norm])
		}
		seen[norm] = true
		for _, r := range norm {
			used[r] = true
		}
	}
	if len(used) != len(backupAlphabet) {
		t.Fatalf("2000 codes used %d of the %d characters", len(used), len(backupAlphabet))
	}

	key := []byte("0123456789abcdef0123456789abcdef")
	pepper := backupPepper(key, "user_1", "abcdefghjk")
	a, err := newStoredBackupCode(pepper)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newStoredBackupCode(pepper)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.salt) < 16 || a.iterations < 1000 || string(a.salt) == string(b.salt) || string(a.hash) == string(b.hash) ||
		string(a.hash) == string(pepper) {
		t.Fatalf("stored forms of one code: %+v and %+v", a, b)
	}
	c, err := newStoredBackupCode(backupPepper(key, "user_1", "mnpqrstuvw"))
	if err != nil {
		t.Fatal(err)
	}
	if i, err := matchBackupCode(pepper, []storedBackupCode{c, a}); err != nil || i != 1 {
		t.Fatalf("match: %d %v, want 1", i, err)
	}
	for _, other := range [][]byte{backupPepper(key, "user_2", "abcdefghjk"), backupPepper(key, "user_1", "abcdefghjm"),
		backupPepper([]byte("another key of thirty-two bytes!"), "user_1", "abcdefghjk")} {
		if i, err := matchBackupCode(other, []storedBackupCode{a, b, c}); err != nil || i != -1 {
			t.Fatalf("another user's, code or key matched: %d %v", i, err)
		}
	}
	if _, err := matchBackupCode(pepper, []storedBackupCode{{salt: a.salt, iterations: 1 << 30, hash: a.hash}}); err == nil {
		t.Fatal("a stored iteration count of 2^30 was used")
	}
}
