package identity

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

func TestHasherWaitsForASlotUntilItsContextEnds(t *testing.T) {
	h, err := NewPasswordHasher(Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Both slots busy: a hash waits, and gives up when its context does
	// rather than adding to the memory in use.
	h.slots <- struct{}{}
	h.slots <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "some password"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash with every slot taken = %v, want context.DeadlineExceeded", err)
	}
	if _, err := h.Verify(ctx, h.dummy.String(), "some password"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify with every slot taken = %v, want context.DeadlineExceeded", err)
	}
	if n := h.computations.Load(); n != 0 {
		t.Fatalf("%d argon2id computations ran without a slot", n)
	}

	// A slot freed while waiting lets the hash through.
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "some password")
		done <- err
	}()
	<-h.slots
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("hash did not run after a slot was freed")
	}
}

func TestDefaultConcurrencyIsGOMAXPROCS(t *testing.T) {
	h, err := NewPasswordHasher(DefaultArgon2Params, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cap(h.slots) != runtime.GOMAXPROCS(0) {
		t.Fatalf("hasher has %d slots, want GOMAXPROCS = %d", cap(h.slots), runtime.GOMAXPROCS(0))
	}
}
