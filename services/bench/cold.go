package bench

import (
	"context"
	"encoding/json"
	"time"

	wapi "github.com/gatehouse-id/gatehouse/services/worker/api"
)

// UploadToLive is the time from storing a new module to its first decision.
type UploadToLive struct {
	Put       time.Duration // PutArtifact
	Upload    time.Duration // the upload RPC: validation compile, store, go live
	FirstExec time.Duration // from the upload reply to the first decision of the new module
	Total     time.Duration // PutArtifact to the first decision with ran=true from the new module
}

// livePoll is the pause between trigger calls while waiting for a new
// module to go live: short enough to add little to the measurement, long
// enough not to take the CPU from the compilation.
const livePoll = time.Millisecond

// measureUploadToLive uploads wasm (a tokensbench variant whose org claim is
// org) and fires until a decision from it comes back.
func (s *stack) measureUploadToLive(ctx context.Context, wasm []byte, org string) (UploadToLive, error) {
	var u UploadToLive
	want, _ := json.Marshal(org)
	start := time.Now()
	_, ut, err := s.upload(ctx, wasm, "bench variant")
	if err != nil {
		return u, err
	}
	u.Put, u.Upload = ut.Put, ut.Upload
	replied := time.Now()
	_, err = s.waitFor(ctx, 30*time.Second, livePoll, "the new module's first decision", func(d wapi.Decision) bool {
		return d.Ran && d.Error == nil && string(d.AccessTokenClaims["org"]) == string(want)
	})
	if err != nil {
		return u, err
	}
	u.FirstExec = time.Since(replied)
	u.Total = time.Since(start)
	return u, nil
}
