package api

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse-id/gatehouse/pkg/natstest"
)

func TestArtifactsAreContentAddressed(t *testing.T) {
	srv := natstest.Start(t)
	js, err := jetstream.New(natstest.Connect(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := ArtifactStore(ctx, js); err == nil || !strings.Contains(err.Error(), "is the deployments service running") {
		t.Fatalf("opening a missing bucket: %v", err)
	}
	store, err := CreateArtifactStore(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	wasm := []byte("\x00asm\x01\x00\x00\x00 pretend module")
	digest, err := PutArtifact(ctx, js, wasm)
	if err != nil || digest != Digest(wasm) {
		t.Fatalf("put: %s %v", digest, err)
	}
	got, err := GetArtifact(ctx, store, digest)
	if err != nil || string(got) != string(wasm) {
		t.Fatalf("get: %q %v", got, err)
	}

	// Bytes stored under a name that is not their digest are refused.
	forged := strings.Repeat("ab", 32)
	if _, err := store.PutBytes(ctx, forged, []byte("something else")); err != nil {
		t.Fatal(err)
	}
	if _, err := GetArtifact(ctx, store, forged); !errors.Is(err, errCorrupt) {
		t.Fatalf("forged module: %v", err)
	}
	if _, err := GetArtifact(ctx, store, strings.Repeat("cd", 32)); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Fatalf("missing module: %v", err)
	}
	if _, err := PutArtifact(ctx, js, make([]byte, MaxArtifactBytes+1)); err == nil {
		t.Fatal("an oversized module was stored")
	}
}
