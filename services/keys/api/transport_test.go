package api

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpenRoundTripAndTamper(t *testing.T) {
	k, err := NewTransportKey()
	if err != nil {
		t.Fatal(err)
	}
	aad := AADEnv("production", "API_KEY")
	sealed, err := Seal(k.PublicKey().Bytes(), []byte("s3cr3t-value"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("s3cr3t-value")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := Open(k, sealed, aad)
	if err != nil || string(got) != "s3cr3t-value" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Another variable's associated data, another recipient, or a flipped
	// bit: nothing opens.
	if _, err := Open(k, sealed, AADEnv("production", "OTHER")); !errors.Is(err, ErrOpen) {
		t.Fatalf("wrong aad: %v", err)
	}
	other, _ := NewTransportKey()
	if _, err := Open(other, sealed, aad); !errors.Is(err, ErrOpen) {
		t.Fatalf("wrong recipient: %v", err)
	}
	bad := append([]byte{}, sealed...)
	bad[len(bad)-1] ^= 1
	if _, err := Open(k, bad, aad); !errors.Is(err, ErrOpen) {
		t.Fatalf("tampered: %v", err)
	}
	if _, err := Open(k, sealed[:20], aad); !errors.Is(err, ErrOpen) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := Seal([]byte("short"), []byte("x"), aad); err == nil {
		t.Fatal("sealing to a malformed public key succeeded")
	}
}
