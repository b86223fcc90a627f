package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// CreateArtifactStore opens the artifact bucket, creating it with the given
// number of replicas (1 for a single server, 3 for a cluster) if it does not
// exist. The deployments service calls it at start.
func CreateArtifactStore(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.ObjectStore, error) {
	if replicas < 1 {
		replicas = 1
	}
	os, err := js.ObjectStore(ctx, ArtifactBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		os, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      ArtifactBucket,
			Description: "Gatehouse workflow modules, named by sha256",
			Replicas:    replicas,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("open object store %s: %w", ArtifactBucket, err)
	}
	return os, nil
}

// ArtifactStore opens the artifact bucket, which the deployments service
// creates.
func ArtifactStore(ctx context.Context, js jetstream.JetStream) (jetstream.ObjectStore, error) {
	os, err := js.ObjectStore(ctx, ArtifactBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("object store %s does not exist yet: is the deployments service running?", ArtifactBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("open object store %s: %w", ArtifactBucket, err)
	}
	return os, nil
}

// Digest returns the hex sha256 of a module, the name it is stored under.
func Digest(wasm []byte) string {
	sum := sha256.Sum256(wasm)
	return hex.EncodeToString(sum[:])
}

// PutArtifact stores a module and returns its digest. Storing the same bytes
// twice is harmless.
func PutArtifact(ctx context.Context, js jetstream.JetStream, wasm []byte) (string, error) {
	if len(wasm) > MaxArtifactBytes {
		return "", fmt.Errorf("module is %d bytes; the limit is %d", len(wasm), MaxArtifactBytes)
	}
	store, err := ArtifactStore(ctx, js)
	if err != nil {
		return "", err
	}
	digest := Digest(wasm)
	if _, err := store.PutBytes(ctx, digest, wasm); err != nil {
		return "", fmt.Errorf("store module %s: %w", digest, err)
	}
	return digest, nil
}

// GetArtifact loads a module and checks that its bytes match the digest.
func GetArtifact(ctx context.Context, store jetstream.ObjectStore, digest string) ([]byte, error) {
	wasm, err := store.GetBytes(ctx, digest)
	if err != nil {
		return nil, fmt.Errorf("load module %s: %w", digest, err)
	}
	if got := Digest(wasm); !bytes.Equal([]byte(got), []byte(digest)) {
		return nil, fmt.Errorf("module %s is corrupt: its bytes hash to %s", digest, got)
	}
	return wasm, nil
}
