package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

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

// artifactAttempt bounds one read of a module from the object store. A read
// whose chunks stop arriving (the object store's ordered consumer can stall
// under load) does not notice cancellation until its deadline, so a short
// deadline and a retry keep a load from hanging.
const artifactAttempt = 10 * time.Second

// GetArtifact loads a module and checks that its bytes match the digest. It
// retries a read that stalls until ctx ends.
func GetArtifact(ctx context.Context, store jetstream.ObjectStore, digest string) ([]byte, error) {
	var lastErr error
	for attempt := 1; ; attempt++ {
		wasm, err := getArtifactOnce(ctx, store, digest)
		if err == nil {
			return wasm, nil
		}
		if errors.Is(err, jetstream.ErrObjectNotFound) || errors.Is(err, errCorrupt) || errors.Is(err, errTooLarge) {
			return nil, fmt.Errorf("load module %s: %w", digest, err)
		}
		lastErr = err
		if ctx.Err() != nil || attempt == 5 {
			return nil, fmt.Errorf("load module %s (attempt %d): %w", digest, attempt, lastErr)
		}
	}
}

var (
	errCorrupt  = errors.New("module bytes do not match their digest")
	errTooLarge = errors.New("module is over the size limit")
)

func getArtifactOnce(ctx context.Context, store jetstream.ObjectStore, digest string) ([]byte, error) {
	type read struct {
		wasm []byte
		err  error
	}
	done := make(chan read, 1)
	go func() {
		// The read does not notice cancellation until its deadline, so it
		// runs apart: a cancelled caller returns at once and the read ends
		// on its own within artifactAttempt.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), artifactAttempt)
		defer cancel()
		wasm, err := readArtifact(actx, store, digest)
		done <- read{wasm, err}
	}()
	select {
	case r := <-done:
		return r.wasm, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func readArtifact(ctx context.Context, store jetstream.ObjectStore, digest string) ([]byte, error) {
	res, err := store.Get(ctx, digest)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	wasm, err := io.ReadAll(io.LimitReader(res, MaxArtifactBytes+1))
	if err != nil {
		return nil, err
	}
	if len(wasm) > MaxArtifactBytes {
		return nil, errTooLarge
	}
	if got := Digest(wasm); got != digest {
		return nil, fmt.Errorf("%w: they hash to %s", errCorrupt, got)
	}
	return wasm, nil
}
